"""The staff page of old addresses still to decide: ranked by hits, scoped to the user's agencies."""

from django.contrib.auth import get_user_model

from hopnhat.org.models import Role, RoleAssignment
from hopnhat.portal.crosswalk.api import decide
from hopnhat.portal.crosswalk.models import Mapping, MappingType

from .conftest import ACTOR


def _official(username, agency):
    user = get_user_model().objects.create_user(username, password="mat-khau-dai-12")
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=agency)
    return user


def test_queue_lists_own_sites_by_hits_and_the_form_decides(client, hagiang, trucbach, agencies):
    for path, hits in (("/lich-cong-tac", 12), ("/thu-tuc-hanh-chinh", 340), ("/album-anh", 3)):
        m, _ = decide(hagiang, path, actor=ACTOR, type="unresolved")
        Mapping.objects.filter(pk=m.pk).update(hits=hits)
    hanoi_row, _ = decide(trucbach, "/gioi-thieu", actor=ACTOR, type="unresolved")

    assert client.get("/cong/dia-chi-cu/").status_code == 302  # sign in first
    client.force_login(_official("nguyen.thi.lan", agencies.tuyen_quang))
    html = client.get("/cong/dia-chi-cu/").content.decode()
    assert "Địa chỉ cũ cần quyết định" in html
    order = [html.index(p) for p in ("/thu-tuc-hanh-chinh", "/lich-cong-tac", "/album-anh")]
    assert order == sorted(order)
    assert "phuongtrucbach" not in html
    assert client.get(f"/cong/dia-chi-cu/{hanoi_row.pk}/").status_code == 404  # not her agency

    target = Mapping.objects.get(path="/thu-tuc-hanh-chinh")
    refused = client.post(f"/cong/dia-chi-cu/{target.pk}/", {"type": "redirect",
                                                            "target_url": "https://lua-dao.example.com/"})
    assert refused.status_code == 400 and "chỉ quản trị đơn vị" in refused.content.decode()
    done = client.post(f"/cong/dia-chi-cu/{target.pk}/", {
        "type": "redirect", "target_url": "/thu-tuc-hanh-chinh/"})   # a page of the new portal
    assert done.status_code == 302
    target.refresh_from_db()
    assert (target.type, target.updated_by, target.version) == (MappingType.REDIRECT, "nguyen.thi.lan", 2)
    assert "/thu-tuc-hanh-chinh" not in client.get("/cong/dia-chi-cu/").content.decode()


def test_citizens_see_nothing(client, hagiang):
    decide(hagiang, "/lich-cong-tac", actor=ACTOR, type="unresolved")
    user = get_user_model().objects.create_user("cong.dan", password="mat-khau-dai-12")
    RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    client.force_login(user)
    assert client.get("/cong/dia-chi-cu/").status_code == 403   # a staff tool: not even an empty page
