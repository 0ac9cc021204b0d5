"""Status changes: one module, each with permission, one history event, an audit entry and outbox payloads."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from hopnhat.core.audit import verify_chain
from hopnhat.core.models import AuditEntry
from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import actions
from hopnhat.dossiers.models import DossierEvent, OutboxMessage, Status
from hopnhat.org.models import Role, RoleAssignment

from .conftest import at, close_old_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(hanoi):
    """The desk officer who also processes dossiers at Ngọc Hà; approving is the leader's."""
    user = User.objects.create_user("pham.thu.ha", password="mat-khau-dai-123")
    for role in (Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR):
        RoleAssignment.objects.create(user=user, role=role, agency=hanoi.ngoc_ha)
    return user


@pytest.fixture
def leader(hanoi):
    user = User.objects.create_user("tran.quoc.viet", password="mat-khau-dai-123")
    RoleAssignment.objects.create(user=user, role=Role.DOSSIER_APPROVER, agency=hanoi.ngoc_ha)
    return user


def test_receive_creates_the_dossier_with_code_due_date_and_no_clear_pii(hanoi, procedures, officer):
    d = actions.receive(officer, agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Nguyễn Thị Lan",
                        id_number="001190012345", phone="0912 345 678", address="Số 3 Liễu Giai, Phường Ngọc Hà",
                        at=at(2025, 7, 7, 8, 30))
    assert d.code == "000.00.08.H26-250707-0001" and d.status == Status.RECEIVED
    assert d.due_date == datetime.date(2025, 7, 10)
    assert d.applicant_id_hash == keyed_hash("001190012345") and "001190012345" not in str(d.__dict__)
    assert d.phone_tail_hash == keyed_hash("5678")
    assert list(d.aliases.values_list("code", flat=True)) == [d.code]
    [event] = d.events.all()
    assert (event.action, event.status_to, event.actor, event.agency_name) == (
        "receive", Status.RECEIVED, "pham.thu.ha", "UBND phường Ngọc Hà")
    assert AuditEntry.objects.filter(action="dossiers.receive", object_pk=str(d.pk)).count() == 1
    assert sorted(OutboxMessage.objects.filter(dossier=d).values_list("service", flat=True)) == [
        "CapNhatTienDoHoSoMC", "DongBoHoSoMC"]


def test_full_path_to_result_appends_history_in_order(hanoi, procedures, officer, leader):
    d = actions.receive(officer, agency=hanoi.ngoc_ha, procedure=procedures.land, applicant_name="Đỗ Minh Quân",
                        phone="0987001122")
    actions.assign(officer, d, officer, note="Chuyển bộ phận địa chính")
    actions.request_supplement(officer, d, note="Bổ sung bản sao sổ đỏ")
    actions.process(officer, d, note="Đã nhận bổ sung")
    actions.approve(leader, d, result="Đã cập nhật biến động trên giấy chứng nhận")
    actions.return_result(officer, d)
    d.refresh_from_db()
    assert d.status == Status.RETURNED and d.finished_at and d.returned_at
    steps = list(DossierEvent.objects.filter(dossier=d).values_list("action", "status_from", "status_to"))
    assert steps == [("receive", None, 2), ("assign", 2, 4), ("request_supplement", 4, 5), ("process", 5, 4),
                     ("approve", 4, 9), ("return_result", 9, 10)]
    assert OutboxMessage.objects.filter(dossier=d).count() == 12
    assert verify_chain().ok


def test_wrong_transition_and_foreign_agency_are_refused(hanoi, procedures, officer):
    d = actions.receive(officer, agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="Vũ Thị Hoa")
    with pytest.raises(actions.TransitionError, match="Trả kết quả"):
        actions.return_result(officer, d)
    other = actions.receive("system:test", agency=hanoi.giang_vo, procedure=procedures.certify,
                            applicant_name="Hoàng Văn Nam")
    with pytest.raises(PermissionDenied):
        actions.assign(officer, other, officer)
    with pytest.raises(PermissionDenied):
        actions.receive(officer, agency=hanoi.giang_vo, procedure=procedures.certify, applicant_name="Hoàng Văn Nam")
    assert DossierEvent.objects.filter(dossier=other).count() == 1


def test_reject_during_processing_stops_it(hanoi, procedures, officer, leader):
    d = actions.receive(officer, agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="Bùi Thị Mai")
    actions.reject(leader, d, note="Giấy tờ giả mạo")
    d.refresh_from_db()
    assert d.status == Status.STOPPED and d.finished_at is not None


def test_closed_agency_receives_nothing(hanoi, procedures):
    close_old_agencies(hanoi)
    with pytest.raises(actions.TransitionError, match="đã dừng hoạt động"):
        actions.receive("system:test", agency=hanoi.doi_can, procedure=procedures.certify,
                        applicant_name="Tạ Văn Bình")


def test_history_is_append_only(hanoi, procedures):
    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify, applicant_name="Lý Văn Tú")
    event = d.events.get()
    event.note = "sửa lén"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
