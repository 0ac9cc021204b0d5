"""Issue 12 item 2: a changed source record updates the membership it made; it never adds a second one."""

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.models import Membership, Person

from .legacy_hr import TUYENQUANG_STAFF, to_tcvn3, tuyenquang_mapping, tuyenquang_workbook

pytestmark = pytest.mark.django_db


def test_a_title_changed_at_the_source_updates_the_one_membership(legacy_hr, org):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")
    before = Membership.objects.get(person=hung)
    assert before.position.name == "Giám đốc"

    # Promoted... then moved to the finance department, as the old HR system records it.
    legacy_hr.execute("UPDATE nhan_su SET chuc_vu = %s, ngay_cap_nhat = '2025-06-01 08:00:00' WHERE id = 1",
                      (to_tcvn3("Phó Giám đốc Sở"),))
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    assert run.totals["changed"] == 1 and run.balanced is True
    after = Membership.objects.get(person=hung)  # exactly one: the same row, brought up to date
    assert after.pk == before.pk and after.position.name == "Phó Giám đốc Sở"

    legacy_hr.execute("UPDATE nhan_su SET ma_don_vi = 'STC-HG', ngay_cap_nhat = '2025-06-02 08:00:00' WHERE id = 1")
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    after = Membership.objects.get(person=hung)
    assert after.pk == before.pk and after.agency == org["stc_hg"]


def test_a_changed_record_of_a_second_system_updates_its_own_membership_only(legacy_hr, org, tmp_path):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    book = tuyenquang_workbook(tmp_path / "can_bo.xlsx")
    run_mapping(Mapping.from_dict(tuyenquang_mapping(book)), actor="system:test")
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")
    assert sorted(m.position.name for m in hung.memberships.all()) == ["Giám đốc", "Phó Giám đốc"]

    staff = [(*row[:6], "Giám đốc") if row[0] == "TQ-001" else row for row in TUYENQUANG_STAFF]
    tuyenquang_workbook(book, staff)
    run = run_mapping(Mapping.from_dict(tuyenquang_mapping(book)), actor="system:test")
    assert run.totals["changed"] == 1
    # Tuyên Quang's record now says Giám đốc too: its membership changes, Hà Giang's stays, nothing is added.
    assert sorted(m.position.name for m in hung.memberships.all()) == ["Giám đốc", "Giám đốc"]
