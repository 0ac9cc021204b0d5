"""A crawl of a live old portal, served by a local http.server started by the test."""

import hashlib
import io
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from hopnhat.portal.models import ArticleOrigin, ArticlePage
from hopnhat.portal.sources.crawl import CrawlSource

from .conftest import NOTICE, OTHER


def _article(title, text, extra=""):
    return (f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta name='author' content='Văn phòng UBND huyện'>"
            f"<meta property='article:published_time' content='2025-06-20'></head><body>"
            f"<nav><a href='/'>Trang chủ</a> <a href='/noi-bo/mat.html'>Nội bộ</a></nav>"
            f"<article><h1>{title}</h1><p>{text}</p><p>{text}</p>{extra}</article>"
            f"<footer>Cổng TTĐT huyện Vị Xuyên</footer></body></html>")


PDF = b"%PDF-1.4\n% bien ban ban giao\n" + b"0" * 5000


def _png():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def old_portal(tmp_path):
    """An old district portal on 127.0.0.1: sitemap, robots.txt with a private area, a link off-site."""
    root = tmp_path / "site"
    (root / "tin").mkdir(parents=True)
    (root / "noi-bo").mkdir()
    (root / "files").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /noi-bo/\n")
    (root / "tin" / "1.html").write_text(_article(
        "Bàn giao hồ sơ cho xã Vị Xuyên", NOTICE,
        "<p><img src='/files/anh.png' alt='Lễ bàn giao'></p><p><a href='/files/bien-ban.pdf'>Biên bản</a></p>"
        "<script>alert('x')</script>"), encoding="utf-8")
    (root / "tin" / "2.html").write_text(_article("Ra quân trồng cây đầu xuân", OTHER), encoding="utf-8")
    (root / "tin" / "3.html").write_text(_article("Lịch tiếp công dân", OTHER.replace("Phú Linh", "Đạo Đức")
                                                  .replace("500", "700") + " Tiếp công dân vào thứ Năm."),
                                         encoding="utf-8")
    (root / "noi-bo" / "mat.html").write_text(_article("Tài liệu nội bộ", OTHER), encoding="utf-8")
    (root / "files" / "anh.png").write_bytes(_png())
    (root / "files" / "bien-ban.pdf").write_bytes(PDF)
    (root / "index.html").write_text("<html><body><a href='/tin/3.html'>Lịch</a>"
                                     "<a href='https://quangcao.example/'>Quảng cáo</a></body></html>",
                                     encoding="utf-8")
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requests.append((time.monotonic(), self.path))
            return super().do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host = f"127.0.0.1:{server.server_address[1]}"
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>http://{host}{p}</loc></url>" for p in ["/tin/1.html", "/tin/2.html",
                                                                       "/noi-bo/mat.html"])
        + "<url><loc>http://quangcao.example/tin.html</loc></url></urlset>")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://{host}", "host": host, "requests": requests}
    server.shutdown()
    server.server_close()


def test_crawl_follows_sitemap_and_links_obeys_robots_and_stays_on_host(old_portal):
    source = CrawlSource({"url": old_portal["base"] + "/", "site": old_portal["host"], "delay": 0.2})
    records = list(source.records())
    assert sorted(r.key for r in records) == [old_portal["base"] + p for p in ["/tin/1.html", "/tin/2.html",
                                                                               "/tin/3.html"]]
    paths = [p for _, p in old_portal["requests"]]
    assert "/noi-bo/mat.html" not in paths and paths[0] == "/robots.txt"
    times = [t for t, _ in old_portal["requests"]]
    # The client spaces its requests 0.2 s apart; the server sees them with a little scheduling jitter.
    assert all(b - a >= 0.15 for a, b in zip(times, times[1:], strict=False)), "one request per delay per host"
    first = next(r for r in records if r.key.endswith("/tin/1.html"))
    assert first.data["title"] == "Bàn giao hồ sơ cho xã Vị Xuyên"
    assert first.data["attachments"] == [{"url": old_portal["base"] + "/files/bien-ban.pdf", "title": "Biên bản"}]


def test_crawl_import_through_the_engine(old_portal, units):
    from hopnhat.portal.importing import run_import

    result = run_import("crawl", {"url": old_portal["base"] + "/", "delay": 0.01}, site=old_portal["host"],
                        unit=units["vi_xuyen"], actor="system:test")
    assert result["balanced"] is True
    assert result["totals"]["outcomes"] == {"loaded": 3, "merged": 0, "quarantined": 0, "filtered": 0}
    page = ArticlePage.objects.get(title="Bàn giao hồ sơ cho xã Vị Xuyên")
    assert "<script" not in page.body and "alert" not in page.body
    assert 'embedtype="image"' in page.body     # the image is ours now, not a hot link to the old host
    kept = {f.file.first_url: f.file for f in page.files.select_related("file")}
    pdf = kept[old_portal["base"] + "/files/bien-ban.pdf"]
    assert pdf.document_id and pdf.size == len(PDF) and pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert ArticleOrigin.objects.get(page=page).unit == units["vi_xuyen"]
