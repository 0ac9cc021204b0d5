"""Old units' workbooks (YAML mapping) and DHIS2 dataValueSets through the engine, with messy inputs."""

import json
from decimal import Decimal

import yaml
from openpyxl import Workbook

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.reports.importers import dhis2_period
from hopnhat.reports.models import DataValue

MAPPING = """
system: bc-tuyenquang-cu
importer: reports.value
source:
  kind: report_workbook
  path: {path}
  header_row: 3
  unit_column: "Đơn vị"
  period: "2024"
  total_label: "Tổng cộng"
  indicators: {{"Số trẻ sinh ra": DS01, "Dân số trung bình": DS02}}
crosswalks:
  unit: {{"Lang Quán": "Xã Lang Quán"}}
"""


def _workbook(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu 01"
    ws["A1"] = "BÁO CÁO DÂN SỐ NĂM 2024"
    ws.merge_cells("A1:C1")
    ws["A2"] = "Chỉ tiêu"
    ws.merge_cells("B2:C2")          # a merged group header over both indicator columns
    ws["B2"] = "Số liệu"
    ws.append(["Đơn vị", "Số trẻ sinh ra", "Dân số trung bình"])
    ws.append(["Xã Yên Sơn (cũ)", "1.234", "12.345,0"])      # numbers typed as text, Vietnamese separators
    ws.append(["Lang Quán", 66, "  "])                       # a name the crosswalk knows; a blank cell
    ws.append(["Xã Không Tồn Tại", 5, 50])                   # unknown unit
    ws.append(["Tổng cộng", "1.305", "12.345"])              # births add up (1.234 + 66 + 5); population does not
    ws.append(["Xã Lang Quán", "mười", None])                # no number
    wb.save(path)


def test_old_workbook_through_the_engine(tq, tmp_path):
    path = tmp_path / "bc-2024.xlsx"
    _workbook(path)
    run = run_mapping(Mapping.from_dict(yaml.safe_load(MAPPING.format(path=path))), actor="system:test-reports")
    assert run.balanced
    assert run.totals["outcomes"] == {"loaded": 3, "merged": 0, "quarantined": 4, "filtered": 2}
    u = tq.units
    assert DataValue.objects.get(unit=u.ys_old, indicator__code="DS01").value == Decimal(1234)
    assert DataValue.objects.get(unit=u.ys_old, indicator__code="DS02").value == Decimal(12345)
    assert DataValue.objects.get(unit=u.lq_old, indicator__code="DS01").value == Decimal(66)
    reasons = sorted(StagedRecord.objects.filter(outcome="quarantined").values_list("reason", flat=True))
    assert any("C7" in r and "12395" in r and "add up" in r for r in reasons), reasons
    assert any("B6" in r and "unknown" in r for r in reasons), reasons
    assert any("B8" in r and "not a number" in r for r in reasons), reasons
    # Again: nothing new stored, the old rows untouched.
    count = DataValue.objects.count()
    run_mapping(Mapping.from_dict(yaml.safe_load(MAPPING.format(path=path))), actor="system:test-reports")
    assert DataValue.objects.count() == count


def test_dhis2_data_value_sets(tq, tmp_path):
    path = tmp_path / "dvs.json"
    path.write_text(json.dumps({"dataSet": "pBOMPrpg1QX", "dataValues": [
        {"dataElement": "fbfJHSPpUQD", "period": "202401", "orgUnit": "DiszpKrYNg8",
         "categoryOptionCombo": "HllvX50cXC0", "value": "21", "lastUpdated": "2024-02-03T10:00:00.000"},
        {"dataElement": "fbfJHSPpUQD", "period": "2024Q1", "orgUnit": "DiszpKrYNg8",
         "categoryOptionCombo": "Prlt0C1RF0s", "value": "30"},
        {"dataElement": "fbfJHSPpUQD", "period": "202402", "orgUnit": "UNKNOWNOU01",
         "categoryOptionCombo": "HllvX50cXC0", "value": "4"},
    ]}), encoding="utf-8")
    mapping = {"system": "dhis2-hagiang", "importer": "reports.value", "source": {
        "kind": "dhis2_datavalues", "path": str(path), "data_elements": {"fbfJHSPpUQD": "DS01"},
        "org_units": {"DiszpKrYNg8": tq.units.hg.node_id},
        "category_option_combos": {"HllvX50cXC0": "", "Prlt0C1RF0s": "nam"}}}
    run = run_mapping(Mapping.from_dict(mapping), actor="system:test-reports")
    assert run.totals["outcomes"] == {"loaded": 2, "merged": 0, "quarantined": 1, "filtered": 0}
    jan = DataValue.objects.get(unit=tq.units.hg, period="2024M01")
    assert (jan.value, jan.period_kind, jan.source) == (Decimal(21), "M", "import:dhis2-hagiang")
    assert DataValue.objects.get(unit=tq.units.hg, period="2024Q1").disaggregation == "nam"
    assert (dhis2_period("2024S2"), dhis2_period("202412"), dhis2_period("2024")) == ("2024H2", "2024M12", "2024")
