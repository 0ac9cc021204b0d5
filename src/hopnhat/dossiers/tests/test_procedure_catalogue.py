"""The merged procedure catalogue: two old units' lists (CSV in the provinces' layout, JSON shaped like the national
TTHC database) through the engine into one catalogue, one conflict decided and audited, district procedures moved."""

import json

import pytest
from django.core.management import call_command

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import catalogue_samples, procedure_catalogue
from hopnhat.dossiers.models import CatalogueConflict, Procedure, ProcedureListing

from .conftest import close_old_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(hanoi, tmp_path):
    close_old_agencies(hanoi)
    return [run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
            for m in catalogue_samples.mappings(tmp_path)]


def test_the_same_national_code_is_one_procedure(runs):
    district, ward = runs
    assert all(run.balanced for run in runs)
    assert district.totals["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 0, "filtered": 0}
    assert ward.totals["outcomes"] == {"loaded": 1, "merged": 1, "quarantined": 0, "filtered": 0}
    assert sorted(Procedure.objects.values_list("code", flat=True)) == ["1.001193", "1.004227", "2.000884"]
    birth = Procedure.objects.get(national_code="1.001193")
    assert set(birth.listings.values_list("system", flat=True)) == {catalogue_samples.DISTRICT,
                                                                    catalogue_samples.WARD}
    # What only the JSON export carried fills the merged procedure
    assert birth.steps[0] == "Nộp tờ khai và giấy chứng sinh"
    assert birth.papers[0] == {"name": "Tờ khai đăng ký khai sinh", "copies": 1, "form": "to-khai-khai-sinh.docx"}
    assert "Khai sinh" in birth.life_events and "Luật Hộ tịch số 60/2014/QH13" in birth.legal_basis


def test_procedures_of_the_abolished_district_move_to_the_ward_doing_the_job(hanoi, runs):
    land = Procedure.objects.get(national_code="1.004227")
    assert land.agency == hanoi.ba_dinh
    assert land.listings.get().old_agency == "000.00.01.H26"
    # Trúc Bạch merged whole into Ba Đình: the same agency today, so no agency conflict
    assert Procedure.objects.get(national_code="1.001193").agency == hanoi.ba_dinh


def test_differences_are_listed_with_both_old_values(runs):
    conflicts = list(CatalogueConflict.objects.all())
    assert [(c.procedure.national_code, c.field) for c in conflicts] == [("1.001193", "processing_days")]
    values = {v["system"]: v["value"] for v in conflicts[0].values}
    assert values == {catalogue_samples.DISTRICT: 3, catalogue_samples.WARD: 5}
    assert not conflicts[0].decided
    assert Procedure.objects.get(national_code="1.001193").processing_days == 3  # first loaded, until decided


def test_the_administrator_decides_and_the_decision_is_audited(runs):
    conflict = procedure_catalogue.open_conflicts().get()
    procedure_catalogue.decide(conflict, actor="admin.badinh", system=catalogue_samples.WARD, note="theo Luật")
    birth = Procedure.objects.get(national_code="1.001193")
    assert birth.processing_days == 5
    conflict.refresh_from_db()
    assert conflict.decided and conflict.decided_by == "admin.badinh" and conflict.decided_value == 5
    entry = AuditEntry.objects.filter(action="dossiers.catalogue_decide").get()
    assert entry.actor == "admin.badinh"
    assert entry.data["before"] == 3 and entry.data["after"] == 5 and entry.data["field"] == "processing_days"
    assert not procedure_catalogue.open_conflicts().exists()


def test_a_decision_needs_a_value_some_old_unit_gave(runs):
    conflict = procedure_catalogue.open_conflicts().get()
    with pytest.raises(procedure_catalogue.CatalogueDecisionError, match="không có giá trị"):
        procedure_catalogue.decide(conflict, actor="admin.badinh", system="tthc-khac")
    assert Procedure.objects.get(national_code="1.001193").processing_days == 3


def test_a_rerun_changes_nothing_and_a_decision_survives_it(runs, tmp_path):
    conflict = procedure_catalogue.open_conflicts().get()
    procedure_catalogue.decide(conflict, actor="admin.badinh", value="4")
    again = [run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
             for m in catalogue_samples.mappings(tmp_path)]
    assert all(run.balanced for run in again)
    assert Procedure.objects.count() == 3 and ProcedureListing.objects.count() == 4
    assert Procedure.objects.get(national_code="1.001193").processing_days == 4
    assert CatalogueConflict.objects.get().decided


def test_a_bad_row_is_quarantined_with_its_field(hanoi, tmp_path):
    close_old_agencies(hanoi)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "ThoiHanGiaiQuyet": "ngay"}]))
    run = run_mapping(Mapping.from_dict({
        "system": "tthc-loi", "importer": "dossiers.procedure",
        "source": {"kind": "tthc_json", "path": str(path), "key": "MaTTHC"},
        "fields": {"code": "MaTTHC", "name": "TenTTHC", "processing_days": "ThoiHanGiaiQuyet"}}),
        actor="system:test-catalogue")
    assert run.totals["outcomes"]["quarantined"] == 1 and not Procedure.objects.exists()


def test_cli_lists_and_decides(runs, capsys):
    call_command("dossiers", "catalogue-conflicts", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(c["procedure"], c["field"]) for c in listed["conflicts"]] == [("1.001193", "processing_days")]
    call_command("dossiers", "catalogue-decide", str(listed["conflicts"][0]["id"]), "--from",
                 catalogue_samples.DISTRICT, "--actor", "admin.badinh", "--json")
    assert json.loads(capsys.readouterr().out)["decided_value"] == 3
    assert CatalogueConflict.objects.get().decided
