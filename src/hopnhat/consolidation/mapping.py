"""A mapping says how one data set of one old system becomes platform records (one YAML file per data set):

    system: hr-hagiang                 # the old system's code; runs and cutover are keyed by it
    system_type: hr                    # optional: cutover hooks may be registered per type
    stream: people                     # optional, default the importer name
    importer: org.people
    source: {kind: sql, url: "mysql+pymysql://…", table: nhan_su, legacy_encoding: {tcvn3: [ho_ten]}}
    key: ma_nv                         # the source key (or in source:)
    cursor: ngay_cap_nhat              # optional: incremental sync, inclusive lower bound
    pii: [so_cccd, {dien_thoai: hash}, {dia_chi: drop}]   # ID numbers hashed before anything is stored; the
                                       # others reach the importer but staging keeps a hash or nothing
                                       # (consolidation.staging)
    fields:                            # target field: source column, or {from, type, map, default, required}
      full_name: {from: ho_ten, required: true}
      birth_date: {from: ngay_sinh, type: date}
      agency_code: {from: ma_don_vi, map: don_vi_cu}
    value_maps: {don_vi_cu: {"HG-SNV": "000.00.00.H26"},
                 trang_thai: {match: fold, values: {"Đang xử lý": 4}}}   # match: exact (default) | tone | fold
    crosswalks: {agency: {"HG-SNV": "000.00.00.H26"}, unit: {"Phuong 1": "00004"}}
    filters:                           # named rules; a matching record is `filtered` with the rule's name
      - {name: bo_tai_khoan_thu_nghiem, field: ho_ten, matches: "^(test|thử)"}
    duplicates: {exact: [national_id_hash], fuzzy: [[name_key, birth_date]]}
    options: {batch_size: 500}
    deletions: {scan_every: 1}         # optional: a key-only scan for deletions every N incremental runs, or
                                       # after a time (12h, 1d); otherwise only --full-scan finds deletions
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hopnhat.core.text import fold, nfc

from .api import MappingError, Source, source_kind

_SYSTEM = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d"]


def parse_date(value: Any) -> datetime.date | None:
    """Dates as old systems write them; impossible ones (0000-00-00, 2023-02-30) raise ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # ISO, most old SQL columns: no strptime loop
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    if "T" in text or " " in text:
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a calendar date, no time
        except ValueError:
            continue
    raise ValueError(f"ngày “{value}” không tồn tại hoặc sai dạng / impossible or unreadable date {value!r}")


MATCHES = ("exact", "tone", "fold")
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}  # huyền sắc ngã hỏi nặng
_SYLLABLE = re.compile(r"\w+")
# A syllable whose only vowel is a final y after consonants ("lý", "kỹ", "mỹ", "quý") is also written with i
# ("lí", "kĩ", "mĩ", "quí"); after a vowel ("tay", "may") y is part of another vowel and stays.
_Y_AS_I = re.compile(r"^(qu|[bcdđghklmnprstvx]+)y$")


def _syllable_key(syllable: str) -> str:
    """One syllable, lower case, with its tone mark taken off and written after it: "hoà" and "hòa" (new and old
    tone placement) both give "hoa2"; "lý" and "lí" give "li1"."""
    marks = unicodedata.normalize("NFD", syllable.lower())
    tone = next((_TONES[c] for c in marks if c in _TONES), "")
    base = unicodedata.normalize("NFC", "".join(c for c in marks if c not in _TONES))
    return _Y_AS_I.sub(r"\1i", base) + tone


def match_key(value: Any, match: str) -> str:
    """The key a value map compares on. exact: the NFC text; tone: case, tone placement ("hoà"/"hòa") and the
    i/y spelling ("lí"/"lý") set aside, the tones kept; fold: core.text.fold (no diacritics at all, so
    "Dang xu ly", "ĐANG XỬ LÝ" and "Đang xử lí" meet) with the same i/y rule."""
    text = nfc(str(value))
    if match == "tone":
        return " ".join(_syllable_key(s) for s in _SYLLABLE.findall(text))
    if match == "fold":
        return " ".join(_Y_AS_I.sub(r"\1i", s) for s in fold(text).split())
    return text


def _value_map(name: str, table: Any, where: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(match, the entries as given (NFC keys), the entries by match key) of one value map; two entries that meet
    on one key with different values are refused."""
    match = "exact"
    if isinstance(table, dict) and set(table) == {"match", "values"}:
        match, table = str(table["match"]), table["values"]
    if match not in MATCHES:
        raise ValueError(f"{where}bảng giá trị “{name}”: match phải là {', '.join(MATCHES)} "
                         f"/ value map {name!r}: match must be one of {MATCHES}")
    entries = {nfc(str(k)): v for k, v in (table or {}).items()}
    keyed: dict[str, Any] = {}
    for source, target in entries.items():
        key = match_key(source, match)
        if key in keyed and keyed[key][1] != target:
            raise ValueError(f"{where}bảng giá trị “{name}”: “{keyed[key][0]}” và “{source}” trùng khóa so khớp "
                             f"({match}) nhưng khác giá trị / value map {name!r}: two entries meet under "
                             f"match {match} with different values")
        keyed.setdefault(key, (source, target))
    return match, entries, {k: target for k, (_, target) in keyed.items()}


_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")


def _deletion_interval(spec: Any, where: str) -> tuple[int | None, datetime.timedelta | None]:
    """`deletions: {scan_every: 5}` (runs), `{scan_every: 12h}` (m, h or d) or both `{runs: 5, interval: 1d}`."""
    if not isinstance(spec, dict):
        spec = {"scan_every": spec}
    runs, interval = spec.get("runs"), spec.get("interval")
    every = spec.get("scan_every")
    if isinstance(every, int):
        runs = every
    elif every is not None:
        interval = every
    problem = f"{where}deletions: cần scan_every: N (lượt) hoặc 12h / 30m / 1d / deletions needs scan_every: N " \
              f"(runs) or a duration like 12h, 30m, 1d"
    if runs is not None and (not isinstance(runs, int) or runs < 1):
        raise ValueError(problem)
    delta = None
    if interval is not None:
        match = _DURATION.match(str(interval))
        if not match:
            raise ValueError(problem)
        number, unit = int(match[1]), match[2]
        delta = datetime.timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: number})
    if runs is None and delta is None:
        raise ValueError(problem)
    return runs, delta


def _convert(value: Any, kind: str) -> Any:
    if kind == "str":
        return nfc(value) if value is not None else ""
    if value is None or value == "":
        return None
    if kind == "date":
        return parse_date(value)
    if kind == "int":
        return int(str(value).strip())
    if kind == "float":
        return float(str(value).replace(",", "."))
    if kind == "bool":
        return fold(str(value)) in {"1", "true", "yes", "co", "x"}
    if kind == "fold":
        return fold(str(value))
    raise ValueError(f"unknown field type {kind!r}")


@dataclass
class FieldRule:
    target: str
    source: str
    type: str = "str"
    map: str | None = None
    default: Any = None
    required: bool = False


@dataclass
class FilterRule:
    name: str
    field: str
    equals: Any = None
    not_equals: Any = None
    in_: list | None = None
    matches: str | None = None
    empty: bool | None = None

    def applies(self, data: dict[str, Any]) -> bool:
        value = data.get(self.field)
        text = "" if value is None else str(value)
        if self.empty is not None and (text.strip() == "") == self.empty:
            return True
        if self.equals is not None and text == str(self.equals):
            return True
        if self.not_equals is not None and text != str(self.not_equals):
            return True
        if self.in_ is not None and text in {str(v) for v in self.in_}:
            return True
        return bool(self.matches and re.search(self.matches, text, re.IGNORECASE))


@dataclass
class Mapping:
    system: str
    importer: str
    source: dict[str, Any]
    stream: str = ""
    system_type: str = ""
    fields: list[FieldRule] = field(default_factory=list)
    value_maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    crosswalks: dict[str, dict[str, str]] = field(default_factory=dict)
    filters: list[FilterRule] = field(default_factory=list)
    duplicates: dict[str, Any] = field(default_factory=dict)
    pii: list[str] = field(default_factory=list)
    pii_staging: dict[str, str] = field(default_factory=dict)  # {column: hash|drop}, consolidation.staging
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: str | None = None
    path: str | None = None
    value_match: dict[str, str] = field(default_factory=dict)     # value map → exact | tone | fold
    keyed_maps: dict[str, dict[str, Any]] = field(default_factory=dict)  # value map → {match key: value}
    # staff corrections of single source values (models.ValueCorrection): {key: {column: (old value, new value)}}
    corrections: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    def with_fixes(self, overrides, corrections) -> "Mapping":
        """This mapping with the fixes staff made from the quarantine queue: value-map and crosswalk entries
        (models.MappingOverride, added to the tables, matched as the table matches) and corrected values
        (models.ValueCorrection, applied by corrected())."""
        for o in overrides:
            if o.kind == "value_map":
                if o.name not in self.value_maps:
                    continue
                source = nfc(o.source_value)
                self.value_maps[o.name][source] = o.target_value
                self.keyed_maps.setdefault(o.name, dict(self.value_maps[o.name]))[
                    match_key(source, self.value_match.get(o.name, "exact"))] = o.target_value
            else:
                self.crosswalks.setdefault(o.name, {})[o.source_value] = o.target_value
        self.corrections = {}
        for c in corrections:
            self.corrections.setdefault(c.key, {})[c.column] = (c.old_value, c.new_value)
        return self

    def corrected(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        """The record's data with staff corrections applied where the source still holds the value corrected
        (once the old system itself changes the value, the source wins again)."""
        fixes = self.corrections.get(key)
        if not fixes:
            return data
        data = dict(data)
        for column, (old, new) in fixes.items():
            if data.get(column) == old:
                data[column] = new
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir=None, path=None) -> "Mapping":
        where = f"{path}: " if path else ""
        missing = [k for k in ("system", "importer", "source") if not data.get(k)]
        if missing:
            raise ValueError(f"{where}thiếu khóa {', '.join(missing)} / missing keys {missing}")
        system = str(data["system"])
        if not _SYSTEM.match(system):
            raise ValueError(f"{where}mã hệ thống “{system}” phải là slug (hr-hagiang) / system must be a slug")
        source = dict(data["source"])
        for name in ("key", "cursor"):
            if data.get(name):
                source[name] = data[name]
        rules = []
        for target, spec in (data.get("fields") or {}).items():
            spec = {"from": spec} if isinstance(spec, str) else dict(spec)
            rules.append(FieldRule(target=target, source=spec.get("from", target), type=spec.get("type", "str"),
                                   map=spec.get("map"), default=spec.get("default"),
                                   required=bool(spec.get("required"))))
        # keys compared in NFC at least: a map typed (or a value stored) in decomposed form still matches
        value_maps, value_match, keyed_maps = {}, {}, {}
        for name, table in (data.get("value_maps") or {}).items():
            value_match[name], value_maps[name], keyed_maps[name] = _value_map(name, table, where)
        for rule in rules:
            if rule.map and rule.map not in value_maps:
                raise ValueError(f"{where}trường “{rule.target}” dùng bảng giá trị “{rule.map}” không có "
                                 f"/ field {rule.target} uses unknown value map {rule.map!r}")
        from .staging import split_pii

        pii_ids, pii_staging = split_pii(list(data.get("pii") or []), where)
        filters = []
        for index, spec in enumerate(data.get("filters") or [], start=1):
            spec = dict(spec)
            if not spec.get("name") or not spec.get("field"):
                raise ValueError(f"{where}quy tắc lọc #{index} cần name và field / filter #{index} needs name, field")
            spec["in_"] = spec.pop("in", None)
            filters.append(FilterRule(**spec))
        options = dict(data.get("options") or {})
        if data.get("deletions"):
            options["deletions"] = data["deletions"]
        if deletions := options.get("deletions"):
            _deletion_interval(deletions, where)
        return cls(system=system, importer=data["importer"], source=source,
                   stream=data.get("stream") or data["importer"], system_type=data.get("system_type", ""),
                   fields=rules, value_maps=value_maps,
                   crosswalks={k: {str(a): str(b) for a, b in (v or {}).items()}
                               for k, v in (data.get("crosswalks") or {}).items()},
                   value_match=value_match, keyed_maps=keyed_maps,
                   filters=filters, duplicates=data.get("duplicates") or {}, pii=pii_ids, pii_staging=pii_staging,
                   options=options,
                   base_dir=str(base_dir) if base_dir else data.get("base_dir"), path=str(path) if path else None)

    @classmethod
    def from_yaml(cls, path) -> "Mapping":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: YAML không đọc được / unreadable YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}: cần một bảng khóa–giá trị / expected a mapping at the top level")
        try:
            return cls.from_dict(data, base_dir=path.parent, path=path)
        except (TypeError, AttributeError, ValueError) as exc:  # a list where a table belongs, a number for a name…
            if isinstance(exc, ValueError) and str(path) in str(exc):
                raise
            raise ValueError(f"{path}: cấu trúc tệp ánh xạ sai / malformed mapping ({exc})") from None

    def as_dict(self) -> dict[str, Any]:
        """What a run stores so that a later final sync can run the same mapping again."""
        return {
            "system": self.system, "system_type": self.system_type, "stream": self.stream,
            "importer": self.importer, "source": self.source, "options": self.options,
            "pii": [*self.pii, *({c: a} for c, a in self.pii_staging.items())],
            "fields": {r.target: {"from": r.source, "type": r.type, "map": r.map, "default": r.default,
                                  "required": r.required} for r in self.fields},
            "value_maps": {name: table if self.value_match.get(name, "exact") == "exact" else
                           {"match": self.value_match[name], "values": table}
                           for name, table in self.value_maps.items()},
            "crosswalks": self.crosswalks, "duplicates": self.duplicates,
            "filters": [{"name": f.name, "field": f.field, "equals": f.equals, "not_equals": f.not_equals,
                         "in": f.in_, "matches": f.matches, "empty": f.empty} for f in self.filters],
            "base_dir": self.base_dir,
        }

    @property
    def cursor(self) -> str | None:
        return self.source.get("cursor")

    @property
    def deletion_scan(self) -> tuple[int | None, datetime.timedelta | None]:
        """(every how many incremental runs, after how long) a key-only scan looks for records deleted at the
        source; (None, None) when the mapping asks for none (then only a full scan finds deletions)."""
        deletions = self.options.get("deletions")
        return _deletion_interval(deletions, "") if deletions else (None, None)

    @property
    def batch_size(self) -> int:
        return int(self.options.get("batch_size", 1000))

    def build_source(self) -> Source:
        return source_kind(self.source["kind"])(self.source, base_dir=self.base_dir)

    def filter_rule(self, data: dict[str, Any]) -> str | None:
        for rule in self.filters:
            if rule.applies(data):
                return rule.name
        return None

    def map_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        """Source columns → target fields; raises MappingError naming the field for a value that cannot be used.
        Without field rules the record passes through as it is."""
        if not self.fields:
            return dict(data)
        out = {}
        for rule in self.fields:
            value = data.get(rule.source)
            if isinstance(value, str):
                value = value.strip()
            if rule.map and value not in (None, ""):
                match = self.value_match.get(rule.map, "exact")
                table, found = self.keyed_maps.get(rule.map, self.value_maps[rule.map]), match_key(value, match)
                if found not in table:
                    how = "" if match == "exact" else f" (so khớp / match: {match})"
                    raise MappingError(rule.target, f"giá trị “{value}” không có trong bảng “{rule.map}”{how} "
                                                    f"/ value not in value map {rule.map!r}")
                value = table[found]
            if value in (None, "") and rule.default is not None:
                value = rule.default
            if rule.required and value in (None, ""):
                raise MappingError(rule.target, f"cột “{rule.source}” trống / required column is empty")
            try:
                out[rule.target] = _convert(value, rule.type)
            except (TypeError, ValueError) as exc:
                raise MappingError(rule.target, str(exc)) from None
        return out
