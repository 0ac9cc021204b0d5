"""One procedure catalogue of the new unit, merged from the lists the old units published.

Each old unit's list is one mapping run through the consolidation engine (importer `dossiers.procedure`), read
from the CSV/Excel layout provinces publish (source kinds csv / excel) or from a JSON export shaped like the
national TTHC database's (source kind `tthc_json`). The mapping's `fields:` name the columns; the importer takes
these target fields:

    code (required: 1.001193 or 1.001193.000.00.00.H26), name, field_code, field_name, levels, processing_days,
    fees, papers, agency (receiving agency's mã định danh), legal_basis, steps, life_events, forms,
    form_fields (the e-form's fields, dossiers.eform)

Merge rules:
* the same national procedure code (the first two parts) is ONE procedure; each old unit's version stays a
  ProcedureListing, so what every old unit said can be shown;
* where the listings differ in processing_days, fees, papers or agency, a CatalogueConflict lists every old value
  for a unit administrator; `decide()` writes the chosen value on the procedure and audits it in one transaction;
  until then the procedure keeps the value first loaded;
* the receiving agency goes through the agency crosswalk (`ImportContext.crosswalk_agency`, i.e.
  org.agencies): a procedure of an abolished district agency moves to the agency acting for it today.

This module owns every write to the merged catalogue (procedures, listings, conflicts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.api import (
    DomainImporter,
    MappingError,
    Source,
    SourceRecord,
    loaded,
    merged,
    register_importer,
    register_source_kind,
)
from hopnhat.core import audit
from hopnhat.core.text import nfc

from . import eform, public_catalogue
from .catalogue import PROCEDURE_CODE
from .models import CatalogueConflict, Procedure, ProcedureListing

COMPARED = ("processing_days", "fees", "papers", "agency")
_COPIES = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+)\)$")


# ---- the JSON export shaped like the national TTHC database ---------------------------------------------------

class TthcJsonSource(Source):
    """source: {kind: tthc_json, path: thu-tuc.json, items: data, key: MaTTHC}. The export is a list of procedure
    objects (or an object holding it under `items`, dotted path allowed); nested lists (ThanhPhanHoSo as a list of
    objects) travel as JSON text the importer reads back, nested objects are also offered as "LinhVuc.MaLinhVuc"."""

    kind = "tthc_json"

    def _path(self) -> Path:
        path = Path(self.config["path"])
        return path if path.is_absolute() or not self.base_dir else Path(self.base_dir) / path

    def describe(self) -> str:
        return self._path().name

    def _items(self) -> list:
        data = json.loads(self._path().read_text(encoding="utf-8-sig"))
        for part in filter(None, str(self.config.get("items", "")).split(".")):
            data = data[part]
        return data

    def estimate(self) -> int | None:
        return len(self._items())

    def records(self, since=None):
        key = self.config.get("key", "MaTTHC")
        for i, item in enumerate(self._items(), 1):
            data = _nfc(item)
            for name, value in list(data.items()):  # {"LinhVuc": {"MaLinhVuc": …}} also as "LinhVuc.MaLinhVuc"
                if isinstance(value, dict):
                    data.update({f"{name}.{k}": v for k, v in value.items()})
                elif isinstance(value, list):  # a mapping's field is text: lists travel as JSON, parsed back below
                    data[name] = json.dumps(value, ensure_ascii=False)
            yield SourceRecord(key=str(item.get(key) or f"{self.describe()} item {i}"), data=data)


def _nfc(value):
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


register_source_kind("tthc_json", TthcJsonSource)


# ---- parsing one published row --------------------------------------------------------------------------------

def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _texts(value: Any, sep: str = ";") -> list[str]:
    value = _maybe_json(value)
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [nfc(str(v)).strip() for v in value if str(v).strip()]
    return [p.strip() for p in nfc(str(value)).replace("\n", sep).split(sep) if p.strip()]


def parse_fees(value: Any) -> list[dict]:
    """ "Lệ phí: 50.000 đồng; Phí: 0" or [{"TenPhiLePhi"/"name": …, "MucPhi"/"amount": …}] → [{name, amount}]."""
    value = _maybe_json(value)
    items = value if isinstance(value, list) else _texts(value)
    fees = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name") or item.get("TenPhiLePhi") or item.get("MoTa") or "Lệ phí"
            amount = item.get("amount", item.get("MucPhi", 0))
        else:
            name, _, amount = str(item).rpartition(":")
        digits = re.sub(r"[.,\s]|đồng|VNĐ|VND|đ", "", str(amount), flags=re.IGNORECASE)
        if not str(name).strip() or not digits.isdigit():
            raise MappingError("fees", f"“{item}”: cần dạng “Tên: số tiền” / need “name: amount”")
        fees.append({"name": nfc(str(name)).strip(), "amount": int(digits)})
    return sorted(fees, key=lambda f: (f["name"], f["amount"]))


def parse_papers(value: Any) -> list[dict]:
    """ "Tờ khai (1); Bản sao giấy khai sinh (2)" or [{"TenGiayTo"/"name", "SoLuong"/"copies", "MauDon"/"form"}]."""
    value = _maybe_json(value)
    items = value if isinstance(value, list) else _texts(value)
    papers = []
    for item in items:
        if isinstance(item, dict):
            paper = {"name": nfc(str(item.get("name") or item.get("TenGiayTo") or "")).strip(),
                     "copies": int(item.get("copies") or item.get("SoLuong") or 1)}
            if form := item.get("form") or item.get("MauDon"):
                paper["form"] = str(form)
        else:
            m = _COPIES.match(str(item))
            paper = {"name": m["name"], "copies": int(m["n"])} if m else {"name": str(item), "copies": 1}
        if not paper["name"]:
            raise MappingError("papers", f"“{item}”: giấy tờ không có tên / a paper without a name")
        papers.append(paper)
    return papers


def parse_days(value: Any) -> int:
    match = re.search(r"\d+(?:[.,]\d+)?", str(value or ""))
    if not match:
        raise MappingError("processing_days", f"“{value}”: phải là số ngày làm việc / must be working days")
    return int(float(match.group().replace(",", ".")))


def _forms(value: Any) -> list[dict]:
    value = _maybe_json(value)
    items = value if isinstance(value, list) else _texts(value)
    return [f if isinstance(f, dict) else {"name": Path(str(f)).name, "url": str(f)} for f in items]


def parse_listing(mapped: dict[str, Any]) -> dict[str, Any]:
    code = str(mapped.get("code") or "").strip().upper()
    if not PROCEDURE_CODE.match(code):
        raise MappingError("code", f"“{code}”: không đúng dạng 1.001193 hoặc 1.001193.000.00.00.H26 / bad code")
    if not str(mapped.get("name") or "").strip():
        raise MappingError("name", "thiếu tên thủ tục / missing name")
    return {
        "code": code, "national_code": ".".join(code.split(".")[:2]), "name": nfc(str(mapped["name"])).strip(),
        "field_code": str(mapped.get("field_code") or ""), "field_name": nfc(str(mapped.get("field_name") or "")),
        "levels": _texts(mapped.get("levels")), "processing_days": parse_days(mapped.get("processing_days")),
        "fees": parse_fees(mapped.get("fees")), "papers": parse_papers(mapped.get("papers")),
        "legal_basis": "\n".join(_texts(mapped.get("legal_basis"), sep="\n")),
        "steps": _texts(mapped.get("steps"), sep="\n"), "life_events": _texts(mapped.get("life_events")),
        "forms": _forms(mapped.get("forms")), "form_fields": _form_fields(mapped.get("form_fields")),
    }


def _form_fields(value: Any) -> list[dict]:
    try:
        return eform.parse_fields(value)
    except eform.EformError as exc:
        raise MappingError("form_fields", str(exc)) from exc


# ---- the importer ---------------------------------------------------------------------------------------------

_DESCRIPTIVE = ("name", "field_code", "field_name", "levels", "legal_basis", "steps", "life_events", "forms",
                "form_fields")


@register_importer
class ProcedureImporter(DomainImporter):
    """One old unit's published procedure → the merged catalogue (loaded: a new procedure; merged: one already
    there under the same national code, with any difference listed as a conflict)."""

    name = "dossiers.procedure"
    target_model = "dossiers.Procedure"
    reconcile_fields = {"name": "name"}
    _LISTED = ("mỗi đơn vị cũ giữ nguyên bản công bố trong ProcedureListing; khác nhau thì thành xung đột chờ quyết "
               "định, không ghi đè / each old unit's version is kept as published (ProcedureListing); a difference "
               "becomes a conflict to decide, never an overwrite")
    reconcile_exclude = dict.fromkeys((
        "code", "field_code", "field_name", "levels", "processing_days", "fees", "papers", "agency", "legal_basis",
        "life_events", "steps"), _LISTED)
    reconcile_exclude["form_fields"] = ("đọc thành danh sách trường của tờ khai (dossiers.eform), đơn vị cũ đầu "
                                        "tiên có thì giữ / parsed into the e-form's field list; the first old "
                                        "unit that has one keeps it")

    def import_record(self, record, mapped, ctx):
        data = parse_listing(mapped)
        old_agency = str(mapped.get("agency") or "").strip()
        agency = ctx.crosswalk_agency(old_agency) if old_agency else None
        if old_agency and agency is None:
            raise MappingError("agency", f"không thấy cơ quan “{old_agency}” / unknown agency {old_agency}")
        values = {"name": data["name"], "processing_days": data["processing_days"], "fees": data["fees"],
                  "papers": [{"name": p["name"], "copies": p["copies"]} for p in data["papers"]],  # a form link
                  "agency": agency.code if agency else None}                                      # is no difference
        procedure = (Procedure.objects.filter(code=data["national_code"]).first()
                     or Procedure.objects.filter(national_code=data["national_code"]).order_by("pk").first())
        created = procedure is None
        if created:
            procedure = Procedure(code=data["national_code"], name=data["name"],
                                  processing_days=data["processing_days"], fees=data["fees"], papers=data["papers"],
                                  agency=agency, **{k: data[k] for k in _DESCRIPTIVE if k != "name"})
            procedure.save()
        else:
            for key in _DESCRIPTIVE:  # fill what the first list left empty; never overwrite a decided value
                if data[key] and not getattr(procedure, key):
                    setattr(procedure, key, data[key])
            for key in ("levels", "life_events"):  # descriptive lists: what any old unit said
                setattr(procedure, key, _union(getattr(procedure, key), data[key]))
            procedure.legal_basis = "\n".join(_union(procedure.legal_basis.splitlines(),
                                                     data["legal_basis"].splitlines()))
            forms = {p["name"]: p["form"] for p in data["papers"] if p.get("form")}
            procedure.papers = [{**p, "form": forms[p["name"]]} if not p.get("form") and p["name"] in forms else p
                                for p in procedure.papers]
            if procedure.agency_id is None and agency is not None and not _listings(procedure):
                procedure.agency = agency
            procedure.save()
        ProcedureListing.objects.update_or_create(
            procedure=procedure, system=ctx.mapping.system,
            defaults={"source_code": data["code"], "old_agency": old_agency, "values": values})
        conflicts = refresh_conflicts(procedure)
        public_catalogue.index_procedure(procedure)  # the portal's one search box finds it
        if created:
            return loaded(procedure, national_code=data["national_code"])
        return merged(procedure, reason="cùng mã thủ tục quốc gia / same national procedure code",
                      national_code=data["national_code"], conflicts=conflicts)


def _union(first: list, more: list) -> list:
    return first + [x for x in more if x not in first]


def _listings(procedure: Procedure) -> list[ProcedureListing]:
    return list(procedure.listings.order_by("system"))


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False) == json.dumps(b, sort_keys=True, ensure_ascii=False)


def refresh_conflicts(procedure: Procedure) -> list[str]:
    """List (or update) a conflict for every compared field where the old units differ; returns those fields.
    A decided conflict stays decided while its old values stay the same; a new differing value reopens it."""
    listings = _listings(procedure)
    fields = []
    for field in COMPARED:
        values = [{"system": li.system, "value": li.values.get(field)} for li in listings]
        distinct = []
        for v in values:
            if v["value"] is not None and not any(_same(v["value"], d) for d in distinct):
                distinct.append(v["value"])
        conflict = CatalogueConflict.objects.filter(procedure=procedure, field=field).first()
        if len(distinct) < 2:
            if conflict is not None and not conflict.decided:
                conflict.delete()
            continue
        fields.append(field)
        if conflict is None:
            CatalogueConflict.objects.create(procedure=procedure, field=field, values=values)
        elif not _same(conflict.values, values):
            reopen = conflict.decided and not any(_same(conflict.decided_value, d) for d in distinct)
            conflict.values = values
            if reopen:
                conflict.decided_value, conflict.decided_at, conflict.decided_by = None, None, ""
            conflict.save()
    return fields


def _apply(procedure: Procedure, field: str, value: Any) -> None:
    if field == "agency":
        from hopnhat.org.models import Agency

        procedure.agency = Agency.objects.get(code=value) if value else None
    elif field == "processing_days":
        procedure.processing_days = parse_days(value)
    elif field == "fees":
        procedure.fees = parse_fees(value)
    else:
        procedure.papers = parse_papers(value)
    procedure.save()


class CatalogueDecisionError(ValueError):
    pass


def decide(conflict: CatalogueConflict, *, actor: Any, system: str | None = None, value: Any = None,
           note: str = "") -> CatalogueConflict:
    """The unit administrator's decision: take the value one old unit published (`system`) or give another
    (`value`). Writes the procedure, the conflict and the audit entry in one transaction."""
    if (system is None) == (value is None):
        raise CatalogueDecisionError("chọn một đơn vị cũ hoặc nhập giá trị / give either system or value")
    if system is not None:
        chosen = [v["value"] for v in conflict.values if v["system"] == system]
        if not chosen:
            raise CatalogueDecisionError(
                f"thủ tục {conflict.procedure.national_code}, “{conflict.field}”: không có giá trị của “{system}” / "
                f"no value from {system}")
        value = chosen[0]
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=conflict.procedure_id)
        if conflict.field == "agency":
            before = procedure.agency.code if procedure.agency else None
        else:
            before = getattr(procedure, conflict.field)
        _apply(procedure, conflict.field, value)
        conflict.decided_value = value
        conflict.decided_by = actor if isinstance(actor, str) else actor.get_username()
        conflict.decided_at = timezone.now()
        conflict.note = note
        conflict.save()
        public_catalogue.index_procedure(procedure)
        audit.record(actor, "dossiers.catalogue_decide", procedure, field=conflict.field, chosen_from=system,
                     before=before, after=value, old_values=conflict.values, note=note)
    return conflict


def open_conflicts():
    return CatalogueConflict.objects.filter(decided_at__isnull=True).select_related("procedure")


# ---- the unit administrator's decisions over the web (staff page /ho-so/can-bo/danh-muc/khac-biet/) -----------

def conflicts_for(user, *, decided: bool | None = None):
    """The catalogue differences a user may decide: those of procedures whose receiving agency lies in a subtree
    where the user is unit administrator (org.access; a platform administrator sees all, including procedures
    without an agency yet)."""
    from hopnhat.org.access import filter_visible
    from hopnhat.org.models import Role

    rows = CatalogueConflict.objects.select_related("procedure", "procedure__agency").order_by(
        "decided_at", "procedure__national_code", "field")
    if decided is not None:
        rows = rows.filter(decided_at__isnull=not decided)
    return filter_visible(rows, user, agency_field="procedure__agency", roles={Role.UNIT_ADMIN})


def may_decide(user, conflict: CatalogueConflict) -> bool:
    return conflicts_for(user).filter(pk=conflict.pk).exists()


def decide_as(user, conflict: CatalogueConflict, *, system: str | None = None, value: Any = None,
              note: str = "") -> CatalogueConflict:
    """decide() for a signed-in person: only a unit administrator over the procedure's receiving agency (or a
    platform administrator) may; anyone else gets PermissionError naming the procedure."""
    if not may_decide(user, conflict):
        raise PermissionError(f"Chỉ quản trị đơn vị của cơ quan tiếp nhận thủ tục {conflict.procedure.national_code} "
                              f"được quyết định / only a unit administrator over the procedure's receiving agency "
                              f"may decide")
    return decide(conflict, actor=user, system=system, value=value, note=note)


def describe_value(field: str, value: Any) -> str:
    """One old value as a person reads it: "3 ngày làm việc", "Lệ phí: 50.000 ₫", papers one per line, an agency's
    code with its name."""
    from hopnhat.core import lang

    if value is None:
        return "—"
    if field == "processing_days":
        return f"{value} {'working days' if lang.is_english() else 'ngày làm việc'}"
    if field == "fees":
        return "; ".join(f"{f['name']}: {lang.money(f['amount'])}" for f in value) or "0"
    if field == "papers":
        return "; ".join(f"{p['name']} ({p.get('copies', 1)})" for p in value)
    if field == "agency":
        from hopnhat.org.models import Agency

        agency = Agency.objects.filter(code=value).first()
        return f"{agency.name} ({value})" if agency else str(value)
    return str(value)
