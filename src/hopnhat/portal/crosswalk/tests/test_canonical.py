import unicodedata

import pytest

from hopnhat.portal.crosswalk.canonical import BadOldUrl, canonical, canonical_rule, prefix_candidates, split_url
from hopnhat.portal.crosswalk.models import OldSite


def site(**options):
    return OldSite(host="hagiang.gov.vn", **options)


def test_case_and_trailing_slash_and_tracking_parameters_meet_on_one_path():
    s = site()
    forms = ["/Tin-Tuc/Kinh-Te/", "/tin-tuc/kinh-te", "/tin%2Dtuc//kinh-te", "/TIN-TUC/kinh-te/?utm_source=zalo"]
    assert {canonical(s, *f.partition("?")[::2]) for f in forms} == {"/tin-tuc/kinh-te"}


def test_vietnamese_paths_precomposed_decomposed_and_encoded_are_one():
    s = site()
    nfc = "/tin-tức/Lễ-hội-Đền-Hùng"
    nfd = unicodedata.normalize("NFD", nfc)
    encoded = "/tin-t%E1%BB%A9c/L%E1%BB%85-h%E1%BB%99i-%C4%90%E1%BB%81n-H%C3%B9ng"
    expected = "/tin-t%E1%BB%A9c/l%E1%BB%85-h%E1%BB%99i-%C4%91%E1%BB%81n-h%C3%B9ng"
    assert canonical(s, nfc) == canonical(s, nfd) == canonical(s, encoded) == expected


def test_case_sensitive_site_keeps_case_and_significant_trailing_slash():
    s = site(case_insensitive=False, trailing_slash_significant=True)
    assert canonical(s, "/VanBan/") == "/VanBan/"
    assert canonical(s, "/VanBan") == "/VanBan"


def test_only_significant_query_parameters_are_kept_sorted():
    s = site(significant_query="id:cat")
    assert canonical(s, "/Default.aspx", "utm_source=fb&ID=1234&cat=5") == "/default.aspx?cat=5&id=1234"
    assert canonical(s, "/default.aspx", "page=2") == "/default.aspx"


def test_non_utf8_bytes_from_legacy_encodings_survive_byte_for_byte():
    s = site()
    assert canonical(s, "/tin/%E0%E1") == "/tin/%E0%E1"


def test_prefix_rules_and_their_candidates():
    s = site()
    assert canonical_rule(s, "/Tin-Tuc/*") == ("prefix", "/tin-tuc")
    assert canonical_rule(s, "/*") == ("prefix", "/")
    assert canonical_rule(s, "/a/b/") == ("exact", "/a/b")
    assert prefix_candidates("/a/b/c?id=1") == ["/a/b/c", "/a/b", "/a", "/"]


def test_old_urls_must_be_absolute_http():
    assert split_url("HTTP://WWW.HaGiang.gov.vn:8080/a?b=1") == ("www.hagiang.gov.vn", "/a", "b=1")
    with pytest.raises(BadOldUrl):
        split_url("/tin-tuc")
    with pytest.raises(BadOldUrl):
        split_url("ftp://hagiang.gov.vn/x")
