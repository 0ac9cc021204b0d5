"""Hand-over of in-progress dossiers after 1/7/2025: a split ward (Đội Cấn → Ba Đình / Ngọc Hà) and an abolished
district (Quận Ba Đình), with the applicant's address deciding, the default successor otherwise, and a review
queue when nothing can decide."""

import datetime

import pytest
from django.core.management import call_command

from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import actions, handover
from hopnhat.dossiers.models import Dossier, DossierEvent, HandoverReview, OutboxMessage, Status
from hopnhat.org import agencies

from .conftest import ACTOR, at, close_old_agencies

pytestmark = pytest.mark.django_db


def _receive(agency, procedure, name, address):
    return actions.receive("system:test", agency=agency, procedure=procedure, applicant_name=name,
                           phone="0912000111", address=address, at=at(2025, 6, 23))


@pytest.fixture
def pending(hanoi, procedures):
    p = procedures
    d = {
        "to_ba_dinh": _receive(hanoi.doi_can, p.birth, "Nguyễn Văn Hùng", "Số 5 phố Đội Cấn, Phường Ba Đình, Hà Nội"),
        "split_default": _receive(hanoi.doi_can, p.birth, "Trần Thị Thu",
                                  "Số 20 ngõ 35 Đội Cấn, Phường Đội Cấn, Quận Ba Đình, Thành phố Hà Nội"),
        "no_address": _receive(hanoi.doi_can, p.certify, "Phạm Quốc Bảo", ""),
        "finished": _receive(hanoi.doi_can, p.certify, "Lê Thị Ngọc", "Phường Đội Cấn, Quận Ba Đình, Hà Nội"),
        "district_truc_bach": _receive(hanoi.district, p.land, "Hoàng Minh Đức",
                                       "Số 8 Trấn Vũ, Phường Trúc Bạch, Quận Ba Đình, Hà Nội"),
        "district_ngoc_ha": _receive(hanoi.district, p.land, "Đặng Thu Trang",
                                     "Số 1 Hoàng Hoa Thám, Phường Ngọc Hà, Quận Ba Đình, Hà Nội"),
    }
    actions.process("system:test", d["to_ba_dinh"])
    actions.approve("system:test", d["finished"], result="Đã chứng thực")
    close_old_agencies(hanoi)
    return d


def _agency_of(dossier):
    return Dossier.objects.get(pk=dossier.pk).agency


def test_dry_run_plans_without_changing_anything(hanoi, pending):
    before = DossierEvent.objects.count()
    report = handover.run(dry_run=True)
    assert report["total"] == 5 and report["by_rule"] == {"address": 3, "default": 2}
    plan = {r["code"]: r["to"] for r in report["decisions"]}
    assert plan[pending["to_ba_dinh"].code] == "000.00.04.H26"
    assert plan[pending["split_default"].code] == "000.00.08.H26"
    assert pending["finished"].code not in plan
    assert DossierEvent.objects.count() == before and _agency_of(pending["to_ba_dinh"]) == hanoi.doi_can


def test_split_ward_hands_over_by_address_then_default(hanoi, pending):
    handover.run()
    assert _agency_of(pending["to_ba_dinh"]) == hanoi.ba_dinh            # the address names the new ward
    assert _agency_of(pending["split_default"]) == hanoi.ngoc_ha         # the old ward only: default successor
    assert _agency_of(pending["no_address"]) == hanoi.ngoc_ha
    assert _agency_of(pending["finished"]) == hanoi.doi_can             # a decided dossier stays where it was
    moved = Dossier.objects.get(pk=pending["to_ba_dinh"].pk)
    # the clock does not restart and the code (which DVCQG knows) is kept
    assert moved.due_date == pending["to_ba_dinh"].due_date and moved.code.startswith("000.22.01.H26-250623-")
    assert moved.status == Status.PROCESSING and moved.receiving_agency == hanoi.doi_can
    step = moved.events.last()
    assert step.action == "handover" and step.status_from == step.status_to == Status.PROCESSING
    assert step.agency == hanoi.ba_dinh and "UBND phường Đội Cấn" in step.note
    entry = AuditEntry.objects.filter(action="dossiers.handover", object_pk=str(moved.pk)).get()
    assert entry.data["from_agency"] == "000.22.01.H26" and entry.data["rule"] == "address"
    sync = OutboxMessage.objects.filter(dossier=moved, service="DongBoHoSoMC").last()
    assert sync.payload["DonViXuLy"] == "000.00.04.H26" and sync.payload["NoiNopHoSo"] == "000.22.01.H26"


def test_abolished_district_hands_over_by_old_address(hanoi, pending):
    handover.run()
    assert _agency_of(pending["district_truc_bach"]) == hanoi.ba_dinh     # Trúc Bạch went wholly into Ba Đình
    assert _agency_of(pending["district_ngoc_ha"]) == hanoi.ngoc_ha       # old Ngọc Hà → new Ngọc Hà
    # a second run finds nothing left to do
    assert handover.run()["total"] == 0


def test_agency_abolished_without_successor_goes_to_review(hanoi, procedures):
    office = agencies.ensure_agency(code="000.01.01.H26", name="Phòng Tư pháp quận Ba Đình", parent=hanoi.district,
                                    actor=ACTOR)[0]
    d = _receive(office, procedures.certify, "Ngô Thị Hạnh", "Phường Kim Mã, Quận Ba Đình, Hà Nội")
    agencies.close_agency(office, reason="abolished", on=datetime.date(2025, 7, 1), actor=ACTOR)
    report = handover.run()
    assert report["by_rule"] == {"review": 1}
    review = HandoverReview.objects.get(dossier=d)
    assert review.from_agency == office and "không có cơ quan kế thừa" in review.reason
    handover.run()
    assert HandoverReview.objects.count() == 1
    handover.settle_review("system:test-reviewer", review, hanoi.ba_dinh)
    assert _agency_of(d) == hanoi.ba_dinh and handover.run()["total"] == 0


def test_command_json(hanoi, pending, capsys):
    call_command("dossiers", "handover", "--dry-run", "--json")
    out = capsys.readouterr().out
    assert '"dry_run": true' in out and "UBND phường Ba Đình" in out
    call_command("dossiers", "handover")
    assert "Đã bàn giao 5 hồ sơ" in capsys.readouterr().out
