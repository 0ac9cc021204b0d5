"""Issue 13, finding 8: where an old address may be sent. A plain official may point it at the platform's own
pages and hosts only; a host outside the platform needs a unit administrator over the old site and an allow-list
entry (both audited), so no look-alike `*.gov.vn` phishing host. A decision naming a URL on a mapping that
pointed at a page is applied, not silently shadowed by the page."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from wagtail.models import Page

from hopnhat.core.models import AuditEntry
from hopnhat.org.models import Role, RoleAssignment
from hopnhat.portal.crosswalk.api import MappingError, decide
from hopnhat.portal.crosswalk.models import AllowedHost, Mapping
from hopnhat.portal.crosswalk.resolve import outcome_for

from .conftest import ACTOR

pytestmark = pytest.mark.django_db
LOOK_ALIKE = "https://dichvucong-tuyenquang.gov.vn/dang-nhap"


def _user(username, role, agency):
    user = get_user_model().objects.create_user(username, password="mat-khau-dai-12")
    RoleAssignment.objects.create(user=user, role=role, agency=agency)
    client = Client()
    client.force_login(user)
    return user, client


def _unresolved(site, path):
    return decide(site, path, actor=ACTOR, type="unresolved")[0]


def test_a_plain_official_cannot_send_an_old_address_to_a_gov_vn_look_alike(hagiang, agencies):
    row = _unresolved(hagiang, "/dang-nhap")
    _, client = _user("nguyen.thi.lan", Role.OFFICIAL, agencies.tuyen_quang)
    refused = client.post(f"/cong/dia-chi-cu/{row.pk}/", {"type": "redirect", "target_url": LOOK_ALIKE})
    assert refused.status_code == 400
    assert "chỉ quản trị đơn vị" in refused.content.decode()
    row.refresh_from_db()
    assert row.target_url == ""
    # the platform's own pages and the old hosts we serve stay open to her
    assert client.post(f"/cong/dia-chi-cu/{row.pk}/", {"type": "redirect",
                                                       "target_url": "https://www.hagiang.gov.vn/"}).status_code == 302


def test_a_unit_administrator_needs_an_allow_list_entry_and_it_is_audited(hagiang, agencies):
    row = _unresolved(hagiang, "/dich-vu-cong")
    admin, client = _user("quantri.tuyenquang", Role.UNIT_ADMIN, agencies.tuyen_quang)
    answer = client.post(f"/cong/dia-chi-cu/{row.pk}/", {"type": "redirect", "target_url": LOOK_ALIKE})
    assert answer.status_code == 400 and "danh sách được phép" in answer.content.decode()
    AllowedHost.objects.create(pattern="dichvucong.tuyenquang.gov.vn", note="Cổng dịch vụ công của tỉnh")
    assert AuditEntry.objects.filter(action="portal_crosswalk.allowedhost.create").exists()
    answer = client.post(f"/cong/dia-chi-cu/{row.pk}/", {"type": "redirect", "target_url": LOOK_ALIKE})
    assert answer.status_code == 400   # the look-alike is still not the allowed host
    answer = client.post(f"/cong/dia-chi-cu/{row.pk}/", {
        "type": "redirect", "target_url": "https://dichvucong.tuyenquang.gov.vn/thu-tuc"})
    assert answer.status_code == 302
    entry = AuditEntry.objects.filter(action="crosswalk.mapping.decide", object_pk=str(row.pk)).get()
    assert entry.actor == "quantri.tuyenquang"
    assert entry.data["after"]["target_url"] == "https://dichvucong.tuyenquang.gov.vn/thu-tuc"


def test_a_unit_administrator_of_another_subtree_may_not(hagiang, trucbach, agencies):
    AllowedHost.objects.create(pattern=".tuyenquang.gov.vn")
    row = _unresolved(hagiang, "/lien-he")
    _, client = _user("quantri.hanoi", Role.UNIT_ADMIN, agencies.hanoi)
    assert client.post(f"/cong/dia-chi-cu/{row.pk}/", {   # not hers to see at all
        "type": "redirect", "target_url": "https://dichvucong.tuyenquang.gov.vn/"}).status_code == 404
    with pytest.raises(MappingError, match="chỉ quản trị đơn vị"):
        decide(hagiang, "/lien-he", actor=get_user_model().objects.get(username="quantri.hanoi"),
               type="redirect", target_url="https://dichvucong.tuyenquang.gov.vn/")


def test_a_url_decision_on_a_mapping_that_pointed_at_a_page_is_applied(hagiang, agencies):
    page = Page.get_first_root_node().add_child(instance=Page(title="Giới thiệu", slug="gioi-thieu-b1"))
    row, _ = decide(hagiang, "/gioi-thieu", actor=ACTOR, type="redirect", target_page=page)
    _, client = _user("nguyen.thi.lan", Role.OFFICIAL, agencies.tuyen_quang)
    answer = client.post(f"/cong/dia-chi-cu/{row.pk}/", {"type": "redirect", "target_url": "/tin-tuc/"})
    assert answer.status_code == 302
    row = Mapping.objects.get(pk=row.pk)
    assert (row.target_page_id, row.target_url) == (None, "/tin-tuc/")
    assert outcome_for(hagiang, "/gioi-thieu", "").target.endswith("/tin-tuc/")
    with pytest.raises(MappingError, match="không cả hai"):
        decide(hagiang, "/gioi-thieu", actor=ACTOR, type="redirect", target_page=page, target_url="/khac/")
