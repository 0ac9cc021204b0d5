"""A site's reading rules changed after its mappings were saved: the stored paths are read again under the new
rule, or — when two would fall on one path — nothing changes and the collisions are listed."""

import pytest
from django.core.management import CommandError, call_command

from hopnhat.core.models import AuditEntry
from hopnhat.portal.crosswalk.api import MappingError, configure_site, decide, ensure_site
from hopnhat.portal.crosswalk.models import Mapping, MappingVersion, OldSite
from hopnhat.portal.crosswalk.resolve import resolve

from .conftest import ACTOR

NEW = "https://tuyenquang.gov.vn"


@pytest.fixture
def strict_site(db):
    """An old Apache portal read case-sensitively, trailing slash significant, ?id and ?cat significant."""
    site = ensure_site("xahoangsuphi.hagiang.gov.vn", actor=ACTOR)
    configure_site(site, actor=ACTOR, case_insensitive=False, trailing_slash_significant=True,
                   significant_query="id:cat")
    return site


def _paths(site) -> set[str]:
    return set(Mapping.objects.filter(site=site).values_list("path", flat=True))


def test_turning_case_insensitivity_on_rewrites_stored_paths(strict_site):
    exact, _ = decide(strict_site, "/Tin-Tuc/Lu-Quet.html", actor=ACTOR, type="redirect",
                      target_url=NEW + "/tin-tuc/lu-quet")
    decide(strict_site, "/Gioi-Thieu/*", actor=ACTOR, type="redirect", target_url=NEW + "/gioi-thieu",
           append_path=True)
    assert resolve("xahoangsuphi.hagiang.gov.vn", "/tin-tuc/lu-quet.html").kind == "not_found"

    changes = configure_site(strict_site, actor=ACTOR, case_insensitive=True)

    assert changes["recanonicalised"] == 2
    assert _paths(strict_site) == {"/tin-tuc/lu-quet.html", "/gioi-thieu"}
    assert resolve("xahoangsuphi.hagiang.gov.vn", "/TIN-TUC/Lu-Quet.html").target == NEW + "/tin-tuc/lu-quet"
    # The rest of a prefix rule keeps the request's own case.
    assert resolve("xahoangsuphi.hagiang.gov.vn", "/gioi-thieu/Lich-Su").target == NEW + "/gioi-thieu/Lich-Su"
    version = MappingVersion.objects.get(mapping=exact, action="crosswalk.recanonicalise")
    assert version.version == 2 and version.data["previous_path"] == "/Tin-Tuc/Lu-Quet.html"
    assert version.data["path"] == "/tin-tuc/lu-quet.html"
    entry = AuditEntry.objects.filter(action="crosswalk.site.configure").order_by("-pk").first()
    assert entry.data["recanonicalised"] == 2 and entry.data["changes"] == {"case_insensitive": True}


def test_trailing_slash_and_dropped_query_parameter_are_re_read(strict_site):
    decide(strict_site, "/lich-tiep-dan/", actor=ACTOR, type="unresolved")
    decide(strict_site, "/Default.aspx?id=7&cat=2", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc/7")
    configure_site(strict_site, actor=ACTOR, trailing_slash_significant=False, significant_query="id")
    assert _paths(strict_site) == {"/lich-tiep-dan", "/Default.aspx?id=7"}
    assert resolve("xahoangsuphi.hagiang.gov.vn", "/Default.aspx/", "cat=9&id=7").target == NEW + "/tin-tuc/7"


def test_collisions_refuse_the_change_and_name_every_mapping(strict_site):
    decide(strict_site, "/Tin-Tuc", actor=ACTOR, type="redirect", target_url=NEW + "/tin-tuc")
    decide(strict_site, "/tin-tuc", actor=ACTOR, type="archive", archive_url=NEW + "/luu-tru/tin-tuc")
    decide(strict_site, "/Lien-He", actor=ACTOR, type="redirect", target_url=NEW + "/lien-he")
    before = _paths(strict_site)

    with pytest.raises(MappingError) as refused:
        configure_site(strict_site, actor=ACTOR, case_insensitive=True)

    assert "/Tin-Tuc, /tin-tuc → /tin-tuc" in str(refused.value) and "trùng nhau" in str(refused.value)
    [conflict] = refused.value.details["conflicts"]
    assert conflict["path"] == "/tin-tuc"
    assert {(m["path"], m["type"]) for m in conflict["mappings"]} == {("/Tin-Tuc", "redirect"),
                                                                      ("/tin-tuc", "archive")}
    assert _paths(strict_site) == before  # nothing rewritten, not even /Lien-He
    assert OldSite.objects.get(pk=strict_site.pk).case_insensitive is False
    assert strict_site.case_insensitive is False

    # A person settles it (the archive goes), and the change goes through.
    Mapping.objects.get(site=strict_site, path="/tin-tuc").delete()
    configure_site(strict_site, actor=ACTOR, case_insensitive=True)
    assert _paths(strict_site) == {"/tin-tuc", "/lien-he"}


def test_the_site_command_reports_collisions(strict_site):
    decide(strict_site, "/a/", actor=ACTOR, type="unresolved")
    decide(strict_site, "/a", actor=ACTOR, type="unresolved")
    with pytest.raises(CommandError, match=r"/a/, /a → /a|/a, /a/ → /a"):
        call_command("portal", "site", "xahoangsuphi.hagiang.gov.vn", "--no-trailing-slash-significant")
    assert _paths(strict_site) == {"/a/", "/a"}
