"""The public look-up when a code and the phone's last digits leave two dossiers (issue 12, item 11): the page asks
for the applicant's name, keeps what was typed, then shows the one dossier — on a phone, checked with axe-core."""

import pytest

from hopnhat.dossiers import actions
from hopnhat.dossiers.models import DossierAlias

from .conftest import at, build_hanoi, build_procedures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHARED = "000.04.01.H26-250611-0003"


def test_two_dossiers_behind_one_code_ask_for_the_applicants_name(phone_page, assert_accessible):
    hanoi, procedures = build_hanoi(), build_procedures()
    hong = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.birth,
                           applicant_name="Phạm Thị Hồng", phone="0977333444", at=at(2025, 6, 11, 10))
    thang = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.land,
                            applicant_name="Vũ Đức Thắng", phone="0944553444", at=at(2025, 6, 11, 9, 5))
    DossierAlias.objects.create(code=SHARED, dossier=hong, source_system="motcua-badinh")
    DossierAlias.objects.create(code=SHARED, dossier=thang, source_system="dvc-hanoi")
    page = phone_page
    page.goto("/ho-so/tra-cuu/")
    page.get_by_label("Mã hồ sơ", exact=True).fill(SHARED)
    page.get_by_label("4 số cuối điện thoại").fill("3444")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    name = page.get_by_label("Họ tên người nộp hồ sơ")
    assert name.is_visible() and "Có hơn một hồ sơ" in page.get_by_role("status").inner_text()
    assert "Thắng" not in page.content() and "Hồng" not in page.content()
    assert_accessible(page)
    name.fill("vu duc thang")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    result = page.get_by_role("region", name=f"Hồ sơ {thang.code}")
    assert "Đăng ký biến động quyền sử dụng đất" in result.inner_text()
    assert_accessible(page)


def test_a_quarantined_dossiers_code_shows_whom_to_contact(phone_page, assert_accessible):
    """Issue 12, item 5: the district's record with an unknown status waits in quarantine; its code answers."""
    from django.utils import timezone

    from hopnhat.consolidation.mapping import Mapping
    from hopnhat.consolidation.models import MigrationRun, StagedRecord
    from hopnhat.dossiers import samples

    from .conftest import close_old_agencies

    hanoi = build_hanoi()
    close_old_agencies(hanoi)
    spec = samples.mappings("sqlite:///unused.sqlite3", samples.Path("unused"))[0]
    run = MigrationRun.objects.create(system=spec["system"], stream=spec["stream"], importer=spec["importer"],
                                      mapping=Mapping.from_dict(spec).as_dict(), actor="system:test")
    raw = {k: v for k, v in samples.MOTCUA_HOSO[4].items()}
    now = timezone.now()
    StagedRecord.objects.create(system=run.system, stream=run.stream, key=raw["ma_hoso"], raw=raw, checksum="x",
                                first_seen=now, last_seen=now, first_run=run, last_run=run, outcome="quarantined",
                                reason="trường “status”: giá trị “Treo” không có trong bảng “trangthai”")
    page = phone_page
    page.goto(f"/ho-so/tra-cuu/?code={raw['ma_hoso']}")
    page.get_by_label("4 số cuối điện thoại").fill("0555")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    notice = page.get_by_role("region", name="Hồ sơ đang được chuyển sang hệ thống mới")
    text = notice.inner_text()
    assert "UBND phường Ngọc Hà" in text and "024 3823 0002" in text and "Đỗ Văn Lực" not in page.content()
    assert_accessible(page)
