"""The agency crosswalk on the merged Tuyên Quang province: Hà Giang's agencies closed into Tuyên Quang's, the
district-level UBND thành phố Tuyên Quang split into ward agencies."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry
from hopnhat.org import agencies
from hopnhat.org.models import Agency, AgencyStatus, AgencySuccession

pytestmark = pytest.mark.django_db

REFORM = datetime.date(2025, 7, 1)
NQ = "Nghị quyết 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh"
ACTOR = "system:test-agencies"


def _agency(code, name, parent=None):
    return agencies.ensure_agency(code=code, name=name, parent=parent, actor=ACTOR)[0]


@pytest.fixture
def tree():
    tq = _agency("000.00.00.H60", "UBND tỉnh Tuyên Quang")
    hg = _agency("000.00.00.H22", "UBND tỉnh Hà Giang")
    t = {
        "tq": tq, "hg": hg,
        "noivu_tq": _agency("000.00.02.H60", "Sở Nội vụ tỉnh Tuyên Quang", tq),
        "noivu_hg": _agency("000.00.02.H22", "Sở Nội vụ tỉnh Hà Giang", hg),
        "tp_tq": _agency("000.00.31.H60", "UBND thành phố Tuyên Quang", tq),
        "doi_can": None,
    }
    t["doi_can"] = _agency("000.05.31.H60", "UBND phường Đội Cấn", t["tp_tq"])
    for key, code, name in [
        ("minh_xuan", "000.00.41.H60", "UBND phường Minh Xuân"),
        ("nong_tien", "000.00.42.H60", "UBND phường Nông Tiến"),
        ("binh_thuan", "000.00.44.H60", "UBND phường Bình Thuận"),
    ]:
        t[key] = _agency(code, name, tq)
    return t


def test_merged_agency_answers_with_its_successor(tree):
    agencies.close_agency(tree["noivu_hg"], reason="merged", successors=[(tree["noivu_tq"], "whole", True)],
                          on=REFORM, legal_basis=NQ, actor="tran.thi.binh")
    closed = Agency.objects.get(code="000.00.02.H22")
    assert closed.status == AgencyStatus.CLOSED and closed.closed_reason == "merged" and closed.closed_on == REFORM
    [edge] = agencies.successors(closed)
    assert edge.agency == tree["noivu_tq"] and edge.kind == "whole" and edge.is_default
    assert edge.legal_basis == NQ
    [current] = agencies.current_agencies(closed)
    assert current.agency == tree["noivu_tq"] and current.kind == "whole"
    assert agencies.default_current_agency(closed) == tree["noivu_tq"]
    assert [e.agency for e in agencies.predecessors(tree["noivu_tq"])] == [closed]
    # before the reform the old agency still acted for itself
    assert agencies.current_agencies(closed, at=datetime.date(2025, 6, 30))[0].agency == closed
    assert agencies.default_current_agency(closed, at=datetime.date(2025, 6, 30)) == closed


def test_closing_is_audited_with_the_successors(tree):
    agencies.close_agency(tree["noivu_hg"], reason="merged", successors=[(tree["noivu_tq"], "whole", True)],
                          on=REFORM, legal_basis=NQ, actor="tran.thi.binh")
    entry = AuditEntry.objects.filter(action="agency.close").get()
    assert entry.actor == "tran.thi.binh" and entry.object_pk == str(tree["noivu_hg"].pk)
    assert entry.data["successors"] == [{"id": tree["noivu_tq"].pk, "code": "000.00.02.H60", "kind": "whole",
                                         "default": True}]
    assert audit.verify_chain().ok


def test_split_walks_through_a_closed_ward_to_partial_successors(tree):
    # the old ward Đội Cấn went whole into Bình Thuận; its district-level city was split among the new wards
    agencies.close_agency(tree["doi_can"], reason="merged", successors=[(tree["binh_thuan"], "whole", True)],
                          on=REFORM, actor=ACTOR)
    agencies.close_agency(tree["tp_tq"], reason="split", on=REFORM, actor=ACTOR, successors=[
        (tree["minh_xuan"], "partial", True), (tree["nong_tien"], "partial", False),
        (tree["binh_thuan"], "partial", False),
    ])
    current = agencies.current_agencies(tree["tp_tq"])
    assert [e.agency.name for e in current] == ["UBND phường Minh Xuân", "UBND phường Nông Tiến",
                                                "UBND phường Bình Thuận"]
    assert {e.kind for e in current} == {"partial"}
    assert [e.is_default for e in current] == [True, False, False]
    assert agencies.default_current_agency(tree["tp_tq"]) == tree["minh_xuan"]
    assert [(e.agency, e.kind) for e in agencies.current_agencies(tree["doi_can"])] == [(tree["binh_thuan"], "whole")]


def test_partial_anywhere_on_the_path_makes_the_result_partial(tree):
    # Hà Giang's UBND split (partial, default) into Tuyên Quang's, which was later renamed: still partial
    renamed = _agency("000.00.00.H61", "UBND tỉnh Tuyên Quang (tên mới)")
    agencies.close_agency(tree["hg"], reason="split", on=REFORM, actor=ACTOR, successors=[
        (tree["tq"], "partial", True), (tree["minh_xuan"], "partial", False)])
    agencies.close_agency(tree["tq"], reason="renamed", successors=[(renamed, "whole", False)],
                          on=datetime.date(2026, 1, 1), actor=ACTOR)
    by_agency = {e.agency: e for e in agencies.current_agencies(tree["hg"])}
    assert by_agency[renamed].kind == "partial" and by_agency[renamed].is_default
    assert not by_agency[tree["minh_xuan"]].is_default
    assert agencies.default_current_agency(tree["hg"]) == renamed
    # at the end of 2025 the rename had not happened yet
    assert agencies.default_current_agency(tree["hg"], at=datetime.date(2025, 12, 31)) == tree["tq"]


def test_abolished_without_successor_has_no_current_agency(tree):
    agencies.close_agency(tree["doi_can"], reason="abolished", on=REFORM, actor=ACTOR)
    assert agencies.current_agencies(tree["doi_can"]) == []
    assert agencies.default_current_agency(tree["doi_can"]) is None


@pytest.mark.parametrize("reason, successors, message", [
    ("merged", [], "cần ít nhất một"),
    ("dissolved", [], "không hợp lệ"),
    ("renamed", ["minh_xuan", "nong_tien"], "đúng một cơ quan kế thừa"),
    ("split", ["minh_xuan"], "từ hai"),
    ("split", ["minh_xuan", "nong_tien"], "đúng một cơ quan mặc định"),
    ("merged", ["tp_tq"], "lặp lại"),
])
def test_bad_closures_are_refused_and_change_nothing(tree, reason, successors, message):
    edges = [(tree[k], "partial", False) for k in successors]
    with pytest.raises(ValidationError) as exc:
        agencies.close_agency(tree["tp_tq"], reason=reason, successors=edges, on=REFORM, actor=ACTOR)
    assert message in str(exc.value) and "000.00.31.H60" in str(exc.value)
    assert Agency.objects.get(pk=tree["tp_tq"].pk).status == AgencyStatus.ACTIVE
    assert not AgencySuccession.objects.exists()
    assert not AuditEntry.objects.filter(action="agency.close").exists()


def test_a_cycle_and_a_second_closure_are_refused(tree):
    agencies.close_agency(tree["noivu_hg"], reason="merged", successors=[(tree["noivu_tq"], "whole", True)],
                          on=REFORM, actor=ACTOR)
    with pytest.raises(ValidationError, match="vòng"):
        agencies.close_agency(tree["noivu_tq"], reason="merged", successors=[(tree["noivu_hg"], "whole", True)],
                              on=REFORM, actor=ACTOR)
    with pytest.raises(ValidationError, match="đã dừng"):
        agencies.close_agency(tree["noivu_hg"], reason="abolished", on=REFORM, actor=ACTOR)


def test_resolve_by_code_and_by_folded_name(tree):
    assert agencies.resolve_agency("000.00.02.h22") == [tree["noivu_hg"]]
    assert agencies.resolve_agency(" 000.00.02.H22 ") == [tree["noivu_hg"]]
    assert agencies.resolve_agency("so noi vu tinh ha giang") == [tree["noivu_hg"]]
    assert agencies.resolve_agency("SỞ NỘI VỤ TỈNH TUYÊN QUANG") == [tree["noivu_tq"]]
    assert agencies.resolve_agency("000.00.99.H60") == []
    assert agencies.resolve_agency("") == []
    with pytest.raises(ValidationError, match="000.0.02.H22"):
        agencies.resolve_agency("000.0.02.H22")


def test_resolve_an_ambiguous_name_returns_every_candidate_active_first(tree):
    # two ward agencies named alike in different provinces; the closed one comes last
    other = _agency("000.00.41.H22", "UBND phường Minh Xuân", tree["hg"])
    agencies.close_agency(other, reason="abolished", on=REFORM, actor=ACTOR)
    found = agencies.resolve_agency("UBND phuong Minh Xuan")
    assert found == [tree["minh_xuan"], other]


def test_ensure_agency_is_idempotent_and_validates_the_code(tree):
    again, created = agencies.ensure_agency(code="000.00.02.H60", name="Tên khác", actor=ACTOR)
    assert not created and again == tree["noivu_tq"] and again.name == "Sở Nội vụ tỉnh Tuyên Quang"
    with pytest.raises(ValidationError, match="H600"):
        agencies.ensure_agency(code="000.00.02.H600", name="Sở Tư pháp", actor=ACTOR)
    assert AuditEntry.objects.filter(action="agency.create").count() == Agency.objects.count()


def test_a_walk_names_the_closed_agencies_it_passed_through(tree):
    agencies.close_agency(tree["doi_can"], reason="merged", successors=[(tree["tp_tq"], "whole", True)],
                          on=datetime.date(2025, 1, 1), actor=ACTOR)
    agencies.close_agency(tree["tp_tq"], reason="renamed", successors=[(tree["binh_thuan"], "whole", True)],
                          on=REFORM, actor=ACTOR)
    [edge] = agencies.current_agencies(tree["doi_can"])
    assert edge.agency == tree["binh_thuan"] and edge.via == (tree["tp_tq"],) and not edge.is_partial
    assert edge.as_dict()["via"] == ["000.00.31.H60"]
    assert edge.as_dict()["agency"]["name"] == "UBND phường Bình Thuận"


def test_admin_shows_the_crosswalk_but_cannot_close_by_hand(tree, client):
    from django.contrib.auth import get_user_model

    agencies.close_agency(tree["noivu_hg"], reason="merged", successors=[(tree["noivu_tq"], "whole", True)],
                          on=REFORM, legal_basis=NQ, actor=ACTOR)
    client.force_login(get_user_model().objects.create_superuser("quantri.nentang", password="x"))
    page = client.get(f"/django-admin/org/agency/{tree['noivu_hg'].pk}/change/").content.decode()
    assert "Sở Nội vụ tỉnh Tuyên Quang [000.00.02.H60]" in page and NQ in page
    assert 'name="status"' not in page  # read-only: closing goes through close_agency
    page = client.get(f"/django-admin/org/agency/{tree['noivu_tq'].pk}/change/").content.decode()
    assert "Sở Nội vụ tỉnh Hà Giang [000.00.02.H22]" in page
