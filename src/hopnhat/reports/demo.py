"""The reporting demo for the merged Tuyên Quang province (old Hà Giang 02 + old Tuyên Quang 08 → new 08):

- births (DS01), quarterly: 2024 figures of the two old provinces come in through the engine from an old Excel
  workbook; 2025 Q3 – 2026 Q2 are the new province's own; one chart across 1 July 2025;
- the same at commune level: 2024 from every old commune of the two old provinces, then the new communes; the
  province's series from its communes and a new ward made partly from a split old ward mark the apportioned part;
- form B01-DS collected from UBND tỉnh Tuyên Quang by Excel upload, submitted and approved;
- dossiers received / on time / overdue computed from the platform's dossiers, and incoming documents processed
  on time / overdue computed from the document registers (the quarters around the reform and the current one);
- an SDMX-ML and SDMX-CSV export under VAR_DIR/demo/reports/.
Loading twice changes nothing."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.models import AdminUnit, Agency, Level, SuccessionKind, UnitSuccession, Vintage

from . import collection, computed, exports, series
from .models import (
    Aggregation,
    ApportionmentWeight,
    Form,
    FormRow,
    Indicator,
    PeriodType,
    Regime,
    Report,
    Status,
    WeightMethod,
)

ACTOR = "system:demo"
QUARTERS_2024 = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
NEW_QUARTERS = ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]


def _catalogue():
    for kind, name, day, note in (("M", "Tháng", 15, "Từ ngày 15 tháng trước đến ngày 14 tháng báo cáo"),
                                  ("Q", "Quý", 15, "Từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối quý"),
                                  ("H", "6 tháng", 15, "Từ ngày 15/12 năm trước đến ngày 14/6"),
                                  ("N", "9 tháng", 15, "Từ ngày 15/12 năm trước đến ngày 14/9"),
                                  ("Y", "Năm", 15, "Từ ngày 15/12 năm trước đến ngày 14/12")):
        PeriodType.objects.update_or_create(kind=kind, defaults={"name": name, "cutoff_day": day,
                                                                 "cutoff_note": note})
    regime, _ = Regime.objects.update_or_create(code="BC-DS-01", defaults={
        "name": "Báo cáo tình hình dân số và hộ tịch", "content": "Số trẻ sinh ra, dân số trung bình",
        "reporting_entities": "UBND cấp tỉnh, UBND cấp xã", "receiving_body": "Bộ Nội vụ",
        "method": "Hệ thống thông tin báo cáo quốc gia", "deadline_days": 5, "frequency": "Q",
        "cutoff_note": "Từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối quý", "data_form": "Biểu B01-DS"})
    hs_regime, _ = Regime.objects.update_or_create(code="BC-TTHC-01", defaults={
        "name": "Báo cáo tình hình giải quyết thủ tục hành chính", "receiving_body": "Văn phòng Chính phủ",
        "method": "Tự động từ hệ thống một cửa", "deadline_days": 5, "frequency": "Q"})
    births, _ = Indicator.objects.update_or_create(code="DS01", defaults={
        "name": "Số trẻ sinh ra", "unit_of_measure": "người", "disaggregations": ["giới tính"],
        "aggregation": Aggregation.SUM, "national_code": "0101"})
    population, _ = Indicator.objects.update_or_create(code="DS02", defaults={
        "name": "Dân số trung bình", "unit_of_measure": "người", "aggregation": Aggregation.SUM,
        "national_code": "0102"})
    Indicator.objects.update_or_create(code="DS03", defaults={
        "name": "Tỷ suất sinh thô", "unit_of_measure": "‰", "aggregation": Aggregation.RATIO,
        "numerator": births, "denominator": population, "factor": 1000})
    for code, name, source in (("HS01", "Số hồ sơ TTHC tiếp nhận", "dossiers.received"),
                               ("HS02", "Số hồ sơ giải quyết đúng hạn", "dossiers.finished_on_time"),
                               ("HS03", "Số hồ sơ quá hạn", "dossiers.overdue")):
        Indicator.objects.update_or_create(code=code, defaults={"name": name, "unit_of_measure": "hồ sơ",
                                                                "computed_from": source})
    for code, name, source in (("VB01", "Số văn bản đến có thời hạn giải quyết", "documents.received"),
                               ("VB02", "Số văn bản đến giải quyết đúng hạn", "documents.done_on_time"),
                               ("VB03", "Số văn bản đến quá hạn", "documents.overdue")):
        Indicator.objects.update_or_create(code=code, defaults={"name": name, "unit_of_measure": "văn bản",
                                                                "computed_from": source})
    form, _ = Form.objects.update_or_create(code="B01-DS", defaults={
        "name": "Biểu dân số và sinh", "regime": regime, "rules": [
            {"code": "R1", "kind": "range", "indicator": "DS02", "min": 0, "max": 20000000},
            {"code": "R2", "kind": "expression", "left": "DS01", "right": ["DS01|nam", "DS01|nữ"]},
            {"code": "R3", "kind": "deviation", "indicator": "DS02", "max_percent": 20}]})
    for order, (ind, dis) in enumerate([(births, ""), (births, "nam"), (births, "nữ"), (population, "")], 1):
        FormRow.objects.update_or_create(form=form, indicator=ind, disaggregation=dis, defaults={"order": order})
    hs_form, _ = Form.objects.update_or_create(code="B02-TTHC", defaults={"name": "Biểu giải quyết TTHC",
                                                                         "regime": hs_regime})
    for order, code in enumerate(("HS01", "HS02", "HS03"), 1):
        FormRow.objects.update_or_create(form=hs_form, indicator=Indicator.objects.get(code=code),
                                         disaggregation="", defaults={"order": order})
    return births, form


def _old_workbook(path):
    """What the two old provinces sent for 2024, as their statistics offices kept it: merged header, numbers
    typed as text with Vietnamese separators, a total row."""
    figures = {"Tỉnh Hà Giang": [3210, 3105, 3350, 3402], "Tỉnh Tuyên Quang": [2875, 2790, 2960, 3011]}
    wb = Workbook()
    for q, quarter in enumerate(QUARTERS_2024):
        ws = wb.active if q == 0 else wb.create_sheet()
        ws.title = quarter
        ws["A1"] = f"SỐ TRẺ SINH RA — {quarter}"
        ws.merge_cells("A1:B1")
        ws.append([])
        ws.append(["Đơn vị", "Số trẻ sinh ra"])
        for name, values in figures.items():
            ws.append([name, f"{values[q]:,}".replace(",", ".")])
        ws.append(["Tổng cộng", f"{sum(v[q] for v in figures.values()):,}".replace(",", ".")])
    wb.save(path)
    return figures


def _split_ward(new_province):
    """A new ward of the province made partly from a split old ward (from the national graph)."""
    edge = (UnitSuccession.objects.filter(kind=SuccessionKind.PARTIAL, successor__vintage=Vintage.NEW,
                                          successor__level=Level.WARD, successor__province=new_province,
                                          predecessor__level=Level.WARD)
            .select_related("successor", "predecessor").order_by("successor__code", "predecessor__code").first())
    return edge


def _spread(total: int, units, sizes=None) -> list[tuple[AdminUnit, Decimal]]:
    """A province's figure spread over its communes in proportion to `sizes` (by default a fixed made-up size,
    1–7 by code): whole numbers that add up to the province's figure, so the communes' sum and the province's
    own report agree."""
    sizes = [Decimal(x) for x in (sizes or [1 + int(u.code) % 7 for u in units])]
    exact = [total * size / sum(sizes) for size in sizes]
    shares = [int(x) for x in exact]
    # the units left over go one each to the largest remainders, so no commune carries them all
    for i in sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))[:total - sum(shares)]:
        shares[i] += 1
    return [(u, Decimal(v)) for u, v in zip(units, shares, strict=True)]


def _ward_rows(births, new_tq, old_figures: dict, own: list[int]) -> list:
    """Births at commune level for the whole merged province: 2024 from every old commune of old Hà Giang and
    old Tuyên Quang (their provinces' figures spread over them), 2025 Q3 – 2026 Q2 from the new communes, each
    new commune's share of the province the share its predecessors had in 2024 Q4 (through the lineage weights),
    so a commune's series runs on across 1 July 2025 and the province's series from its communes crosses it with
    the split communes' share marked."""
    rows, last = [], {}
    for name, quarters in old_figures.items():
        province = AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.PROVINCE, name=name).first()
        wards = list(AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.WARD, province=province)
                     .order_by("code")) if province else []
        if wards:
            for quarter, total in zip(QUARTERS_2024, quarters, strict=True):
                spread = _spread(total, wards)
                rows += [(births, w, None, quarter, "", v) for w, v in spread]
            last |= {w.pk: v for w, v in spread}
    wards = list(AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.WARD, province=new_tq).order_by("code"))
    sizes = [sum((last.get(pred.pk, Decimal(0)) * weight for pred, weight, _ in series.weights(w)), Decimal(0))
             for w in wards]
    if wards and any(sizes):
        for quarter, total in zip(NEW_QUARTERS, own, strict=True):
            rows += [(births, w, None, quarter, "", v) for w, v in _spread(total, wards, sizes)]
    return rows


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    births, form = _catalogue()
    new_tq = AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE, code="08").first()
    if new_tq is None:
        stdout.write("    (chưa nạp đơn vị hành chính / units not loaded: reports demo skipped)\n")
        return {"skipped": "units not loaded"}
    # 1. The old provinces' 2024 workbook, through the engine.
    workbook = folder / "bc-dan-so-2024-tinh-cu.xlsx"
    figures = _old_workbook(workbook)
    runs = {}
    for quarter in QUARTERS_2024:
        spec = {"system": "bc-thongke-tinh-cu", "importer": "reports.value", "stream": f"reports.value.{quarter}",
                "source": {"kind": "report_workbook", "path": str(workbook), "sheet": quarter, "header_row": 3,
                           "unit_column": "Đơn vị", "period": quarter,
                           "indicators": {"Số trẻ sinh ra": "DS01"}}}
        run = run_mapping(Mapping.from_dict(spec), actor=ACTOR)
        runs[quarter] = {"outcomes": run.totals["outcomes"], "balanced": run.balanced}
    # 2. The new province's own figures after the reform.
    own = [6290, 6415, 6120, 6233]
    collection.record_values([(births, new_tq, None, q, "", Decimal(v)) for q, v in zip(NEW_QUARTERS, own,
                                                                                          strict=True)],
                             "demo", ACTOR)
    # 3. A ward across a split: the old ward's 2024 figures shared, the estimated part marked.
    ward = {}
    edge = _split_ward(new_tq)
    if edge is not None:
        old, new = edge.predecessor, edge.successor
        # Population shares of the split (made up for the demo): 60% to this ward, the rest shared equally;
        # every edge of the split gets its weight, so the shares add up to the old ward's figure.
        siblings = list(UnitSuccession.objects.filter(predecessor=old, successor__level=Level.WARD)
                        .order_by("successor__code"))
        others = [e for e in siblings if e.pk != edge.pk]
        for each in siblings:
            share = Decimal(1) if not others else (Decimal("0.6") if each.pk == edge.pk
                                                   else (Decimal("0.4") / len(others)).quantize(Decimal("0.000001")))
            ApportionmentWeight.objects.get_or_create(edge=each, defaults={
                "weight": share, "method": WeightMethod.POPULATION,
                "note": "Tỷ lệ dân số theo đề án sắp xếp (số liệu demo)"})
        ward = {"unit": new.node_id, "name": new.name, "split_from": old.name,
                "url": f"/bao-cao/chuoi/DS01/{new.pk}/"}
    collection.record_values(_ward_rows(births, new_tq, figures, own), "demo", ACTOR)
    # 4. Form B01-DS by Excel upload from UBND tỉnh Tuyên Quang, submitted and approved.
    agency = Agency.objects.filter(code="000.00.00.H60").first()
    upload = {}
    if agency is not None and agency.unit_id:
        done = Report.objects.filter(form=form, agency=agency, period="2025Q4", status=Status.APPROVED).first()
        if done is None:
            path = folder / "B01-DS-H60-2025Q4.xlsx"
            collection.template(form, agency, "2025Q4").save(path)
            wb = load_workbook(path)
            values = {"DS01": "6.415", "DS01|nam": "3.301", "DS01|nữ": "3.114", "DS02": "1.865.270,0"}
            for row in wb.active.iter_rows(min_row=collection.HEADER_ROWS + 1):
                if row[1].value in values:
                    row[3].value = values[row[1].value]
            wb.save(path)
            result = collection.import_upload(form, agency, "2025Q4", path, ACTOR)
            if result.ok:
                collection.move(result.report, "submit", ACTOR)
                done = collection.move(result.report, "approve", ACTOR, note="demo")
        if done is not None:
            upload = {"report": done.pk, "status": done.status,
                      "url": f"/bao-cao/bieu/B01-DS/{agency.pk}/2025Q4/"}
    # 5. Dossier and document indicators from the platform's own records.
    today = timezone.localdate()
    quarters = dict.fromkeys(("2025Q3", "2025Q4", f"{today.year}Q{(today.month - 1) // 3 + 1}"))
    computed_out = {q: computed.compute(q, ACTOR)["stored"] for q in quarters}
    # 6. SDMX.
    units = [new_tq] + ([AdminUnit.objects.get(vintage=Vintage.NEW, level=Level.WARD,
                                               code=ward["unit"].rsplit("/", 1)[1])] if ward else [])
    files = exports.to_sdmx_ml([births], units, 2024, 2026)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    exports.to_sdmx_csv([births], units, 2024, 2026, folder / "data.csv")
    result = {"runs": runs, "old_provinces": figures, "province_url": f"/bao-cao/chuoi/DS01/{new_tq.pk}/",
              "ward": ward, "upload": upload, "computed": computed_out,
              "sdmx": [str(folder / n) for n in ("structure.xml", "data.xml", "data.csv")]}
    stdout.write(f"    Báo cáo / reports: chuỗi số trẻ sinh ra tỉnh Tuyên Quang qua 01/7/2025: "
                 f"{result['province_url']}\n"
                 f"    Xã có phần ước tính / ward with the estimated part: {ward.get('url', '—')}\n"
                 f"    SDMX: {folder}\n")
    return result
