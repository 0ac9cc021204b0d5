"""The catalogue in and out as one Excel workbook, the way it is kept today: a sheet per kind of record, a header
row of Vietnamese column titles (with the field name in brackets so a round trip never guesses).

    export_workbook(path) -> dict        counts per sheet
    import_workbook(path, actor) -> dict created / updated per sheet; CatalogueError names the sheet, row, column

This module owns every write to the catalogue tables."""

import json
from decimal import Decimal, InvalidOperation

from django.db import transaction
from openpyxl import Workbook, load_workbook

from hopnhat.core import audit
from hopnhat.core.text import nfc

from .models import Aggregation, Form, FormRow, Indicator, PeriodKind, PeriodType, Regime


class CatalogueError(ValueError):
    pass


REGIME_FIELDS = [("code", "Mã"), ("name", "Tên chế độ báo cáo"), ("content", "Nội dung"),
                 ("reporting_entities", "Đối tượng thực hiện"), ("receiving_body", "Cơ quan nhận"),
                 ("method", "Phương thức gửi, nhận"), ("deadline_days", "Thời hạn (ngày làm việc)"),
                 ("deadline_note", "Thời hạn gửi"), ("frequency", "Tần suất (M/Q/H/N/Y)"),
                 ("cutoff_note", "Thời gian chốt số liệu"), ("outline_template", "Mẫu đề cương"),
                 ("data_form", "Biểu mẫu số liệu"), ("national_code", "Mã quốc gia")]
INDICATOR_FIELDS = [("code", "Mã chỉ tiêu"), ("name", "Tên chỉ tiêu"), ("unit_of_measure", "Đơn vị tính"),
                    ("disaggregations", "Phân tổ"), ("aggregation", "Cách tổng hợp (sum/average/last/ratio)"),
                    ("numerator", "Tử số"), ("denominator", "Mẫu số"), ("factor", "Hệ số"),
                    ("national_code", "Mã hệ thống quốc gia"), ("computed_from", "Tính từ dữ liệu nền tảng")]
PERIOD_FIELDS = [("kind", "Loại kỳ (M/Q/H/N/Y)"), ("name", "Tên kỳ"), ("cutoff_day", "Ngày chốt (0 = theo lịch)"),
                 ("cutoff_note", "Quy ước chốt số liệu")]
FORM_FIELDS = [("form", "Mã biểu"), ("form_name", "Tên biểu"), ("regime", "Mã chế độ"), ("order", "STT"),
               ("indicator", "Mã chỉ tiêu"), ("disaggregation", "Phân tổ"), ("rules", "Quy tắc kiểm tra (JSON)")]
SHEETS = [("Chế độ báo cáo", REGIME_FIELDS), ("Chỉ tiêu", INDICATOR_FIELDS), ("Kỳ báo cáo", PERIOD_FIELDS),
          ("Biểu mẫu", FORM_FIELDS)]


def _header(fields):
    return [f"{title} [{name}]" for name, title in fields]


def export_workbook(path) -> dict:
    wb = Workbook()
    wb.remove(wb.active)
    rows = {
        "Chế độ báo cáo": [[getattr(r, f) for f, _ in REGIME_FIELDS] for r in Regime.objects.all()],
        "Chỉ tiêu": [[i.code, i.name, i.unit_of_measure, "; ".join(i.disaggregations), i.aggregation,
                      i.numerator.code if i.numerator_id else "", i.denominator.code if i.denominator_id else "",
                      float(i.factor), i.national_code, i.computed_from]
                     for i in Indicator.objects.select_related("numerator", "denominator")],
        "Kỳ báo cáo": [[p.kind, p.name, p.cutoff_day, p.cutoff_note] for p in PeriodType.objects.order_by("kind")],
        "Biểu mẫu": [[r.form.code, r.form.name, r.form.regime.code, r.order, r.indicator.code, r.disaggregation,
                      json.dumps(r.form.rules, ensure_ascii=False) if r.order == 1 else ""]
                     for r in FormRow.objects.select_related("form__regime", "indicator")],
    }
    for title, fields in SHEETS:
        ws = wb.create_sheet(title)
        ws.append(_header(fields))
        for row in rows[title]:
            ws.append(row)
    wb.save(path)
    return {title: len(rows[title]) for title, _ in SHEETS}


def _read(wb, title, fields):
    if title not in wb.sheetnames:
        return []
    ws = wb[title]
    rows = ws.iter_rows(values_only=True)
    head = next(rows, None) or ()
    names = []
    for cell in head:
        text = str(cell or "")
        names.append(text[text.rfind("[") + 1:-1] if text.endswith("]") else
                     next((f for f, t in fields if nfc(t) == nfc(text.strip())), ""))
    out = []
    for number, row in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in row):
            continue
        record = {n: (nfc(v.strip()) if isinstance(v, str) else v) for n, v in zip(names, row, strict=False) if n}
        out.append((number, record))
    return out


def _bad(title, row, column, why):
    return CatalogueError(f"{title}, dòng {row}, cột {column}: {why}")


def _choice(title, row, column, value, choices):
    text = str(value or "").strip()
    if text not in choices:
        raise _bad(title, row, column, f"giá trị '{text}' không thuộc {sorted(choices)} / not one of them")
    return text


@transaction.atomic
def import_workbook(path, actor) -> dict:
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise CatalogueError(f"không đọc được tệp Excel / cannot read the workbook {path}: {exc}") from exc
    counts = {}
    kinds = set(PeriodKind.values)
    created = updated = 0
    for number, rec in _read(wb, "Kỳ báo cáo", PERIOD_FIELDS):
        kind = _choice("Kỳ báo cáo", number, "kind", rec.get("kind"), kinds)
        _, made = PeriodType.objects.update_or_create(kind=kind, defaults={
            "name": rec.get("name") or kind, "cutoff_day": int(rec.get("cutoff_day") or 0),
            "cutoff_note": rec.get("cutoff_note") or ""})
        created, updated = created + made, updated + (not made)
    counts["periods"] = {"created": created, "updated": updated}

    created = updated = 0
    for number, rec in _read(wb, "Chế độ báo cáo", REGIME_FIELDS):
        if not rec.get("code"):
            raise _bad("Chế độ báo cáo", number, "code", "thiếu mã / code missing")
        values = {f: (rec.get(f) if rec.get(f) is not None else "") for f, _ in REGIME_FIELDS if f != "code"}
        values["deadline_days"] = int(values["deadline_days"] or 5)
        values["frequency"] = _choice("Chế độ báo cáo", number, "frequency", values["frequency"] or "Q", kinds)
        _, made = Regime.objects.update_or_create(code=str(rec["code"]), defaults=values)
        created, updated = created + made, updated + (not made)
    counts["regimes"] = {"created": created, "updated": updated}

    created = updated = 0
    indicator_rows = _read(wb, "Chỉ tiêu", INDICATOR_FIELDS)
    for number, rec in indicator_rows:
        if not rec.get("code"):
            raise _bad("Chỉ tiêu", number, "code", "thiếu mã / code missing")
        try:
            factor = Decimal(str(rec.get("factor") or 1))
        except InvalidOperation as exc:
            raise _bad("Chỉ tiêu", number, "factor", f"không phải số / not a number: {rec.get('factor')}") from exc
        disaggs = [d.strip() for d in str(rec.get("disaggregations") or "").split(";") if d.strip()]
        _, made = Indicator.objects.update_or_create(code=str(rec["code"]), defaults={
            "name": rec.get("name") or str(rec["code"]), "unit_of_measure": rec.get("unit_of_measure") or "",
            "disaggregations": disaggs, "factor": factor, "national_code": rec.get("national_code") or "",
            "aggregation": _choice("Chỉ tiêu", number, "aggregation", rec.get("aggregation") or "sum",
                                   set(Aggregation.values)),
            "computed_from": rec.get("computed_from") or ""})
        created, updated = created + made, updated + (not made)
    for number, rec in indicator_rows:  # ratios name other indicators: second pass
        ind = Indicator.objects.get(code=str(rec["code"]))
        for part in ("numerator", "denominator"):
            code = rec.get(part)
            other = None
            if code:
                other = Indicator.objects.filter(code=str(code)).first()
                if other is None:
                    raise _bad("Chỉ tiêu", number, part, f"không có chỉ tiêu '{code}' / no such indicator")
            setattr(ind, part, other)
        if ind.aggregation == Aggregation.RATIO and not (ind.numerator_id and ind.denominator_id):
            raise _bad("Chỉ tiêu", number, "numerator", "chỉ tiêu tỷ lệ cần tử số và mẫu số / a ratio needs both")
        ind.save(update_fields=["numerator", "denominator"])
    counts["indicators"] = {"created": created, "updated": updated}

    created = updated = 0
    forms_seen: set[str] = set()
    for number, rec in _read(wb, "Biểu mẫu", FORM_FIELDS):
        regime = Regime.objects.filter(code=str(rec.get("regime") or "")).first()
        if regime is None:
            raise _bad("Biểu mẫu", number, "regime", f"không có chế độ '{rec.get('regime')}' / no such regime")
        indicator = Indicator.objects.filter(code=str(rec.get("indicator") or "")).first()
        if indicator is None:
            raise _bad("Biểu mẫu", number, "indicator", f"không có chỉ tiêu '{rec.get('indicator')}' / no such "
                       "indicator")
        code = str(rec.get("form") or "")
        defaults = {"name": rec.get("form_name") or code, "regime": regime}
        if rec.get("rules"):
            try:
                defaults["rules"] = json.loads(rec["rules"])
            except json.JSONDecodeError as exc:
                raise _bad("Biểu mẫu", number, "rules", f"JSON không hợp lệ / bad JSON: {exc}") from exc
        form, made = Form.objects.update_or_create(code=code, defaults=defaults)
        if code not in forms_seen:
            forms_seen.add(code)
            created, updated = created + made, updated + (not made)
        FormRow.objects.update_or_create(form=form, indicator=indicator,
                                         disaggregation=rec.get("disaggregation") or "",
                                         defaults={"order": int(rec.get("order") or number - 1)})
    counts["forms"] = {"created": created, "updated": updated}
    audit.record(actor, "reports.catalogue_import", None, file=str(path), counts=counts)
    return counts
