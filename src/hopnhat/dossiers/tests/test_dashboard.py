"""On time / late per agency on a realistic year of Hà Nội dossiers: due dates counted in working days across Tết
2025 and 2026, 30/4–1/5 (with its swapped day) and 2/9, a decision late at night (Vietnam time decides the day),
agencies closed by the reform, and each official seeing only their own scope."""

import datetime
import itertools

import pytest
from django.utils import timezone

from hopnhat.core.workdays import add_working_days
from hopnhat.dossiers import dashboard
from hopnhat.dossiers.models import Dossier, Status
from hopnhat.org.models import Role

from .conftest import at, close_old_agencies
from .staffing import client_for, official

pytestmark = pytest.mark.django_db
D = datetime.date
_seq = itertools.count(1)


def _dossier(agency, procedure, received, status, finished=None, name="Nguyễn Văn An"):
    """A dossier as the importers leave it: received, due in the procedure's working days, maybe decided."""
    day = timezone.localdate(received)
    return Dossier.objects.create(
        code=f"{agency.code}-{day:%y%m%d}-{next(_seq):04d}", procedure=procedure, applicant_name=name,
        receiving_agency=agency, agency=agency, status=status, received_at=received,
        due_date=add_working_days(day, procedure.processing_days), finished_at=finished)


@pytest.fixture
def year(hanoi, procedures):
    p, S = procedures, Status
    made = {
        # Đội Cấn before the reform: certified on the first day back after Tết 2025 (25/1–2/2), on time
        "tet_2025": _dossier(hanoi.doi_can, p.certify, at(2025, 1, 24, 10), S.RETURNED, at(2025, 2, 3, 9),
                             "Lê Thị Ngọc"),
        # received the day before 30/4; 30/4, 1/5 and the swapped 2/5 are off
        "april_30": _dossier(hanoi.doi_can, p.birth, at(2025, 4, 29, 14), S.DONE, at(2025, 5, 6, 16),
                             "Phạm Quốc Bảo"),
        # Ba Đình after the reform: over 2/9 (1–2/9 off) and decided a working day late
        "sept_2": _dossier(hanoi.ba_dinh, p.birth, at(2025, 8, 29, 8, 30), S.RETURNED, at(2025, 9, 8, 10),
                           "Hoàng Minh Đức"),
        # due 5/9: decided 23:30 that evening is on time; 00:30 the next morning is late, though still 5/9 in UTC
        "late_evening": _dossier(hanoi.ba_dinh, p.certify, at(2025, 9, 4, 9), S.DONE, at(2025, 9, 5, 23, 30),
                                 "Đặng Thu Trang"),
        "after_midnight": _dossier(hanoi.ba_dinh, p.certify, at(2025, 9, 4, 9), S.DONE, at(2025, 9, 6, 0, 30),
                                   "Trịnh Văn Khải"),
        # Ngọc Hà around Tết 2026 (14–22/2)
        "land_over_tet": _dossier(hanoi.ngoc_ha, p.land, at(2026, 2, 12, 15, 30), S.PROCESSING,
                                  name="Đỗ Minh Quân"),
        "certify_after_tet": _dossier(hanoi.ngoc_ha, p.certify, at(2026, 2, 13, 10), S.PROCESSING,
                                      name="Vũ Thị Hoa"),
        "birth_returned": _dossier(hanoi.ngoc_ha, p.birth, at(2026, 2, 11, 9), S.RETURNED, at(2026, 2, 23, 15),
                                   "Trần Thị Thu Hường"),
        "refused": _dossier(hanoi.ngoc_ha, p.land, at(2026, 2, 25, 9), S.REFUSED, at(2026, 2, 25, 10),
                            "Bùi Văn Long"),
        "supplement": _dossier(hanoi.ngoc_ha, p.birth, at(2026, 3, 2, 8), S.SUPPLEMENT, name="Ngô Thị Mai"),
        # Giảng Võ: one withdrawn, one decided the day after its due date
        "withdrawn": _dossier(hanoi.giang_vo, p.certify, at(2026, 1, 29, 9), S.WITHDRAWN, name="Tạ Văn Bình"),
        "giang_vo_late": _dossier(hanoi.giang_vo, p.certify, at(2026, 1, 30, 9), S.RETURNED, at(2026, 2, 3, 11),
                                  "Lý Thu Hà"),
    }
    close_old_agencies(hanoi)   # Đội Cấn's finished dossiers stay with it: nothing open to hand over
    return made


def test_due_dates_skip_tet_april_30_and_national_day(year):
    due = {key: d.due_date for key, d in year.items()}
    assert due["tet_2025"] == D(2025, 2, 3)           # Fri 24/1 + 1 working day, Tết 25/1–2/2
    assert due["april_30"] == D(2025, 5, 7)           # Tue 29/4 + 3: 30/4, 1/5, 2/5 off
    assert due["sept_2"] == D(2025, 9, 5)             # Fri 29/8 + 3: 1/9, 2/9 off
    assert due["land_over_tet"] == D(2026, 3, 5)      # Thu 12/2 + 10: 13/2, then 23/2 … 5/3
    assert due["certify_after_tet"] == D(2026, 2, 23)
    assert due["birth_returned"] == D(2026, 2, 23)    # 12/2, 13/2, 23/2


def _row(counts, name):
    [row] = [r for r in counts["agencies"] if r["agency_name"] == name]
    return {k: row[k] for k in [*dashboard.COLUMNS, "total"]}


def test_counts_per_agency_for_the_city(hanoi, year):
    admin = official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN)
    counts = dashboard.counts_by_agency(admin, today=D(2026, 3, 4))
    assert [r["agency_name"] for r in counts["agencies"]] == [
        "UBND phường Ba Đình", "UBND phường Giảng Võ", "UBND phường Ngọc Hà", "UBND phường Đội Cấn"]
    assert _row(counts, "UBND phường Đội Cấn") == {
        "finished_on_time": 2, "finished_late": 0, "open_on_time": 0, "open_overdue": 0, "other": 0, "total": 2}
    assert _row(counts, "UBND phường Ba Đình") == {
        "finished_on_time": 1, "finished_late": 2, "open_on_time": 0, "open_overdue": 0, "other": 0, "total": 3}
    assert _row(counts, "UBND phường Ngọc Hà") == {
        "finished_on_time": 1, "finished_late": 0, "open_on_time": 2, "open_overdue": 1, "other": 1, "total": 5}
    assert _row(counts, "UBND phường Giảng Võ") == {
        "finished_on_time": 0, "finished_late": 1, "open_on_time": 0, "open_overdue": 0, "other": 1, "total": 2}
    total = counts["total"]
    assert (total["finished_on_time"], total["finished_late"], total["total"]) == (4, 3, 12)
    # the one open dossier already overdue counts against the rate, as a late one does (issue 19)
    assert total["on_time_rate"] == round(4 / (7 + 1), 4)
    assert counts["agencies"][-1]["agency_active"] is False
    # two days later the land dossier (due 5/3) is late too; the supplement one, due the same day, waits on the
    # applicant: its clock stands still (clock.py), so it is not overdue
    later = dashboard.counts_by_agency(admin, today=D(2026, 3, 6))
    assert _row(later, "UBND phường Ngọc Hà")["open_overdue"] == 2


def test_counts_agree_with_the_dossier_rule(hanoi, year):
    admin = official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN)
    today = D(2026, 3, 4)
    counts = dashboard.counts_by_agency(admin, today=today)
    late = sum(counts["total"][k] for k in ("finished_late", "open_overdue"))
    assert late == sum(d.is_overdue(today) for d in Dossier.objects.all())


def test_an_official_counts_only_their_agency_and_a_period(hanoi, year):
    ngoc_ha = official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha)
    counts = dashboard.counts_by_agency(ngoc_ha, today=D(2026, 3, 4))
    assert [r["agency_name"] for r in counts["agencies"]] == ["UBND phường Ngọc Hà"]
    admin = official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN)
    in_2026 = dashboard.counts_by_agency(admin, today=D(2026, 3, 4), since=D(2026, 1, 1), until=D(2026, 2, 28))
    assert [r["agency_name"] for r in in_2026["agencies"]] == ["UBND phường Giảng Võ", "UBND phường Ngọc Hà"]
    assert in_2026["total"]["total"] == 6   # the 2/3 supplement dossier is after the period


def test_dashboard_page_and_json(hanoi, year):
    admin = official("dinh.thi.lan", "Đinh Thị Lan", hanoi.city, role=Role.UNIT_ADMIN)
    c = client_for(admin)
    page = c.get("/ho-so/can-bo/thong-ke/")
    html = page.content.decode()
    assert page.status_code == 200 and "Đang giải quyết quá hạn" in html and "UBND phường Đội Cấn" in html
    data = c.get("/ho-so/can-bo/thong-ke.json", {"since": "2026-01-01", "until": "2026-02-28"}).json()
    expected = dashboard.counts_by_agency(admin, since=D(2026, 1, 1), until=D(2026, 2, 28))
    assert data == {"ok": True, **expected}
    bad = c.get("/ho-so/can-bo/thong-ke.json", {"since": "30/02/2026"})
    assert bad.status_code == 400 and "since" in bad.json()["errors"]
    other = client_for(official("le.van.tam", "Lê Văn Tâm", hanoi.giang_vo))
    assert [r["agency_name"] for r in other.get("/ho-so/can-bo/thong-ke.json").json()["agencies"]] == [
        "UBND phường Giảng Võ"]
