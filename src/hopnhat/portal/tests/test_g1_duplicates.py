"""Issue 19: near-duplicate merging merges only true duplicates. The same procedure announced for two communes,
or the same notice for another date or amount, are different documents; an uncertain pair is kept apart and
queued for review."""

import pytest

from hopnhat.consolidation.models import ReviewItem
from hopnhat.portal import fingerprint
from hopnhat.portal.importing import run_import
from hopnhat.portal.models import ArticlePage

from .conftest import NOTICE, wxr, wxr_item

ACTOR = "system:test"
ANNOUNCEMENT = ("UBND xã {xa} thông báo lịch tiếp nhận hồ sơ cấp đổi căn cước cho công dân trên địa bàn. Công an xã "
                "{xa} tổ chức thu nhận vân tay, ảnh chân dung tại hội trường trụ sở từ 7 giờ 30 đến 11 giờ các ngày "
                "{ngay}. Công dân mang theo thẻ căn cước cũ hoặc giấy tờ tùy thân, sổ hộ khẩu nếu có. Người già yếu, "
                "người khuyết tật được thu nhận tại nhà theo đăng ký với trưởng thôn trước ngày làm việc. Lệ phí "
                "{phi} đồng mỗi thẻ; trẻ em dưới 14 tuổi không phải nộp. Mọi thắc mắc liên hệ đường dây nóng của "
                "UBND xã để được hướng dẫn cụ thể, kịp thời.")


def _text(xa="Minh Tân", ngay="12/6 và 13/6/2025", phi="50.000"):
    return ANNOUNCEMENT.format(xa=xa, ngay=ngay, phi=phi)


def _score(a, b):
    return fingerprint.similarity(fingerprint.signature(a), fingerprint.signature(b))


@pytest.mark.parametrize(("other", "expected"), [
    (_text(xa="Thuận Hòa"), "distinct"),                                  # another commune
    (_text(ngay="19/6 và 20/6/2025"), "distinct"),                        # another date
    (_text(phi="30.000"), "review"),                                      # one amount changed: a correction?
    (_text() + " Nguồn: Cổng TTĐT tỉnh Hà Giang.", "merge"),              # a source line added
    (_text().replace("hội trường trụ sở", "hội trường UBND"), "merge"),  # a light edit
])
def test_verdict(other, expected):
    base = _text()
    assert fingerprint.verdict(_score(base, other), fingerprint.facts(base), fingerprint.facts(other)) == expected


def test_uncertain_similarity_with_the_same_facts_is_review():
    same = {("place", "xa", "minh tan")}
    assert fingerprint.verdict(0.6, same, same) == "review"
    # A fact in another slot is an addition, not a substitution: "Thông báo 215" against "năm 2025".
    assert not fingerprint.facts_differ(fingerprint.facts("Thông báo 215 của tỉnh"),
                                        fingerprint.facts("Thông báo của tỉnh năm 2025"))
    assert fingerprint.facts_differ(fingerprint.facts("xã Minh Tân"), fingerprint.facts("xã Thuận Hòa"))
    assert fingerprint.verdict(0.3, set(), set()) == "distinct"


def test_the_same_procedure_for_two_communes_is_two_articles_and_a_correction_is_queued(tmp_path, units):
    path = tmp_path / "tq.xml"
    path.write_text(wxr(
        wxr_item(1, "Lịch cấp đổi căn cước tại xã Minh Tân", f"<p>{_text()}</p>"),
        wxr_item(2, "Lịch cấp đổi căn cước tại xã Thuận Hòa", f"<p>{_text(xa='Thuận Hòa')}</p>"),
        wxr_item(3, "Lịch cấp đổi căn cước tại xã Minh Tân", f"<p>{_text(phi='30.000')}</p>"),
        wxr_item(4, "Lịch cấp đổi căn cước tại xã Minh Tân", f"<p>{_text()} Nguồn: Cổng TTĐT tỉnh Hà Giang.</p>"),
        wxr_item(5, "Thông báo sắp xếp", f"<p>{NOTICE}</p>"),
    ), encoding="utf-8")
    result = run_import("wxr", {"path": str(path)}, site="hagiang.gov.vn", unit="02", actor=ACTOR)
    assert result["totals"]["outcomes"] == {"loaded": 4, "merged": 1, "quarantined": 0, "filtered": 0}
    minh_tan = ArticlePage.objects.filter(title="Lịch cấp đổi căn cước tại xã Minh Tân").order_by("pk")
    assert minh_tan.count() == 2 and minh_tan[0].origins.count() == 2     # the re-post with a source line merged
    assert ArticlePage.objects.filter(title__endswith="Thuận Hòa").count() == 1
    (item,) = ReviewItem.objects.filter(kind="portal.near-duplicate")
    assert {item.left_pk, item.right_pk} == {str(minh_tan[0].pk), str(minh_tan[1].pk)} or \
        {int(item.left_pk), int(item.right_pk)} == {minh_tan[0].pk, minh_tan[1].pk}
    assert "number phi 30000" in item.detail["differ"] and "number phi 50000" in item.detail["differ"]
