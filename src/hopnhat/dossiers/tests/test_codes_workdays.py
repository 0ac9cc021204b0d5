"""Dossier codes in the national form and the working-day calendar."""

import datetime
import threading

import pytest
from django.db import connection

from hopnhat.core.models import CalendarDay, CalendarKind
from hopnhat.core.workdays import add_working_days, is_working_day, working_days_between
from hopnhat.dossiers import actions
from hopnhat.dossiers.codes import CODE_PATTERN, next_code
from hopnhat.dossiers.models import DailyCounter, Dossier, DossierAlias

from .conftest import at, build_hanoi, build_procedures

pytestmark = pytest.mark.django_db


def test_code_has_the_national_form_and_counts_per_unit_and_day(hanoi):
    day = datetime.date(2025, 6, 16)
    first, second = next_code(hanoi.doi_can, day), next_code(hanoi.doi_can, day)
    assert first == "000.22.01.H26-250616-0001" and second == "000.22.01.H26-250616-0002"
    assert CODE_PATTERN.match(first)["unit"] == "000.22.01.H26"
    # another unit, another day: their own counters
    assert next_code(hanoi.truc_bach, day) == "000.04.01.H26-250616-0001"
    assert next_code(hanoi.doi_can, datetime.date(2025, 6, 17)) == "000.22.01.H26-250617-0001"


def test_code_already_held_by_an_imported_dossier_is_skipped(hanoi, procedures):
    dossier = actions.receive("system:test", agency=hanoi.ba_dinh, procedure=procedures.birth,
                              applicant_name="Nguyễn Văn An", phone="0912345678", at=at(2025, 7, 2))
    # an old system had already used -0002 for that unit and day
    DossierAlias.objects.create(code="000.00.04.H26-250702-0002", dossier=dossier, source_system="motcua-badinh")
    assert next_code(hanoi.ba_dinh, datetime.date(2025, 7, 2)) == "000.00.04.H26-250702-0003"


def test_agency_without_identifier_cannot_issue_codes(hanoi):
    hanoi.city.code = None
    with pytest.raises(ValueError, match="mã định danh"):
        next_code(hanoi.city)


@pytest.mark.django_db(transaction=True)
def test_concurrent_receptions_never_share_a_code():
    hn, procs = build_hanoi(), build_procedures()
    codes, errors = [], []

    def work(n):
        try:
            for i in range(n):
                d = actions.receive("system:test", agency=hn.ba_dinh, procedure=procs.certify,
                                    applicant_name=f"Trần Thị Bình {i}", phone="0987654321", at=at(2025, 7, 3))
                codes.append(d.code)
        except Exception as exc:  # noqa: BLE001 — reported below with the thread's failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(10,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(codes) == 80 and len(set(codes)) == 80
    assert sorted(int(c[-4:]) for c in codes) == list(range(1, 81))
    assert DailyCounter.objects.get(unit_code="000.00.04.H26", day=datetime.date(2025, 7, 3)).last == 80
    assert Dossier.objects.count() == 80


def test_working_days_skip_weekends_and_tet():
    # Friday 24/1/2025 + 3 working days: Tết closes 27/1–31/1 (the `holidays` data), so Wed 5/2
    assert add_working_days(datetime.date(2025, 1, 24), 3) == datetime.date(2025, 2, 5)
    assert not is_working_day(datetime.date(2025, 9, 2))           # Quốc khánh
    assert is_working_day(datetime.date(2025, 4, 26))              # Saturday swapped for Fri 2/5
    assert not is_working_day(datetime.date(2025, 5, 2))
    assert add_working_days(datetime.date(2025, 7, 1), 0) == datetime.date(2025, 7, 1)


def test_staff_exceptions_change_the_calendar():
    friday = datetime.date(2025, 10, 10)
    assert add_working_days(friday, 1) == datetime.date(2025, 10, 13)
    CalendarDay.objects.create(date=datetime.date(2025, 10, 13), kind=CalendarKind.DAY_OFF, note="Nghỉ bù")
    assert add_working_days(friday, 1) == datetime.date(2025, 10, 14)
    CalendarDay.objects.create(date=datetime.date(2025, 10, 11), kind=CalendarKind.WORKING, note="Làm bù thứ Bảy")
    assert add_working_days(friday, 1) == datetime.date(2025, 10, 11)
    assert working_days_between(friday, datetime.date(2025, 10, 17)) == 5


def test_due_date_and_overdue_are_computed(hanoi, procedures):
    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.land,
                        applicant_name="Lê Hoàng Cường", phone="0903111222", at=at(2025, 8, 28))
    # 10 working days from Thu 28/8/2025, skipping 1–2/9 (Quốc khánh) and two weekends
    assert d.due_date == datetime.date(2025, 9, 15)
    assert not d.is_overdue(today=datetime.date(2025, 9, 15))
    assert d.is_overdue(today=datetime.date(2025, 9, 16))
    assert "overdue" not in [f.name for f in Dossier._meta.get_fields()]
