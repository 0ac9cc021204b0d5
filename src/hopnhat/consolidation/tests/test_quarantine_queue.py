"""Issue 12 item 5: a quarantine people can see and resolve. Reports and the CLI say "every record accounted
for; N wait for a decision" (never "no record lost" while records wait); staff fix the value map, a crosswalk
entry or a value (audited) and re-run just those records, from the CLI's list (no limit) or the staff pages."""

import csv
import json
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from hopnhat.consolidation import quarantine, selectors
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MappingOverride, OverrideKind, StagedRecord
from hopnhat.core.models import AuditEntry
from hopnhat.org.models import Membership, Person, Role, RoleAssignment

from .legacy_hr import HAGIANG_BAD

pytestmark = pytest.mark.django_db


def _call(*args) -> dict:
    out = StringIO()
    call_command("consolidate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _staged(key, system="hr-hagiang"):
    return StagedRecord.objects.get(system=system, key=key)


def test_the_report_and_the_cli_say_how_many_wait_for_a_decision(legacy_hr, org, tmp_path):
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    assert run.balanced is True
    said = _call("reconcile", str(run.pk))
    assert said["waiting"] == len(HAGIANG_BAD) == 6
    assert said["verdict_vi"] == "Mọi bản ghi đều có kết quả; 6 bản ghi chờ quyết định"
    assert said["verdict_en"] == "every record accounted for; 6 wait for a decision"
    listed = _call("quarantine", "hr-hagiang")
    assert listed["count"] == 6 and {r["key"] for r in listed["records"]} == {str(k) for k in HAGIANG_BAD}
    orphan = next(r for r in listed["records"] if r["key"] == "7")
    assert orphan["column"] == "ma_don_vi" and orphan["value"] == "PHONG-DA-GIAI-THE"
    assert _call("quarantine", str(run.pk))["count"] == 6
    keys = selectors.quarantined_keys("hr-hagiang", "people")
    assert {k["key"] for k in keys} == {str(k) for k in HAGIANG_BAD} and keys[0]["raw"] and keys[0]["reason"]


def test_a_crosswalk_entry_and_a_corrected_value_resolve_records_that_later_runs_keep(legacy_hr, org):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    # The dissolved department's staff went to Sở Tài chính (the HR office confirmed it).
    quarantine.add_entry("hr-hagiang", "people", OverrideKind.CROSSWALK, "agency", "PHONG-DA-GIAI-THE",
                         "000.00.05.H22", actor="nguyen.van.an", note="Phòng giải thể, nhân sự về Sở Tài chính")
    # Đặng Quốc Bảo's birth date was never entered: the paper file says 12/03/1990.
    quarantine.correct_value(_staged("3"), "ngay_sinh", "1990-03-12", actor="nguyen.van.an",
                             note="Theo sơ yếu lý lịch bản giấy, hồ sơ số 45/TCCB")
    result = quarantine.rerun("hr-hagiang", "people", ["3", "7"], actor="nguyen.van.an")

    assert {r["key"] for r in result["resolved"]} == {"3", "7"} and result["still"] == []
    assert _staged("7").outcome == "loaded" and _staged("3").outcome == "loaded"
    son = Person.objects.get(full_name="Triệu Văn Sơn")
    assert Membership.objects.get(person=son).agency == org["stc_hg"]
    assert str(Person.objects.get(full_name="Đặng Quốc Bảo").birth_date) == "1990-03-12"
    assert _staged("3").raw["ngay_sinh"] == "0000-00-00"   # staging keeps what the source holds
    assert {e.data["key"] for e in AuditEntry.objects.filter(action=quarantine.RESOLVED)} == {"3", "7"}
    assert any("45/TCCB" in e.data["note"]
               for e in AuditEntry.objects.filter(action="consolidation.quarantine.correction"))
    assert _call("quarantine", "hr-hagiang")["count"] == 4

    # Later runs keep them resolved: a full scan finds them unchanged; a changed record 3 keeps its correction.
    full = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test", full_scan=True)
    assert full.totals["unchanged"] == 10 and full.balanced is True
    legacy_hr.execute("UPDATE nhan_su SET dien_thoai = '0911000333', ngay_cap_nhat = '2025-06-01' WHERE id IN (3, 7)")
    later = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    assert later.totals["changed"] == 2 and _staged("3").outcome == "loaded" and _staged("7").outcome == "loaded"
    assert later.mapping["crosswalks"]["agency"]["PHONG-DA-GIAI-THE"] == "000.00.05.H22"


def test_a_correction_needs_a_note():
    record = StagedRecord(system="hr-hagiang", stream="people", key="3", raw={"ngay_sinh": "0000-00-00"})
    with pytest.raises(quarantine.QuarantineError, match="ghi chú"):
        quarantine.correct_value(record, "ngay_sinh", "1990-03-12", actor="x", note=" ")


def _titles_csv(path, count):
    rows = [["ma_nv", "ho_ten", "don_vi", "chuc_vu"]]
    rows += [[str(i), f"Cán bộ số {i}", "000.00.02.H60", "Chuyên viên chính"] for i in range(1, count + 1)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return {"system": "hr-tuyenquang", "importer": "org.people", "stream": "people",
            "source": {"kind": "csv", "path": str(path), "key": "ma_nv"},
            "fields": {"full_name": "ho_ten", "agency_code": "don_vi", "position": {"from": "chuc_vu", "map": "cv"}},
            "value_maps": {"cv": {"match": "fold", "values": {"Chuyên viên": "Chuyên viên"}}}}


def test_staff_resolve_a_whole_stream_from_the_web_queue(org, tmp_path, client):
    run = run_mapping(Mapping.from_dict(_titles_csv(tmp_path / "cb.csv", 60)), actor="system:test")
    assert run.totals["outcomes"]["quarantined"] == 60
    assert _call("quarantine", "hr-tuyenquang")["count"] == 60          # no limit of 50

    admin = get_user_model().objects.create_user("quantri.tq")
    official = get_user_model().objects.create_user("canbo.tq")
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)
    RoleAssignment.objects.create(user=official, role=Role.OFFICIAL, agency=org["snv_tq"])
    client.force_login(official)
    assert client.get("/hop-nhat/cach-ly/").status_code == 403
    client.force_login(admin)
    page = client.get("/hop-nhat/cach-ly/?system=hr-tuyenquang").content.decode()
    assert "Chuyên viên chính" in page and "bảng “cv”" in page
    report = client.get(f"/hop-nhat/luot/{run.pk}/bao-cao/").content.decode()
    assert "60 bản ghi chờ quyết định" in report and "không mất bản ghi nào" not in report
    assert "wait for a decision" not in report and "Balance checks" not in report and '<html lang="vi">' in report
    assert '<style nonce="">' not in report and '<style nonce="' in report   # else the CSP drops the page's style
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"   # the staff view speaks the page's language only
    english = client.get(f"/hop-nhat/luot/{run.pk}/bao-cao/").content.decode()
    assert "Balance checks" in english and "wait for a decision" in english and '<html lang="en">' in english
    assert "Kiểm tra cân đối" not in english and "chờ quyết định" not in english and "Lũy kế" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    assert f"/hop-nhat/luot/{run.pk}/bao-cao/" in client.get("/hop-nhat/luot/").content.decode()

    one = StagedRecord.objects.get(system="hr-tuyenquang", key="1")
    response = client.post(f"/hop-nhat/cach-ly/{one.pk}/sua/", {
        "fix": "value_map", "name": "cv", "source": "Chuyên viên chính", "target": "Chuyên viên chính",
        "rerun": "1"})
    assert response.status_code == 302
    assert StagedRecord.objects.get(pk=one.pk).outcome == "loaded"
    assert MappingOverride.objects.get(name="cv").created_by == "quantri.tq"
    client.post("/hop-nhat/cach-ly/chay-lai/", {"system": "hr-tuyenquang", "stream": "people"})
    assert not quarantine.open_records("hr-tuyenquang").exists()
    assert Membership.objects.filter(position__name="Chuyên viên chính").count() == 60
    page = client.get("/hop-nhat/cach-ly/").content.decode()
    assert "Không có bản ghi nào chờ quyết định" in page and "Đã xử lý gần đây" in page
