import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from hopnhat.consolidation.inventory import demo
from hopnhat.consolidation.inventory.models import CriterionWeight, Decision, OldSystem
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_staff_nav_lists_the_inventory(register, tq_admin, as_user):
    page = as_user(tq_admin).get(reverse("shell:staff-home")).content.decode()
    assert reverse("inventory:list") in page and "Rà soát hệ thống cũ" in page


def test_list_filters_and_flags_duplicates(register, tq_official, as_user):
    client = as_user(tq_official)
    page = client.get(reverse("inventory:list")).content.decode()
    assert "portal-hagianggovvn" in page and "tuyenquang-baocao" in page
    assert "Trùng lặp cần quyết định" in page and reverse("inventory:assess", args=["08", "tthc"]) in page
    assert "(đã dừng)" in page and "closed" not in page  # Hà Giang's agencies were closed by the merger
    filtered = client.get(reverse("inventory:list"), {"type": "email", "q": "tuyen quang"}).context["systems"]
    assert [s.code for s in filtered] == ["tuyenquang-mail"]


def test_an_officer_of_another_agency_sees_nothing(register, hanoi_admin, as_user):
    client = as_user(hanoi_admin)
    page = client.get(reverse("inventory:list")).content.decode()
    assert "portal-hagianggovvn" not in page and "Không có hệ thống nào trong phạm vi của bạn" in page
    assert client.get(reverse("inventory:detail", args=["portal-hagianggovvn"])).status_code == 404
    assert client.get(reverse("inventory:edit", args=["portal-hagianggovvn"])).status_code == 404
    assert client.get(reverse("inventory:assess", args=["08", "tthc"])).status_code == 404
    assert "Không có đơn vị nào trong phạm vi" in client.get(reverse("inventory:dashboard")).content.decode()
    plan = load_workbook(io.BytesIO(client.get(reverse("inventory:export-plan")).content))
    assert plan["Kế hoạch"].max_row == 1  # the header only


def test_detail_shows_register_decision_history_and_runs_state(register, tq_admin, as_user):
    page = as_user(tq_admin).get(reverse("inventory:detail", args=["hagiang-mail"])).content.decode()
    assert "Zimbra Collaboration OSE 8.8.15" in page and "Sở Thông tin và Truyền thông tỉnh Hà Giang" in page
    assert "đã dừng" in page and "Chưa có lần chạy" in page and "No runs yet" not in page


def test_edit_is_for_unit_administrators_and_audited(register, tq_admin, tq_official, as_user):
    url = reverse("inventory:edit", args=["portal-hagianggovvn"])
    assert as_user(tq_official).get(url).status_code == 404  # an official reads, does not edit
    client = as_user(tq_admin)
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data.update({"users": 210, "notes": "Đã rà soát ngày 15/8/2025", "code": "khac-ma"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    portal = OldSystem.objects.get(code="portal-hagianggovvn")  # the code is fixed once recorded
    assert portal.users == 210 and portal.notes == "Đã rà soát ngày 15/8/2025"
    entry = AuditEntry.objects.get(action="inventory.edit")
    assert entry.actor == "nguyen.van.an" and set(entry.data["changed"]) == {"users", "notes"}


def test_create_refuses_an_old_vintage_unit(register, tq_admin, as_user):
    from hopnhat.org.models import AdminUnit

    old = AdminUnit.objects.get(vintage="2025-06-30", code="02")
    form_data = {"code": "tuyenquang-hoptructuyen", "name": "Hệ thống họp trực tuyến tỉnh Tuyên Quang",
                 "system_type": "other", "agency": OldSystem.objects.get(code="portal-tuyenquanggovvn").agency_id,
                 "new_unit": old.pk}
    response = as_user(tq_admin).post(reverse("inventory:create"), form_data)
    assert response.status_code == 200 and "new_unit" in response.context["form"].errors


def test_assess_explains_scores_and_records_a_decision(register, tq_admin, as_user):
    client = as_user(tq_admin)
    url = reverse("inventory:assess", args=["08", "tthc"])
    page = client.get(url).content.decode()
    assert "Trùng lặp: hệ thống cùng loại cho một đơn vị mới, chỉ giữ một — 2." in page
    assert "80,63/100" in page  # 80.625, Vietnamese decimal comma
    assert "2.100 / 2.100 (cao nhất)" in page and "the highest" not in page
    response = client.post(url, {"system": "hagiang-motcua", "decision": "keep", "rationale": "Nhiều hồ sơ nhất",
                                 "wave": 1, "planned_start": "2025-09-01", "planned_end": "2025-10-31"})
    assert response.status_code == 302
    kept = OldSystem.objects.get(code="hagiang-motcua")
    assert (kept.decision, kept.decided_by, kept.wave) == (Decision.KEEP, "nguyen.van.an", 1)
    response = client.post(url, {"system": "tuyenquang-motcua", "decision": "migrate", "into": "tuyenquang-motcua",
                                 "rationale": "x"})
    assert "không thể chuyển vào chính nó" in response.content.decode()
    history = client.get(reverse("inventory:detail", args=["hagiang-motcua"])).content.decode()
    assert "nguyen.van.an — inventory.decide: keep" in history


def test_weights_page_saves_for_platform_admins_only(register, tq_admin, as_user, django_user_model):
    data = {"capability": 30, "usage": 20, "data_volume": 10, "security": 20, "cost": 10, "vendor_support": 10}
    assert as_user(tq_admin).post(reverse("inventory:weights"), data).status_code == 403
    root = django_user_model.objects.create_superuser("quan.tri", email="quantri@tuyenquang.gov.vn")
    assert as_user(root).post(reverse("inventory:weights"), data).status_code == 302
    assert CriterionWeight.objects.get(criterion="capability").weight == 30


def test_dashboard_and_downloads(register, tq_admin, as_user):
    client = as_user(tq_admin)
    page = client.get(reverse("inventory:dashboard")).content.decode()
    assert "Tỉnh Tuyên Quang (08)" in page and page.count("Chưa bắt đầu") == 5
    response = client.get(reverse("inventory:export-plan"))
    assert response["Content-Disposition"].startswith('attachment; filename="ke-hoach-hop-nhat-')
    assert load_workbook(io.BytesIO(response.content))["Kế hoạch"].max_row == 11
    template = load_workbook(io.BytesIO(client.get(reverse("inventory:template")).content))
    assert template.sheetnames == ["Hệ thống", "Hướng dẫn"]


def test_upload_import_reports_bad_rows(agencies, tq_admin, as_user):
    rows = [demo.SYSTEMS[1], {**demo.SYSTEMS[3], "security_level": 7}]
    upload = demo.filled_template(rows)
    upload.name = "ra-soat-tuyen-quang.xlsx"
    page = as_user(tq_admin).post(reverse("inventory:import"), {"file": upload}).content.decode()
    assert "Thêm 1" in page and "lỗi 1" in page and "cấp độ 7 ngoài khoảng 1–5" in page
    assert list(OldSystem.objects.values_list("code", flat=True)) == ["portal-tuyenquanggovvn"]


def test_create_offers_own_and_absorbed_agencies_and_own_units(register, tq_admin, as_user):
    client = as_user(tq_admin)
    form = client.get(reverse("inventory:create")).context["form"]
    codes = set(form.fields["agency"].queryset.values_list("code", flat=True))
    assert {"000.00.00.H60", "000.00.09.H60", "000.00.12.H22", "000.01.01.H22"} <= codes  # H22: closed, absorbed
    assert not {c for c in codes if c.endswith(".H26")}
    assert list(form.fields["new_unit"].queryset.values_list("code", flat=True)) == ["08"]
    agency = form.fields["agency"].queryset.get(code="000.00.12.H22")
    response = client.post(reverse("inventory:create"), {
        "code": "hagiang-hoptructuyen", "name": "Hệ thống hội nghị truyền hình tỉnh Hà Giang", "system_type": "other",
        "agency": agency.pk, "new_unit": form.fields["new_unit"].queryset.get().pk, "security_level": 2})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="inventory.create", object_pk=str(
        OldSystem.objects.get(code="hagiang-hoptructuyen").pk)).exists()
