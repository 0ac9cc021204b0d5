"""`hopnhat inventory …` as an IT officer runs it, each sub-command with --json."""

import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from hopnhat.consolidation.inventory import demo
from hopnhat.consolidation.inventory.models import OldSystem
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = io.StringIO()
    call_command("inventory", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_template_fill_import_and_reimport(agencies, tmp_path):
    template = tmp_path / "mau.xlsx"
    assert run("template", str(template))["columns"][0] == "Mã hệ thống"
    book = load_workbook(template)
    sheet = book["Hệ thống"]
    for number, row in enumerate(demo.SYSTEMS[:4], start=2):
        for index, column in enumerate(demo.spreadsheet.COLUMNS, start=1):
            sheet.cell(row=number, column=index, value=row.get(column.field))
    filled = tmp_path / "ra-soat-tuyen-quang.xlsx"
    book.save(filled)
    assert run("import", str(filled), "--dry-run")["created"] == [s["code"] for s in demo.SYSTEMS[:4]]
    assert not OldSystem.objects.exists()
    first = run("import", str(filled), "--by", "nguyen.van.an")
    assert first["ok"] and len(first["created"]) == 4
    again = run("import", str(filled))
    assert (again["created"], again["updated"], len(again["unchanged"])) == ([], [], 4)


def test_import_with_bad_rows_exits_non_zero_with_the_report(agencies, tmp_path):
    path = tmp_path / "loi.xlsx"
    path.write_bytes(demo.filled_template([{**demo.SYSTEMS[0], "yearly_cost_vnd": "ba trăm triệu"}]).getvalue())
    out = io.StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("inventory", "import", str(path), "--json", stdout=out)
    assert excinfo.value.code == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["errors"][0]["row"] == 2
    assert "“ba trăm triệu” không phải số nguyên" in report["errors"][0]["message"]


def test_list_assess_decide_status_and_export(register, tmp_path):
    listing = run("list", "--unit", "08", "--type", "tthc")
    assert [s["code"] for s in listing["systems"]] == ["hagiang-motcua", "tuyenquang-motcua"]
    assert listing["duplicates"][0]["systems"] == ["hagiang-motcua", "tuyenquang-motcua"]
    assessed = run("assess", "08", "tthc")
    assert assessed["duplicate"] and assessed["candidates"][0]["code"] == "hagiang-motcua"
    assert assessed["candidates"][0]["total"] == pytest.approx(80.62, abs=0.01)

    kept = run("decide", "hagiang-motcua", "keep", "--rationale", "Nhiều hồ sơ nhất", "--by", "nguyen.van.an",
               "--wave", "1", "--start", "01/09/2025", "--end", "31/10/2025")
    assert kept == {"ok": True, "code": "hagiang-motcua", "decision": "keep", "into": None, "wave": 1,
                    "decided_by": "nguyen.van.an"}
    run("decide", "tuyenquang-motcua", "migrate", "--into", "hagiang-motcua", "--rationale", "Chuyển hồ sơ",
        "--by", "nguyen.van.an")
    assert AuditEntry.objects.filter(action="inventory.decide", actor="nguyen.van.an").count() == 2
    assert run("list", "--duplicates", "--type", "tthc")["duplicates"][0]["resolved"] is True

    state = {t["system_type"]: t for t in run("status", "08")["types"]}
    assert state["tthc"]["state"] == "in_migration" and state["portal"]["state"] == "not_started"

    weights = run("weights", "cost=40", "--by", "nguyen.van.an")["weights"]
    assert weights["cost"] == "40.00"

    out = tmp_path / "ke-hoach.xlsx"
    exported = run("export-plan", str(out))
    assert exported["systems"] == 10 and load_workbook(out)["Kế hoạch"].max_row == 11


@pytest.mark.parametrize("args,message", [
    (("decide", "khong-co", "keep", "--rationale", "x", "--by", "a"), "Không có hệ thống mã “khong-co”"),
    (("decide", "tuyenquang-motcua", "migrate", "--rationale", "x", "--by", "a"), "cần chỉ rõ hệ thống nhận"),
    (("assess", "99", "tthc"), "Không có đơn vị hành chính mới mã “99”"),
    (("weights", "cost=40"), "Cần --by"),
    (("decide", "portal-hagianggovvn", "keep", "--rationale", "x", "--by", "a", "--start", "2025/13/45"),
     "không đúng dạng"),
])
def test_errors_name_the_record(register, args, message):
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("inventory", *args, "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["ok"] is False and message in answer["error"]
