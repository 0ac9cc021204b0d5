"""The quarantine queue as staff use it, in headless Chromium at phone and desktop sizes, checked with axe-core:
a record waiting with its reason and raw values, fixed by a value-map entry and re-run from the page."""

import csv

import pytest
from django.contrib.auth import get_user_model

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.org.models import Agency, Membership, Role, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mat-khau-thu-nghiem-2025"


def test_staff_fix_a_value_map_from_the_queue(browser_page, assert_accessible, tmp_path):
    Agency.objects.create(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang")
    with (tmp_path / "cb.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["ma_nv", "ho_ten", "don_vi", "chuc_vu"],
                                      ["1", "Ma Thị Hiền", "000.00.02.H60", "Chuyên viên"],
                                      ["2", "Nông Văn Khải", "000.00.02.H60", "Chánh Văn phòng"]])
    run = run_mapping(Mapping.from_dict({
        "system": "hr-tuyenquang", "importer": "org.people", "stream": "people",
        "source": {"kind": "csv", "path": str(tmp_path / "cb.csv"), "key": "ma_nv"},
        "fields": {"full_name": "ho_ten", "agency_code": "don_vi", "position": {"from": "chuc_vu", "map": "cv"}},
        "value_maps": {"cv": {"match": "fold", "values": {"Chuyên viên": "Chuyên viên"}}}}), actor="system:test")
    assert run.totals["outcomes"]["quarantined"] == 1
    admin = get_user_model().objects.create_user("quantri.tq", password=PASSWORD)
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)

    page = browser_page
    page.goto("/dang-nhap/?next=/hop-nhat/luot/")
    page.get_by_label("Tên đăng nhập").fill("quantri.tq")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/hop-nhat/luot/")
    assert "1 bản ghi chờ quyết định" in page.get_by_role("table").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="xử lý").click()
    page.wait_for_url(f"**/hop-nhat/cach-ly/?run={run.pk}")
    record = page.locator("article.quarantined")
    assert "Chánh Văn phòng" in record.inner_text() and "“cv”" in record.inner_text()
    assert_accessible(page)
    record.get_by_label("giá trị trên nền tảng / platform value").fill("Chánh Văn phòng")
    record.get_by_role("button", name="Thêm vào bảng giá trị").click()
    page.wait_for_url("**/hop-nhat/cach-ly/?system=hr-tuyenquang&stream=people")
    assert "Đã xử lý xong bản ghi 2" in page.get_by_role("status").inner_text() or \
        "Đã xử lý xong bản ghi 2" in page.content()
    assert "Không có bản ghi nào chờ quyết định" in page.content()
    assert_accessible(page)
    assert StagedRecord.objects.get(system="hr-tuyenquang", key="2").outcome == "loaded"
    assert Membership.objects.filter(position__name="Chánh Văn phòng").count() == 1
