"""The four old-portal readers, on their own: what each yields, and what hostile input turns into."""

import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from hopnhat.portal.sources.feed import FeedSource
from hopnhat.portal.sources.warc import WarcSource
from hopnhat.portal.sources.wxr import WxrSource

from .conftest import NOTICE, OTHER, wxr, wxr_item

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>"""


def _records(cls, tmp_path, name, text, **config):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(cls({"path": str(path), "site": "hagiang.gov.vn", **config}).records())


def test_wxr_item_keeps_everything_the_old_portal_had(tmp_path):
    attachment = """<item><title>Thông báo số 215</title><wp:post_id>2</wp:post_id><wp:post_parent>1</wp:post_parent>
<wp:post_type>attachment</wp:post_type><wp:attachment_url>https://hagiang.gov.vn/wp-content/uploads/tb-215.pdf
</wp:attachment_url></item>"""
    (record,) = _records(WxrSource, tmp_path, "export.xml", wxr(wxr_item(1, "Thông báo sắp xếp", f"<p>{NOTICE}</p>"),
                                                                 attachment))
    data = record.data
    assert record.key == "https://hagiang.gov.vn/2025/06/bai-1/"
    assert data["title"] == "Thông báo sắp xếp"
    assert data["author"] == "Văn phòng UBND tỉnh"
    assert data["published"] == "2025-06-16 08:00:00"
    assert data["categories"] == ["Thông báo"] and data["tags"] == ["sáp nhập"]
    assert data["attachments"] == [{"url": "https://hagiang.gov.vn/wp-content/uploads/tb-215.pdf",
                                    "title": "Thông báo số 215"}]
    assert data["aliases"] == ["https://hagiang.gov.vn/?p=1"]
    assert NOTICE in data["body_html"]


def test_wxr_billion_laughs_is_refused_with_a_clear_error(tmp_path):
    text = wxr(wxr_item(1, "&lol3;", "<p>x</p>"), head=BILLION_LAUGHS)
    (record,) = _records(WxrSource, tmp_path, "bom.xml", text)
    assert record.key == "bom.xml#refused"
    assert "bom.xml" in record.data["error"] and "DTD" in record.data["error"]


def test_wxr_external_entity_is_refused(tmp_path):
    head = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    (record,) = _records(WxrSource, tmp_path, "xxe.xml", wxr(wxr_item(1, "&xxe;", "<p>x</p>"), head=head))
    assert "root:" not in str(record.data) and record.data["error"]


def test_wxr_broken_in_the_middle_keeps_the_items_before_and_names_the_line(tmp_path):
    good = wxr_item(1, "Thông báo", f"<p>{NOTICE}</p>")
    text = wxr(good, "<item><title>Hỏng</title><link>https://hagiang.gov.vn/x</link><oops></item>")
    records = _records(WxrSource, tmp_path, "broken.xml", text)
    assert [r.data.get("title") for r in records[:1]] == ["Thông báo"]
    error = records[-1]
    assert error.key.startswith("broken.xml#line-")
    line = int(error.key.rsplit("-", 1)[1])
    assert f"dòng {line}" in error.data["error"] and f"line {line}" in error.data["error"]


def test_rss_and_atom_items(tmp_path):
    rss = f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Sở GD&amp;ĐT Tuyên Quang</title>
<item><title>Hướng dẫn tuyển sinh lớp 10</title><link>https://sgddt.tuyenquang.gov.vn/tin/1.html</link>
<pubDate>Thu, 10 Apr 2025 08:00:00 +0700</pubDate><author>phongtrunghoc@tuyenquang.gov.vn</author>
<category>Tuyển sinh</category><description>Tóm tắt</description>
<content:encoded><![CDATA[<p>{OTHER}</p>]]></content:encoded>
<enclosure url="https://sgddt.tuyenquang.gov.vn/files/hd.pdf" type="application/pdf" length="10"/>
<enclosure url="https://sgddt.tuyenquang.gov.vn/files/anh.jpg" type="image/jpeg" length="10"/></item>
</channel></rss>"""
    (item,) = _records(FeedSource, tmp_path, "rss.xml", rss, site="sgddt.tuyenquang.gov.vn")
    assert item.data["title"] == "Hướng dẫn tuyển sinh lớp 10"
    assert item.data["summary"] == "Tóm tắt" and OTHER in item.data["body_html"]
    assert item.data["images"] == ["https://sgddt.tuyenquang.gov.vn/files/anh.jpg"]
    assert item.data["attachments"] == [{"url": "https://sgddt.tuyenquang.gov.vn/files/hd.pdf", "title": ""}]
    atom = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>UBND thị trấn Vị Xuyên</title><entry><title>Lịch tiếp công dân tháng 6</title>
<link rel="alternate" href="https://ttvixuyen.hagiang.gov.vn/tin/lich.html"/><published>2025-06-02T08:00:00+07:00</published>
<author><name>UBND thị trấn Vị Xuyên</name></author><category term="Tin hoạt động"/>
<content type="html">&lt;p&gt;{OTHER}&lt;/p&gt;</content></entry></feed>"""
    (entry,) = _records(FeedSource, tmp_path, "atom.xml", atom, site="ttvixuyen.hagiang.gov.vn")
    assert entry.key == "https://ttvixuyen.hagiang.gov.vn/tin/lich.html"
    assert entry.data["author"] == "UBND thị trấn Vị Xuyên" and entry.data["categories"] == ["Tin hoạt động"]
    assert entry.data["published"] == "2025-06-02T08:00:00+07:00"


def _warc(path, pages):
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, ctype, payload in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                          http_headers=headers))


def _page(title, text):
    return (f"<html><head><title>{title}</title></head><body><ul class='menu'><li><a href='/'>Trang chủ</a></li>"
            f"</ul><article><h1>{title}</h1><p>{text}</p><p>{text}</p>"
            f"<p>Tải về: <a href='/files/ke-hoach.pdf'>Kế hoạch 125</a></p></article>"
            f"<footer>Bản quyền UBND huyện Vị Xuyên</footer></body></html>").encode()


def test_warc_pages_become_items_and_files_come_from_the_archive(tmp_path):
    path = tmp_path / "vixuyen.warc.gz"
    _warc(path, [
        ("https://vixuyen.hagiang.gov.vn/tin/trong-cay.html", "text/html; charset=utf-8",
         _page("Ra quân trồng cây đầu xuân", OTHER)),
        ("https://vixuyen.hagiang.gov.vn/files/ke-hoach.pdf", "application/pdf", b"%PDF-1.4 ke hoach"),
        ("https://quangcao.example/tin.html", "text/html", _page("Quảng cáo", OTHER)),
    ])
    source = WarcSource({"path": str(path), "site": "vixuyen.hagiang.gov.vn"})
    (item,) = list(source.records())
    assert item.data["title"] == "Ra quân trồng cây đầu xuân"
    assert "Phú Linh" in item.data["body_html"] and "Bản quyền" not in item.data["body_html"]
    assert item.data["attachments"] == [{"url": "https://vixuyen.hagiang.gov.vn/files/ke-hoach.pdf",
                                         "title": "Kế hoạch 125"}]
    assert source.open_media("https://vixuyen.hagiang.gov.vn/files/ke-hoach.pdf") == b"%PDF-1.4 ke hoach"


def test_damaged_warc_keeps_earlier_pages_and_reports_the_offset(tmp_path):
    path = tmp_path / "cut.warc.gz"
    _warc(path, [("https://vixuyen.hagiang.gov.vn/tin/1.html", "text/html", _page("Tin một", OTHER)),
                 ("https://vixuyen.hagiang.gov.vn/tin/2.html", "text/html", _page("Tin hai", NOTICE))])
    data = path.read_bytes()
    second = data.index(b"\x1f\x8b", 10)      # where the second record's gzip member starts
    path.write_bytes(data[: second + 40] + b"\x00" * 60 + data[second + 100:])     # a damaged disk block
    records = list(WarcSource({"path": str(path), "site": "vixuyen.hagiang.gov.vn"}).records())
    assert records[0].data["title"] == "Tin một"
    assert "cut.warc.gz" in records[-1].data["error"] and "offset" in records[-1].data["error"]


def test_very_long_old_urls_get_a_short_unique_key(tmp_path):
    long_link = "https://hagiang.gov.vn/index.php?option=com_content&view=article&" + "&".join(
        f"tham_so_{i}=gia_tri_{i}" for i in range(60))
    (record,) = _records(WxrSource, tmp_path, "long.xml", wxr(wxr_item(1, "Thông báo", f"<p>{NOTICE}</p>",
                                                                        link=long_link.replace("&", "&amp;"))))
    assert len(record.key) <= 500 and record.key.startswith(long_link[:400]) and "#sha256:" in record.key
    assert record.data["url"] == long_link
