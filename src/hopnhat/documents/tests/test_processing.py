"""Processing for the new organisation: incoming (register → assign with a due date in working days → opinions and
directions → done with the result linked) and outgoing (draft → review → approve → sign → number → issue → send,
the receiver registering the same document), each step an event and an audit entry, permissions from org.access,
and the agency's workflow (steps, approvers) deciding what comes next."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hopnhat.core.models import AuditEntry
from hopnhat.core.workdays import add_working_days
from hopnhat.documents import actions, lookup
from hopnhat.documents.models import Exchange, IncomingState, OutgoingState, Workflow

from .conftest import incoming_meta

pytestmark = pytest.mark.django_db


def test_incoming_flow_with_assignment_opinions_and_result(tq, staff):
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta())
    with pytest.raises(PermissionDenied, match="Lãnh đạo xử lý văn bản"):
        actions.assign(staff.clerk, entry, [(tq.vp, staff.officer, "lead")], days=5)
    with pytest.raises(actions.DocumentError, match="chủ trì"):
        actions.assign(staff.leader, entry, [(tq.vp, staff.officer, "support")], days=5)
    actions.assign(staff.leader, entry, [(tq.vp, staff.officer, "lead"), (tq.noivu, None, "support"),
                                         (tq.tuphap, None, "info")], days=5, note="VP chủ trì, SNV phối hợp")
    entry.refresh_from_db()
    assert entry.state == IncomingState.ASSIGNED
    assert entry.due_date == add_working_days(timezone.localdate(), 5)
    actions.comment(staff.leader, entry, "Khẩn trương tham mưu, báo cáo trước hạn", direction=True)
    # a member of a supporting department may give an opinion; someone outside may not
    actions.comment(staff.noivu, entry, "Sở Nội vụ thống nhất nội dung")
    entry.refresh_from_db()
    assert entry.state == IncomingState.PROCESSING
    with pytest.raises(PermissionDenied):
        actions.comment(staff.clerk, entry, "ý kiến của văn thư")
    answer = actions.draft(staff.officer, tq.tq, {"code_notation": "UBND-VP", "subject": "V/v trả lời"}).document
    actions.complete(staff.officer, entry, result_document=answer, note="Đã dự thảo văn bản trả lời")
    entry.refresh_from_db()
    assert entry.state == IncomingState.DONE and entry.result_document == answer and not entry.is_overdue()
    steps = [s["action"] for s in lookup.timeline(entry.document)]
    assert steps == ["register", "assign", "direction", "opinion", "done"]
    assert AuditEntry.objects.filter(action__startswith="documents.", object_pk=str(entry.document_id)).count() == 5
    with pytest.raises(actions.DocumentError):
        actions.complete(staff.officer, entry)


def test_outgoing_flow_to_an_agency_on_the_platform(tq, staff):
    entry = actions.draft(staff.officer, tq.tq, {"code_notation": "QĐ-UBND", "subject": "Quyết định thành lập Tổ "
                                                 "công tác chuyển đổi số", "signer_name": "Nguyễn Văn Hải",
                                                 "signer_position": "Phó Chủ tịch"})
    assert entry.state == OutgoingState.DRAFT and entry.number is None
    assert entry.document.type_name == "Quyết định"
    with pytest.raises(actions.DocumentError, match="review"):
        actions.step(staff.leader, entry, "approve")
    actions.step(staff.deputy, entry, "review", note="Đã thẩm định")
    with pytest.raises(PermissionDenied, match="Lãnh đạo xử lý văn bản"):
        actions.step(staff.officer, entry, "approve")
    actions.step(staff.leader, entry, "approve")
    actions.step(staff.leader, entry, "sign")
    with pytest.raises(PermissionDenied):
        actions.step(staff.leader, entry, "number")
    entry = actions.step(staff.clerk, entry, "number")
    assert entry.number == 1 and entry.document.number == "01/QĐ-UBND"
    entry = actions.step(staff.clerk, entry, "issue")
    assert entry.document.doc_id == f"000.00.00.H60,{timezone.localdate():%Y/%m/%d},01/QĐ-UBND"
    actions.step(staff.clerk, entry, "send", recipients=[tq.noivu], channel="internal")
    entry.refresh_from_db()
    assert entry.state == OutgoingState.SENT
    exchange = Exchange.objects.get(sender_entry=entry)
    # Sở Nội vụ's văn thư registers it: the same document, a second side
    received = actions.receive_exchange("system:test", exchange)
    exchange.refresh_from_db()
    assert received.document_id == entry.document_id and exchange.receiver_entry == received
    assert lookup.find("1/QD-UBND", issuer="UBND tỉnh Tuyên Quang") == [entry.document]
    assert lookup.find(entry.document.doc_id) == [entry.document]
    actions_seen = [s["action"] for s in lookup.timeline(entry.document)]
    assert actions_seen == ["draft", "review", "approve", "sign", "number", "issue", "send", "register"]


def test_workflow_per_agency_leaves_out_review_and_names_approvers(tq, staff):
    flow = Workflow.objects.create(agency=tq.tq, kind="outgoing", steps=["approve", "sign", "number", "issue",
                                                                         "send"])
    flow.approvers.add(staff.deputy)
    entry = actions.draft(staff.officer, tq.tq, {"code_notation": "UBND-VP", "subject": "Công văn đôn đốc"})
    assert actions.next_step(entry) == "approve"
    with pytest.raises(PermissionDenied, match="được giao phê duyệt"):
        actions.step(staff.leader, entry, "approve")
    actions.step(staff.deputy, entry, "approve")
    entry.refresh_from_db()
    assert entry.state == OutgoingState.APPROVED and actions.next_step(entry) == "sign"


def test_drafter_never_approves_own_draft(tq, staff):
    entry = actions.draft(staff.leader, tq.tq, {"code_notation": "UBND-VP", "subject": "Công văn"})
    actions.step(staff.deputy, entry, "review")
    with pytest.raises(PermissionDenied, match="soạn thảo"):
        actions.step(staff.leader, entry, "approve")


def test_sign_step_calls_the_signing_module_when_present(tq, staff, monkeypatch, settings, tmp_path):
    import sys
    import types

    from .conftest import make_pdf

    settings.MEDIA_ROOT = tmp_path
    calls = []
    fake = types.ModuleType("hopnhat.documents.signing")

    def sign_attachment(*, actor, entry, attachment, **options):
        calls.append((attachment.name, options))
        attachment.signed, attachment.signature_report = True, {"status": "valid"}
        attachment.save()

    fake.sign_attachment = sign_attachment
    monkeypatch.setitem(sys.modules, "hopnhat.documents.signing", fake)
    entry = actions.draft(staff.officer, tq.tq, {"code_notation": "UBND-VP", "subject": "Công văn"},
                          attachments=[("cv.pdf", make_pdf())])
    actions.step(staff.deputy, entry, "review")
    actions.step(staff.leader, entry, "approve")
    actions.step(staff.leader, entry, "sign", key="token:1")
    assert calls == [("cv.pdf", {"key": "token:1"})]
    assert entry.document.attachments.get().signed


def test_closed_agency_registers_nothing(tq, staff):
    with pytest.raises(actions.DocumentError, match="dừng hoạt động"):
        actions.register_incoming("system:test", tq.yenson, incoming_meta())
