"""Importing old portals: throughput of the engine + ArticleImporter, and how well re-posts are merged.

    .venv/bin/python bench/portal_import.py [--articles 400] [--reposts 0.3] [--seed 7]

Writes a WXR export of N generated Vietnamese articles (a provincial portal) and an RSS feed (a district portal)
that re-posts a share of them with light edits (a changed phrase, a source line) next to its own articles, then
imports both into a throw-away SQLite database under bench/out/portal/ with run_import. Prints one JSON document:
articles/s for each import, and the near-duplicate merge's precision and recall against the known re-posts.
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "portal"

SUBJECTS = ["UBND tỉnh", "Sở Nội vụ", "Sở Giáo dục và Đào tạo", "UBND huyện Vị Xuyên", "Ban Chỉ đạo chuyển đổi số",
            "Công an tỉnh", "Sở Y tế", "Hội Nông dân tỉnh", "Trung tâm phục vụ hành chính công", "UBND xã Vị Xuyên"]
VERBS = ["tổ chức hội nghị", "ban hành kế hoạch", "triển khai", "kiểm tra tiến độ", "tổng kết", "phát động",
         "hướng dẫn thực hiện", "đôn đốc", "sơ kết", "phê duyệt phương án"]
TOPICS = ["sắp xếp đơn vị hành chính cấp xã", "cải cách thủ tục hành chính", "chuyển đổi số", "phòng chống thiên tai",
          "trồng rừng đầu nguồn", "tuyển sinh lớp 10", "tiêm chủng mở rộng", "xây dựng nông thôn mới",
          "bàn giao hồ sơ lưu trữ", "phát triển du lịch cộng đồng", "giảm nghèo bền vững", "an toàn giao thông"]
DETAILS = ["với sự tham dự của lãnh đạo các sở, ngành", "tại hội trường trung tâm", "theo hình thức trực tuyến",
           "đến các xã, phường trên địa bàn", "trong năm {y}", "giai đoạn {y}–{z}", "cho hơn {n} hộ dân",
           "với tổng kinh phí {n} triệu đồng", "trước ngày 30/6/{y}", "bảo đảm không gián đoạn phục vụ người dân"]


def _sentence(rng: random.Random) -> str:
    detail = rng.choice(DETAILS).format(y=rng.randint(2020, 2025), z=rng.randint(2026, 2030), n=rng.randint(50, 9000))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(TOPICS)} {detail}."


def _article(rng: random.Random, i: int) -> dict:
    sentences = [_sentence(rng) for _ in range(rng.randint(8, 14))]
    return {"title": f"{sentences[0][:-1]} (số {i})", "paragraphs": [" ".join(sentences[k:k + 3])
                                                                     for k in range(0, len(sentences), 3)]}


def _edited(rng: random.Random, article: dict) -> dict:
    paragraphs = list(article["paragraphs"])
    k = rng.randrange(len(paragraphs))
    paragraphs[k] = paragraphs[k].replace(rng.choice(SUBJECTS), rng.choice(SUBJECTS), 1)
    paragraphs.append("Nguồn: Cổng Thông tin điện tử tỉnh Hà Giang.")
    return {"title": article["title"], "paragraphs": paragraphs}


def _body(article: dict) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in article["paragraphs"])


def write_inputs(n: int, share: float, seed: int) -> tuple[Path, Path, set[int]]:
    rng = random.Random(seed)
    province = [_article(rng, i) for i in range(n)]
    reposted = set(rng.sample(range(n), int(n * share)))
    items = "".join(f"""<item><title>{escape(a["title"])}</title><link>https://hagiang.gov.vn/bai/{i}/</link>
<content:encoded><![CDATA[{_body(a)}]]></content:encoded><wp:post_id>{i}</wp:post_id>
<wp:post_date>2025-0{1 + i % 6}-1{i % 9} 08:00:00</wp:post_date><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>""" for i, a in enumerate(province))
    wxr = OUT / "hagiang.xml"
    wxr.write_text(f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Hà Giang</title>{items}</channel></rss>""", encoding="utf-8")
    district = [(f"https://vixuyen.hagiang.gov.vn/tin/{i}.html", _edited(rng, province[i])) for i in sorted(reposted)]
    district += [(f"https://vixuyen.hagiang.gov.vn/tin/rieng-{j}.html", _article(rng, n + j)) for j in range(n // 4)]
    rng.shuffle(district)
    feed_items = "".join(f"""<item><title>{escape(a["title"])}</title><link>{url}</link>
<pubDate>Fri, 20 Jun 2025 08:00:00 +0700</pubDate><content:encoded><![CDATA[{_body(a)}]]></content:encoded></item>"""
                         for url, a in district)
    feed = OUT / "vixuyen.xml"
    feed.write_text(f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Vị Xuyên</title>{feed_items}</channel>
</rss>""", encoding="utf-8")
    return wxr, feed, reposted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--reposts", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    os.environ["HOPNHAT_VAR_DIR"] = str(OUT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from hopnhat.portal.importing import run_import
    from hopnhat.portal.models import ArticleOrigin

    wxr, feed, reposted = write_inputs(args.articles, args.reposts, args.seed)
    timings = {}
    for name, kind, path, site in [("wxr", "wxr", wxr, "hagiang.gov.vn"), ("feed", "feed", feed,
                                                                            "vixuyen.hagiang.gov.vn")]:
        started = time.perf_counter()
        result = run_import(kind, {"path": str(path)}, site=site, actor="system:bench")
        seconds = time.perf_counter() - started
        timings[name] = {"records": result["totals"]["read"], "seconds": round(seconds, 2),
                         "records_per_s": round(result["totals"]["read"] / seconds, 1),
                         "outcomes": result["totals"]["outcomes"], "balanced": result["balanced"]}
    merged_right = merged_wrong = 0
    for origin in ArticleOrigin.objects.filter(old_site="vixuyen.hagiang.gov.vn").select_related("page"):
        first = origin.page.origins.order_by("pk").first()
        if first.pk == origin.pk:
            continue                                       # loaded as its own page
        expected = origin.old_url.rsplit("/", 1)[1].removesuffix(".html")
        if first.old_url == f"https://hagiang.gov.vn/bai/{expected}/":
            merged_right += 1
        else:
            merged_wrong += 1
    merges = merged_right + merged_wrong
    print(json.dumps({
        "articles": args.articles, "reposts": len(reposted), "district_own_articles": args.articles // 4,
        "imports": timings,
        "near_duplicates": {"merged_correctly": merged_right, "merged_wrongly": merged_wrong,
                            "precision": round(merged_right / merges, 4) if merges else None,
                            "recall": round(merged_right / len(reposted), 4) if reposted else None},
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
