"""The procedure's own e-form (tờ khai điện tử): the fields a citizen fills when submitting online, as the old units'
catalogues describe them, rendered on the submission page, validated, stored with the dossier and shown to staff.

    parse_fields(value) -> [{"key", "label", "label_en", "type", "required", "choices"}]   (the catalogue's data)
    build_form(procedure, data=None) -> a Django form with one field per catalogue field
    answers(procedure, form) -> [{"key", "label", "label_en", "value"}]   (what the dossier keeps)

The catalogue gives the fields either as the national TTHC export's objects
(`[{"MaTruong": "ho_ten_tre", "TenTruong": "Họ, chữ đệm, tên của trẻ", "KieuDuLieu": "text", "BatBuoc": true}]`,
or with English keys `key/label/type/required/choices`) or, in a province's spreadsheet, as one cell:
`Họ, chữ đệm, tên của trẻ*; Ngày sinh của trẻ*: ngày; Giới tính*: Nam | Nữ; Ghi chú: văn bản dài` — a star marks
a required field, after the colon a type (ngày/date, số/number, văn bản dài/textarea) or the choices.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from django import forms

from hopnhat.core.lang import is_english
from hopnhat.core.text import fold, nfc

TYPES = {"text", "textarea", "date", "number", "choice"}
_TYPE_WORDS = {"ngay": "date", "date": "date", "ngay thang": "date", "so": "number", "number": "number",
               "van ban dai": "textarea", "textarea": "textarea", "doan van": "textarea", "text": "text",
               "van ban": "text", "chuoi": "text", "string": "text", "datetime": "date", "int": "number",
               "integer": "number"}
MAX_TEXT = 500
MAX_TEXTAREA = 2000


class EformError(ValueError):
    """A catalogue's field description that cannot become a form field; the message names the field."""


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_")[:60] or "truong"


def _type(word: Any) -> str:
    return _TYPE_WORDS.get(fold(str(word or "text")).strip(), "")


def _one(item: Any, i: int) -> dict:
    if isinstance(item, dict):
        label = nfc(str(item.get("label") or item.get("TenTruong") or item.get("Ten") or "")).strip()
        if not label:
            raise EformError(f"trường thứ {i}: thiếu tên / field {i}: no label")
        choices = item.get("choices") or item.get("LuaChon") or []
        if isinstance(choices, str):
            choices = [c.strip() for c in choices.split("|") if c.strip()]
        kind = _type(item.get("type") or item.get("KieuDuLieu") or ("choice" if choices else "text"))
        if choices:
            kind = "choice"
        if not kind:
            raise EformError(f"“{label}”: kiểu “{item.get('type') or item.get('KieuDuLieu')}” không dùng được / "
                             f"unknown type")
        required = item.get("required", item.get("BatBuoc", False))
        return {"key": str(item.get("key") or item.get("MaTruong") or _key(label)), "label": label,
                "label_en": nfc(str(item.get("label_en") or item.get("TenTiengAnh") or "")).strip(),
                "type": kind, "required": required in (True, 1, "1", "true", "True", "có", "x"),
                "choices": [nfc(str(c)).strip() for c in choices]}
    text = nfc(str(item)).strip()
    head, _, tail = text.partition(":")
    head = head.strip()
    required = head.endswith("*")
    label = head.rstrip("*").strip()
    if not label:
        raise EformError(f"trường thứ {i} “{text}”: thiếu tên / field {i}: no label")
    tail = tail.strip()
    choices: list[str] = []
    kind = "text"
    if "|" in tail:
        kind, choices = "choice", [c.strip() for c in tail.split("|") if c.strip()]
    elif tail:
        kind = _type(tail)
        if not kind:
            raise EformError(f"“{label}”: kiểu “{tail}” không dùng được (ngày, số, văn bản dài, hoặc A | B) / "
                             f"unknown type “{tail}” (date, number, long text, or A | B)")
    return {"key": _key(label), "label": label, "label_en": "", "type": kind, "required": required,
            "choices": choices}


def parse_fields(value: Any) -> list[dict]:
    """The catalogue's e-form description → the normalised list the procedure keeps ([] when there is none)."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise EformError(f"danh sách trường không đọc được / unreadable field list: {exc}") from exc
    if value in (None, "", []):
        return []
    items = value if isinstance(value, list) else [p for p in str(value).replace("\n", ";").split(";") if p.strip()]
    out: list[dict] = []
    for i, item in enumerate(items, 1):
        field = _one(item, i)
        if any(f["key"] == field["key"] for f in out):
            field["key"] = f"{field['key']}_{i}"
        out.append(field)
    return out


def label_of(field: dict) -> str:
    return field.get("label_en") or field["label"] if is_english() else field["label"]


class _VnDateInput(forms.DateInput):
    """A text box for dd/mm/yyyy, as Vietnamese people write dates (a browser's date picker follows the phone's
    locale, often mm/dd/yyyy, and is awkward with the keyboard alone)."""

    def __init__(self):
        super().__init__(format="%d/%m/%Y", attrs={"inputmode": "numeric", "placeholder": "dd/mm/yyyy",
                                                   "autocomplete": "off"})


def build_form(procedure, data=None) -> forms.Form:
    """One form field per catalogue field; ids `f-<key>`, names `f-<key>` (apart from the fixed fields)."""
    form = forms.Form(data=data, prefix="f")
    english = is_english()
    for spec in procedure.form_fields or []:
        label = label_of(spec)
        required = bool(spec.get("required"))
        missing = {"required": (f"“{label}” is required" if english else f"Cần điền “{label}”")}
        kind = spec.get("type", "text")
        if kind == "date":
            field = forms.DateField(label=label, required=required, widget=_VnDateInput(),
                                    input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"], error_messages={
                                        **missing, "invalid": (f"“{label}”: a date such as 12/06/2025" if english
                                                               else f"“{label}”: ngày dạng 12/06/2025")})
        elif kind == "number":
            field = forms.IntegerField(label=label, required=required, min_value=0, error_messages={
                **missing, "invalid": f"“{label}”: a whole number" if english else f"“{label}”: phải là số nguyên"})
        elif kind == "choice":
            choices = [("", "— chọn —" if not english else "— choose —")] + [(c, c) for c in spec["choices"]]
            field = forms.ChoiceField(label=label, required=required, choices=choices, error_messages={
                **missing, "invalid_choice": (f"“{label}”: choose one of the list" if english
                                              else f"“{label}”: hãy chọn trong danh sách")})
        elif kind == "textarea":
            field = forms.CharField(label=label, required=required, max_length=MAX_TEXTAREA,
                                    widget=forms.Textarea(attrs={"rows": 3}), error_messages=missing)
        else:
            field = forms.CharField(label=label, required=required, max_length=MAX_TEXT, error_messages=missing)
        form.fields[spec["key"]] = field
    return form


def answers(procedure, form: forms.Form) -> list[dict]:
    """The cleaned values with the labels the citizen saw, for OnlineSubmission.form_data."""
    out = []
    for spec in procedure.form_fields or []:
        value = form.cleaned_data.get(spec["key"])
        if isinstance(value, datetime.date):
            value = value.strftime("%d/%m/%Y")
        out.append({"key": spec["key"], "label": spec["label"], "label_en": spec.get("label_en", ""),
                    "value": "" if value is None else nfc(str(value)).strip()})
    return out


def errors_text(form: forms.Form) -> str:
    """Every field's error in one line for the page's alert box, naming the field."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
