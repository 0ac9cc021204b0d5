"""The few real units the portal tests need (Hà Giang and Tuyên Quang merged into Tuyên Quang; thị trấn Vị Xuyên
into xã Vị Xuyên, reusing code 00913; xã Yên Định split), and small old-portal inputs written per test.

Units and edges are got-or-created by identity, so the fixture agrees with the national graph when another test
has loaded it (the facts here are the national data's own)."""

import pytest

from hopnhat.org.models import (
    LAST_OLD_DAY,
    REFORM_DATE,
    AdminUnit,
    Level,
    SuccessionKind,
    UnitSuccession,
    Vintage,
)


def _unit(vintage, level, code, name, unit_type, parent=None, province=None):
    old = vintage == Vintage.OLD
    unit, created = AdminUnit.objects.get_or_create(vintage=vintage, level=level, code=code, defaults=dict(
        name=name, short_name=name[len(unit_type) + 1:], unit_type=unit_type, parent=parent, province=province,
        valid_from=None if old else REFORM_DATE, valid_to=LAST_OLD_DAY if old else None))
    if created and level == Level.PROVINCE:
        unit.province = unit
        unit.save()
    return unit


def _edge(old, new, kind=SuccessionKind.WHOLE, default=True):
    UnitSuccession.objects.get_or_create(predecessor=old, successor=new, defaults=dict(
        kind=kind, is_default=default, effective_date=REFORM_DATE))


@pytest.fixture
def units(db):
    OLD, N, P, D, W = Vintage.OLD, Vintage.NEW, Level.PROVINCE, Level.DISTRICT, Level.WARD
    ha_giang = _unit(OLD, P, "02", "Tỉnh Hà Giang", "Tỉnh")
    tuyen_quang_old = _unit(OLD, P, "08", "Tỉnh Tuyên Quang", "Tỉnh")
    tuyen_quang = _unit(N, P, "08", "Tỉnh Tuyên Quang", "Tỉnh")
    vi_xuyen = _unit(OLD, D, "030", "Huyện Vị Xuyên", "Huyện", ha_giang, ha_giang)
    bac_me = _unit(OLD, D, "031", "Huyện Bắc Mê", "Huyện", ha_giang, ha_giang)
    tt_vi_xuyen = _unit(OLD, W, "00913", "Thị trấn Vị Xuyên", "Thị trấn", vi_xuyen, ha_giang)
    tt_viet_lam = _unit(OLD, W, "00916", "Thị trấn Nông trường Việt Lâm", "Thị trấn", vi_xuyen, ha_giang)
    yen_dinh = _unit(OLD, W, "00988", "Xã Yên Định", "Xã", bac_me, ha_giang)
    xa_vi_xuyen = _unit(N, W, "00913", "Xã Vị Xuyên", "Xã", tuyen_quang, tuyen_quang)
    ha_giang_2 = _unit(N, W, "00691", "Phường Hà Giang 2", "Phường", tuyen_quang, tuyen_quang)
    ngoc_duong = _unit(N, W, "00700", "Xã Ngọc Đường", "Xã", tuyen_quang, tuyen_quang)
    minh_ngoc = _unit(N, W, "00994", "Xã Minh Ngọc", "Xã", tuyen_quang, tuyen_quang)
    _edge(ha_giang, tuyen_quang)
    _edge(tuyen_quang_old, tuyen_quang)
    _edge(tt_vi_xuyen, xa_vi_xuyen)
    _edge(tt_viet_lam, xa_vi_xuyen)
    _edge(vi_xuyen, xa_vi_xuyen, SuccessionKind.PARTIAL, True)
    _edge(vi_xuyen, ha_giang_2, SuccessionKind.PARTIAL, False)
    _edge(yen_dinh, ngoc_duong, SuccessionKind.PARTIAL, True)
    _edge(yen_dinh, minh_ngoc, SuccessionKind.PARTIAL, False)
    return {"ha_giang": ha_giang, "tuyen_quang_old": tuyen_quang_old, "tuyen_quang": tuyen_quang,
            "vi_xuyen": vi_xuyen, "tt_vi_xuyen": tt_vi_xuyen, "yen_dinh": yen_dinh, "xa_vi_xuyen": xa_vi_xuyen}


NOTICE = ("Thực hiện Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội về việc sắp xếp đơn vị hành chính cấp "
          "tỉnh, tỉnh Hà Giang và tỉnh Tuyên Quang được hợp nhất thành tỉnh Tuyên Quang. Kể từ ngày 01/7/2025, "
          "chính quyền địa phương được tổ chức theo mô hình hai cấp: cấp tỉnh và cấp xã; không tổ chức cấp huyện. "
          "Người dân, doanh nghiệp tiếp tục nộp hồ sơ thủ tục hành chính tại Trung tâm phục vụ hành chính công của "
          "xã, phường nơi cư trú hoặc trực tuyến trên Cổng Dịch vụ công quốc gia. Các hồ sơ đã tiếp nhận trước "
          "ngày 01/7/2025 được tiếp tục giải quyết, không yêu cầu nộp lại.")
OTHER = ("Sáng 8/2/2025, huyện Vị Xuyên tổ chức lễ phát động Tết trồng cây đời đời nhớ ơn Bác Hồ Xuân Ất Tỵ tại xã "
         "Phú Linh. Hơn 500 cán bộ, đoàn viên và nhân dân đã trồng 3.000 cây keo, lát hoa trên diện tích 5 ha. "
         "Năm 2025, huyện phấn đấu trồng mới 1.200 ha rừng tập trung và 150.000 cây phân tán.")


def wxr_item(post_id, title, body, *, link=None, date="2025-06-16 08:00:00", status="publish", extra=""):
    link = link or f"https://hagiang.gov.vn/2025/06/bai-{post_id}/"
    return f"""<item><title>{title}</title><link>{link}</link>
<dc:creator><![CDATA[Văn phòng UBND tỉnh]]></dc:creator><guid isPermaLink="false">https://hagiang.gov.vn/?p={post_id}</guid>
<content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>{post_id}</wp:post_id><wp:post_date>{date}</wp:post_date>
<wp:status>{status}</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="thong-bao"><![CDATA[Thông báo]]></category>
<category domain="post_tag" nicename="sap-nhap"><![CDATA[sáp nhập]]></category>{extra}</item>"""


def wxr(*items, head='<?xml version="1.0" encoding="UTF-8"?>', tail="</channel></rss>"):
    return f"""{head}
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"><channel>
<title>Cổng Thông tin điện tử tỉnh Hà Giang</title>{"".join(items)}{tail}"""

