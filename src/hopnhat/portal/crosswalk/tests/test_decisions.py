"""Precedence, the allow-list, loops, and the edit history of decisions."""

import pytest
from wagtail.models import Page

from hopnhat.core.audit import verify_chain
from hopnhat.core.models import AuditEntry
from hopnhat.portal.crosswalk.api import MappingError, decide, map_url
from hopnhat.portal.crosswalk.models import AllowedHost, GlobalType, Mapping, MappingVersion
from hopnhat.portal.crosswalk.resolve import resolve_url

from .conftest import ACTOR

NEW = "https://tuyenquang.gov.vn"


def test_precedence_exact_then_longest_prefix_then_global(hagiang):
    hagiang.global_type, hagiang.global_url = GlobalType.REDIRECT, NEW + "/"
    hagiang.save()
    decide(hagiang, "/tin-tuc/*", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc")
    decide(hagiang, "/tin-tuc/kinh-te/*", actor=ACTOR, type="redirect", target_url=NEW + "/kinh-te",
           append_path=True)
    decide(hagiang, "/tin-tuc/kinh-te/ca-phe-hoa-tam-giac-mach", actor=ACTOR, type="archive",
           archive_url=NEW + "/luu-tru/ha-giang/1")

    exact = resolve_url("http://hagiang.gov.vn/Tin-Tuc/Kinh-Te/Ca-Phe-Hoa-Tam-Giac-Mach/")
    assert (exact.kind, exact.status, exact.rule) == ("archive", 410, "exact")
    longest = resolve_url("http://www.hagiang.gov.vn/tin-tuc/kinh-te/2019/thi-truong-cam-sanh")
    assert (longest.status, longest.rule) == (301, "prefix")
    assert longest.location == NEW + "/kinh-te/2019/thi-truong-cam-sanh"
    shorter = resolve_url("http://hagiang.gov.vn/tin-tuc/van-hoa")
    assert (shorter.rule, shorter.location) == ("prefix", NEW + "/tin-tuc")
    fallback = resolve_url("http://hagiang.gov.vn/gioi-thieu")
    assert (fallback.rule, fallback.location) == ("global", NEW + "/")


def test_significant_query_exact_beats_the_bare_path(hagiang):
    decide(hagiang, "/Default.aspx?id=1234", actor=ACTOR, type="redirect", target_url=NEW + "/tin/1234")
    decide(hagiang, "/default.aspx", actor=ACTOR, type="redirect", target_url=NEW + "/")
    assert resolve_url("http://hagiang.gov.vn/default.aspx?utm_source=zalo&ID=1234").location == NEW + "/tin/1234"
    other = resolve_url("http://hagiang.gov.vn/default.aspx?id=99")
    assert (other.rule, other.location) == ("exact-without-query", NEW + "/")


def test_pass_query_appends_the_original_query_string(hagiang):
    hagiang.pass_query = True
    hagiang.save()
    decide(hagiang, "/lien-he", actor=ACTOR, type="redirect", target_url=NEW + "/lien-he?from=hagiang")
    out = resolve_url("http://hagiang.gov.vn/lien-he?utm_campaign=sap-nhap")
    assert out.location == NEW + "/lien-he?from=hagiang&utm_campaign=sap-nhap"


def test_allow_list_refuses_open_redirects(hagiang):
    for bad in ("https://lua-dao.example.com/", "//lua-dao.example.com/x", "javascript:alert(1)",
                "https://user:pw@tuyenquang.gov.vn/"):
        with pytest.raises(MappingError):
            decide(hagiang, "/dang-nhap", actor=ACTOR, type="redirect", target_url=bad)
    assert not Mapping.objects.filter(site=hagiang, path="/dang-nhap").exists()
    AllowedHost.objects.create(pattern=".vnpt.vn", note="hợp đồng dịch vụ cổng cũ")
    decide(hagiang, "/dang-nhap", actor=ACTOR, type="redirect", target_url="https://dichvu.vnpt.vn/hg")
    assert resolve_url("http://hagiang.gov.vn/dang-nhap").status == 301
    # Taking the host off the list later: the edge answers 501 rather than send people there.
    AllowedHost.objects.all().delete()
    refused = resolve_url("http://hagiang.gov.vn/dang-nhap")
    assert (refused.kind, refused.status) == ("refused", 501)


def test_redirect_loops_and_endless_chains_are_refused(hagiang, trucbach):
    decide(hagiang, "/phuong-truc-bach", actor=ACTOR, type="redirect",
           target_url="http://phuongtrucbach.hanoi.gov.vn/gioi-thieu")
    with pytest.raises(MappingError, match="vòng lặp"):
        decide(trucbach, "/Gioi-Thieu/", actor=ACTOR, type="redirect",
               target_url="http://www.hagiang.gov.vn/phuong-truc-bach")
    with pytest.raises(MappingError, match="vòng lặp"):
        decide(hagiang, "/a", actor=ACTOR, type="redirect", target_url="http://hagiang.gov.vn/A/")
    decide(trucbach, "/gioi-thieu", actor=ACTOR, type="redirect", target_url="https://hanoi.gov.vn/ba-dinh")
    assert resolve_url("http://hagiang.gov.vn/phuong-truc-bach").location.endswith("/gioi-thieu")


def test_every_change_is_versioned_and_audited_and_repeats_change_nothing(hagiang):
    m, changed = decide(hagiang, "/van-ban", actor=ACTOR, type="unresolved")
    assert changed
    decide(hagiang, "/van-ban", actor="nguyen.thi.lan", type="redirect", target_url=NEW + "/van-ban")
    _, again = decide(hagiang, "/van-ban", actor="nguyen.thi.lan", type="redirect", target_url=NEW + "/van-ban")
    assert not again
    versions = list(MappingVersion.objects.filter(mapping=m).values_list("version", "data__type", "actor"))
    assert versions == [(1, "unresolved", ACTOR), (2, "redirect", "nguyen.thi.lan")]
    entries = AuditEntry.objects.filter(object_type="portal_crosswalk.mapping", object_pk=str(m.pk))
    assert [e.data["after"]["type"] for e in entries] == ["unresolved", "redirect"]
    assert entries.last().data["before"]["type"] == "unresolved"
    assert verify_chain().ok


def test_map_url_from_an_importer_to_a_page_and_to_an_archive(units, portal_home):
    page = portal_home.add_child(instance=Page(title="Lễ hội Hoa Tam Giác Mạch", slug="le-hoi-hoa-tam-giac-mach"))
    m = map_url("http://hagiang.gov.vn/Tin-Tuc/Le-Hoi-Hoa-Tam-Giac-Mach.html", page=page, actor=ACTOR,
                unit=units.ha_giang)
    assert m.site.host == "hagiang.gov.vn" and m.site.unit == units.ha_giang
    assert resolve_url("http://hagiang.gov.vn/tin-tuc/le-hoi-hoa-tam-giac-mach.html").location == \
        "https://tuyenquang.gov.vn/le-hoi-hoa-tam-giac-mach/"
    # The page moves: the redirect follows it, no mapping to edit.
    page.slug = "hoa-tam-giac-mach"
    page.save_revision().publish()
    assert resolve_url("http://hagiang.gov.vn/tin-tuc/le-hoi-hoa-tam-giac-mach.html").location.endswith(
        "/hoa-tam-giac-mach/")
    same = map_url("http://hagiang.gov.vn/Tin-Tuc/Le-Hoi-Hoa-Tam-Giac-Mach.html", page=page, actor=ACTOR)
    assert same.version == m.version
    archived = map_url("http://hagiang.gov.vn/thong-bao/2016/mat-dien.html", kind="archive",
                       url=NEW + "/luu-tru/ha-giang/mat-dien-2016", actor=ACTOR)
    out = resolve_url("http://hagiang.gov.vn/thong-bao/2016/mat-dien.html")
    assert (out.status, out.archive_copy) == (410, archived.archive_url)
    with pytest.raises(MappingError):
        map_url("http://hagiang.gov.vn/x", actor=ACTOR)  # a redirect needs somewhere to go
