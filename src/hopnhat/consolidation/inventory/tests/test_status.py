"""The dashboard's states, first from decisions alone, then from real migration runs and cutover steps of the
engine: Tuyên Quang's Zimbra account list goes into the staff directory before the mailboxes move."""

import pytest
from openpyxl import load_workbook

from hopnhat.consolidation import cutover
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.inventory import decisions, plan, status
from hopnhat.consolidation.inventory.models import Decision, OldSystem, new_unit_by_code
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.models import Person

pytestmark = pytest.mark.django_db

ZIMBRA_ACCOUNTS = """ten_dang_nhap,ho_ten,email,ma_co_quan
hoa.nt,Nguyễn Thị Hoa,hoa.nt@tuyenquang.gov.vn,000.00.09.H60
minh.hv,Hoàng Văn Minh,minh.hv@tuyenquang.gov.vn,000.00.01.H60
thai.mv,Ma Văn Thái,thai.mv@tuyenquang,000.00.09.H60
galsync.k7x2,galsync,galsync.k7x2@tuyenquang.gov.vn,000.00.09.H60
"""


def _states(unit_code="08"):
    return {t.system_type: t for t in status.unit_dashboard(new_unit_by_code(unit_code)).types}


def _decide_mail():
    keeper = decisions.decide(OldSystem.objects.get(code="hagiang-mail"), Decision.KEEP, actor="nguyen.van.an",
                              rationale="Hộp thư lớn hơn; gộp về một máy chủ Zimbra của tỉnh.")
    decisions.decide(OldSystem.objects.get(code="tuyenquang-mail"), Decision.MIGRATE, actor="nguyen.van.an",
                     into=keeper, rationale="Chuyển hộp thư bằng imapsync, chuyển tiếp địa chỉ cũ.")


@pytest.fixture
def mail_run(register, tmp_path):
    (tmp_path / "zimbra_tuyenquang.csv").write_text(ZIMBRA_ACCOUNTS, encoding="utf-8")
    mapping = Mapping.from_dict({
        "system": "tuyenquang-mail", "system_type": "email", "stream": "accounts", "importer": "org.people",
        "source": {"kind": "csv", "path": "zimbra_tuyenquang.csv"}, "key": "ten_dang_nhap",
        "fields": {"full_name": {"from": "ho_ten", "required": True}, "email": "email",
                   "agency_code": "ma_co_quan"},
        "filters": [{"name": "tai_khoan_he_thong_zimbra", "field": "ten_dang_nhap",
                     "matches": "^(galsync|spam|ham|virus)"}],
    }, base_dir=tmp_path)
    return run_mapping(mapping, actor="nguyen.van.an")


def test_without_runs_states_come_from_decisions(register):
    states = _states()
    assert list(states) == ["portal", "tthc", "documents", "email", "reporting"]
    assert {t.state for t in states.values()} == {"not_started"}
    assert states["portal"].note == "Chưa có lần chạy / no runs yet"
    assert [line.totals for line in states["portal"].lines] == [None, None]
    _decide_mail()
    assert _states()["email"].state == "in_migration"  # decided, but the old mailboxes still serve people
    decisions.decide(OldSystem.objects.get(code="tuyenquang-mail"), Decision.RETIRE, actor="nguyen.van.an",
                     rationale="Dừng, không chuyển dữ liệu.")
    assert _states()["email"].state == "consolidated"


def test_a_type_without_any_system_is_not_started_and_says_why(register):
    OldSystem.objects.filter(system_type="reporting").update(system_type="other")
    reporting = _states()["reporting"]
    assert reporting.state == "not_started" and "Chưa kê khai hệ thống nào" in reporting.note


def test_engine_counts_and_cutover_drive_the_dashboard(mail_run):
    assert mail_run.balanced
    assert set(Person.objects.values_list("full_name", flat=True)) == {"Nguyễn Thị Hoa", "Hoàng Văn Minh"}
    email = _states()["email"]
    assert email.state == "in_migration"  # a run without any decision yet is already work in progress
    assert email.runs == 1 and email.note == ""
    assert email.counts == {"loaded": 2, "merged": 0, "quarantined": 1, "filtered": 1}
    line = next(line for line in email.lines if line.system.code == "tuyenquang-mail")
    assert line.totals["balanced"] is True and line.totals["cutover"] == "not-started"
    assert _states()["portal"].note == "Chưa có lần chạy / no runs yet"

    _decide_mail()
    for step in ("pre-sync", "freeze", "final-sync", "verify", "switch"):
        cutover.step("tuyenquang-mail", step, "nguyen.van.an")
    email = _states()["email"]
    assert email.state == "consolidated" and email.runs == 3  # the first run, pre-sync and final sync
    cutover.step("tuyenquang-mail", "route-back", "nguyen.van.an")
    assert _states()["email"].state == "in_migration"  # the old mailboxes answer again


def test_plan_export_reads_back_with_scores_decisions_and_counts(mail_run, tmp_path):
    _decide_mail()
    decisions.schedule(OldSystem.objects.get(code="tuyenquang-mail"), wave=2, planned_start=None,
                       planned_end=None, actor="nguyen.van.an")
    out = tmp_path / "ke-hoach.xlsx"
    written = plan.write_plan(out, OldSystem.objects.all())
    assert written["systems"] == 10 and written["units"] == 1
    assert written["states"] == {"consolidated": 0, "in_migration": 1, "not_started": 4}
    book = load_workbook(out)
    assert book.sheetnames == ["Kế hoạch", "Tổng hợp", "Trọng số"]
    rows = list(book["Kế hoạch"].iter_rows(values_only=True))
    header = rows[0]
    by_code = {row[header.index("Mã hệ thống")]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    mail = by_code["tuyenquang-mail"]
    assert mail["Quyết định"] == "Chuyển dữ liệu vào hệ thống khác"
    assert mail["Chuyển vào"] == "hagiang-mail" and mail["Đợt"] == 2 and mail["Người quyết định"] == "nguyen.van.an"
    assert (mail["Số lần chạy"], mail["Đã nạp"], mail["Cách ly"], mail["Đã lọc"]) == (1, 2, 1, 1)
    assert mail["Đơn vị mới"] == "Tỉnh Tuyên Quang" and mail["Mã định danh"] == "000.00.09.H60"
    assert by_code["hagiang-motcua"]["Hạng"] == 1 and by_code["hagiang-motcua"]["Điểm"] > 0
    summary = {row[2]: row for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Thư điện tử công vụ"][3] == "Đang chuyển đổi"
    weights = dict(book["Trọng số"].iter_rows(min_row=2, values_only=True))
    assert weights["capability"] == 25
