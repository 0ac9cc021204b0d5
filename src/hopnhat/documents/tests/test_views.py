"""The staff pages: register book with filters and search, registration with a file, the document with its timeline
and the steps open to the user, the overdue dashboard by department, look-up, rules and workflows for unit
administrators, the register download; Vietnamese by default and English in English mode; out-of-scope is 404."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hopnhat.documents import actions
from hopnhat.documents.models import Entry, RoutingRule, Workflow
from hopnhat.dossiers.tests.staffing import client_for, official
from hopnhat.org.models import Role

from .conftest import at, incoming_meta, make_pdf

pytestmark = pytest.mark.django_db


def test_register_filters_search_and_scope(tq, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[("qd.pdf", make_pdf(
        "Phụ lục danh mục thiết bị máy chủ"))])
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="230/UBND-VP", subject="Đôn đốc báo cáo"))
    page = client_for(staff.clerk).get(reverse("documents:register"))
    assert page.status_code == 200 and "Sổ văn bản đến" in page.content.decode()
    assert "15/QĐ-UBND" in page.content.decode() and "230/UBND-VP" in page.content.decode()
    found = client_for(staff.clerk).get(reverse("documents:register"), {"kind": "incoming", "q": "may chu"})
    body = found.content.decode()
    assert "15/QĐ-UBND" in body and "230/UBND-VP" not in body    # matched in the PDF's text
    # an official of Sở Nội vụ sees none of UBND tỉnh's register
    outsider = client_for(staff.noivu).get(reverse("documents:register"))
    assert "15/QĐ-UBND" not in outsider.content.decode()
    entry = Entry.objects.first()
    assert client_for(staff.noivu).get(reverse("documents:entry", args=[entry.pk])).status_code == 404


def test_register_incoming_through_the_form_then_assign(tq, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    RoutingRule.objects.create(agency=tq.tq, name="Chuyển đổi số", words="chuyển đổi số", department=tq.vp)
    clerk = client_for(staff.clerk)
    response = clerk.post(reverse("documents:new", args=["incoming"]), {
        "agency": tq.tq.pk, "number": "Số 15 /QĐ-UBND", "issuer_name": "000.00.00.H22", "issued_date": "2025-03-04",
        "subject": "Về việc phê duyệt kế hoạch chuyển đổi số", "urgency": "1",
        "file": SimpleUploadedFile("qd15.pdf", make_pdf(), content_type="application/pdf")})
    assert response.status_code == 302
    entry = Entry.objects.get()
    page = clerk.get(response["Location"]).content.decode()
    assert "Đã vào sổ, số" in page and "Theo quy tắc" in page and "Chuyển đổi số" in page and "qd15.pdf" in page
    again = clerk.post(reverse("documents:new", args=["incoming"]), {
        "agency": tq.tq.pk, "number": "15/QD-UBND", "issuer_name": "UBND tỉnh Hà Giang", "issued_date": "2025-03-04",
        "subject": "Bản trùng", "urgency": "0"})
    assert again.status_code == 409 and "có thể đã vào sổ" in again.content.decode()
    broken = clerk.post(reverse("documents:new", args=["incoming"]), {
        "agency": tq.tq.pk, "number": "16/QĐ-UBND", "subject": "Tệp hỏng", "urgency": "0",
        "file": SimpleUploadedFile("hong.pdf", b"%PDF-1.4 rubbish", content_type="application/pdf")})
    assert broken.status_code == 400 and "hong.pdf" in broken.content.decode()
    leader = client_for(staff.leader)
    assert "Phân công xử lý" in leader.get(reverse("documents:entry", args=[entry.pk])).content.decode()
    assert "Phân công xử lý" not in clerk.get(reverse("documents:entry", args=[entry.pk])).content.decode()
    done = leader.post(reverse("documents:act", args=[entry.pk, "assign"]),
                       {"department": tq.vp.pk, "user": staff.officer.pk, "support": [tq.noivu.pk], "days": "3"})
    assert done.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "assigned" and entry.assignments.count() == 2
    denied = clerk.post(reverse("documents:act", args=[entry.pk, "direction"]), {"note": "x"})
    assert denied.status_code == 403


def test_dashboard_counts_overdue_by_lead_department(tq, staff):
    late = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), at=at(2025, 1, 6))
    actions.assign(staff.leader, late, [(tq.vp, None, "lead")], due_date=datetime.date(2025, 1, 10))
    on_time = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="2/TB-UBND"))
    actions.assign(staff.leader, on_time, [(tq.noivu, None, "lead")], days=30)
    from hopnhat.documents.views import overdue_by_department

    assert overdue_by_department(staff.leader) == [{"department": "Văn phòng UBND tỉnh Tuyên Quang", "count": 1}]
    page = client_for(staff.leader).get(reverse("documents:dashboard")).content.decode()
    assert "Văn phòng UBND tỉnh Tuyên Quang" in page and "15/QĐ-UBND" in page


def test_lookup_page_and_english_mode(tq, staff):
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="230/UBND-VP", issuer_name="UBND huyện Yên "
                                                                "Sơn"))
    client = client_for(staff.clerk)
    page = client.get(reverse("documents:lookup"), {"q": "230 /UBND-VP", "issuer": "UBND xã Yên Sơn"})
    assert "230/UBND-VP" in page.content.decode() and "Văn bản đến" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en"})
    english = client.get(reverse("documents:register")).content.decode()
    assert "Incoming register" in english and "Register an incoming document" in english
    assert "Vào sổ văn bản đến" not in english


def test_rules_and_workflows_for_unit_admins(tq, staff):
    admin = official("quantri.tq", "Phan Văn Quản", tq.tq, role=Role.UNIT_ADMIN)
    assert client_for(staff.clerk).get(reverse("documents:rules")).status_code == 403
    client = client_for(admin)
    response = client.post(reverse("documents:rules"), {
        "what": "rule", "rule-agency": tq.tq.pk, "rule-name": "Thông báo → Văn phòng", "rule-type_abbr": "TB",
        "rule-department": tq.vp.pk, "rule-priority": "10", "rule-active": "on"})
    assert response.status_code == 302
    assert RoutingRule.objects.get().name == "Thông báo → Văn phòng"
    response = client.post(reverse("documents:rules"), {
        "what": "flow", "flow-agency": tq.tq.pk, "flow-steps": ["approve", "sign", "number", "issue", "send"],
        "flow-approvers": [staff.leader.pk], "flow-assign_days": "7"})
    assert response.status_code == 302
    flow = Workflow.objects.get(agency=tq.tq, kind="outgoing")
    assert "review" not in flow.steps and list(flow.approvers.all()) == [staff.leader]
    assert Workflow.objects.get(agency=tq.tq, kind="incoming").assign_days == 7
    page = client.get(reverse("documents:rules")).content.decode()
    assert "Thông báo → Văn phòng" in page


def test_register_download(tq, staff):
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta())
    response = client_for(staff.clerk).get(reverse("documents:register-export", args=[entry.register_id, "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client_for(staff.noivu).get(reverse("documents:register-export", args=[entry.register_id, "xlsx"])
                                       ).status_code == 404


def test_files_served_in_scope_and_choices_in_one_language(tq, staff, settings, tmp_path):
    """A document's file is served to staff who may see the entry (the signed PDF, for pdfsig or a reader), 404
    to others; the page's choice labels (urgency, state, history steps) show one language at a time."""
    settings.MEDIA_ROOT = tmp_path
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[("qd 15.pdf", make_pdf())])
    attachment = entry.document.attachments.get()
    url = reverse("documents:attachment", args=[entry.pk, attachment.pk])
    served = client_for(staff.clerk).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served.content.startswith(b"%PDF") and "qd 15.pdf" in served["Content-Disposition"]
    assert client_for(staff.noivu).get(url).status_code == 404
    vi = client_for(staff.clerk).get(reverse("documents:entry", args=[entry.pk])).content.decode()
    assert "Khẩn" in vi and "Đã vào sổ" in vi and "(urgent)" not in vi and "(registered)" not in vi
    english = client_for(staff.clerk)
    english.post(reverse("set_language"), {"language": "en"})
    en = english.get(reverse("documents:entry", args=[entry.pk])).content.decode()
    assert "Urgent" in en and "Registered" in en and "Đã vào sổ" not in en and "Khẩn" not in en
