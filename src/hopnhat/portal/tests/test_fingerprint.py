"""Near-duplicate scores on real re-posts: small edits stay above the threshold, other articles far below."""

from hopnhat.portal import fingerprint

from .conftest import NOTICE, OTHER


def _score(a, b):
    return fingerprint.similarity(fingerprint.signature(a), fingerprint.signature(b))


def test_light_edits_and_diacritic_variants_are_the_same_article():
    reposted = NOTICE.replace("Trung tâm phục vụ hành chính công", "Bộ phận một cửa") + " Nguồn: Cổng TTĐT tỉnh."
    assert _score(NOTICE, reposted) >= fingerprint.THRESHOLD
    assert _score(NOTICE, NOTICE.replace("hòa", "hoà").upper()) == 1.0      # folded before shingling


def test_different_articles_are_not_merged():
    assert _score(NOTICE, OTHER) < 0.2
    # Same template, different facts: a weekly schedule for another month is another article.
    june = "Lịch tiếp công dân tháng 6/2025: Chủ tịch UBND thị trấn tiếp công dân sáng thứ Năm ngày 05/6 và 19/6."
    july = "Lịch tiếp công dân tháng 7/2025: Chủ tịch UBND xã tiếp công dân sáng thứ Ba ngày 08/7 và 22/7."
    assert _score(june, july) < fingerprint.THRESHOLD


def test_bands_find_candidates_and_are_stable():
    sig = fingerprint.signature(NOTICE)
    assert len(sig) == fingerprint.PERMUTATIONS and fingerprint.signature(NOTICE) == sig
    assert len(fingerprint.bands(sig)) == fingerprint.BANDS
    edited = fingerprint.signature(NOTICE + " Nguồn: Cổng TTĐT tỉnh Hà Giang.")
    assert set(fingerprint.bands(sig)) & set(fingerprint.bands(edited))
    assert fingerprint.signature("") == [] and fingerprint.bands([]) == []
