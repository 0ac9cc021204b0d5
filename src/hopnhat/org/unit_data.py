"""The national administrative units as the `vietnamadminunits` package ships them, read in place.

The package's two data files are opened where pip put them (`data/dataset.db` read-only, `data/converter_2025.json`);
nothing is copied into this repository and the package itself is never imported (its `__init__` pulls in geopy and
shapely). This module only reads and normalises; `units_load` derives the province and district edges and writes.

Data traps handled here (docs: /work/shared/docs/admin-units-data.md):
- `wardShort` carries a disambiguation suffix ("Yên Viên (Thị trấn)"): the short name is taken from the full name;
- `wardType` disagrees with the name for a few new wards ("Phường Việt Hòa" typed Xã): the name wins;
- type words come in two casings ("Thành Phố Bắc Kạn"): they are written one way;
- the converter's keys are the dataset's own keys, some with diacritics ("xãcẩmgiàng"): joined verbatim;
- the five island districts without wards have converter keys ending in "_".
"""

import functools
import importlib.metadata
import importlib.util
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from hopnhat.core.text import fold, nfc

from .models import LAST_OLD_DAY, REFORM_DATE, Level, SuccessionKind, Vintage

PACKAGE = "vietnamadminunits"

# Type words in their written form, longest first so "Thành phố" wins over a bare prefix.
_TYPE_WORDS = ["Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh", "Xã"]
_TYPE_BY_KEY = {fold(word): word for word in _TYPE_WORDS}

# Well-known names the data set does not carry. Thừa Thiên Huế became Thành phố Huế on 2025-01-01, so the
# 2025-06-30 snapshot already says "Thành phố Huế"; people and old documents still write the province's name.
_EXTRA_ALIASES = {
    (Vintage.OLD, Level.PROVINCE, "46"): ["Tỉnh Thừa Thiên Huế", "Thừa Thiên - Huế", "TT Huế"],
    (Vintage.OLD, Level.PROVINCE, "79"): ["TP HCM", "TP.HCM", "Sài Gòn"],
    (Vintage.NEW, Level.PROVINCE, "79"): ["TP HCM", "TP.HCM", "Sài Gòn"],
}

UnitKey = tuple[str, str, str]  # (vintage, level, code)


class UnitDataError(ValueError):
    """The package data does not say what we expect; the message names the file and the key."""


@dataclass
class UnitRecord:
    vintage: str
    level: str
    code: str
    name: str
    short_name: str
    unit_type: str
    parent: UnitKey | None
    province: UnitKey
    latitude: float | None
    longitude: float | None
    aliases: list[str] = field(default_factory=list)

    @property
    def key(self) -> UnitKey:
        return (self.vintage, self.level, self.code)

    @property
    def valid_from(self):
        return REFORM_DATE if self.vintage == Vintage.NEW else None

    @property
    def valid_to(self):
        return LAST_OLD_DAY if self.vintage == Vintage.OLD else None


@dataclass
class EdgeRecord:
    predecessor: UnitKey
    successor: UnitKey
    kind: str
    is_default: bool
    legal_basis: str = ""


@dataclass
class NationalData:
    source: str  # "vietnamadminunits==1.0.4"
    units: dict[UnitKey, UnitRecord]
    ward_edges: list[EdgeRecord]  # old ward (or ward-less island district) → new ward
    province_map: dict[str, list[str]]  # the converter's own new province key → old province keys, to cross-check


def package_dir() -> Path:
    """Where pip put the package, found without executing its __init__."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UnitDataError(f"Chưa cài gói {PACKAGE} / package {PACKAGE} is not installed (pip install {PACKAGE})")
    return Path(next(iter(spec.submodule_search_locations)))


def source_label() -> str:
    return f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}"


def split_type(full_name: str, where: str) -> tuple[str, str]:
    """"Thành Phố Bắc Kạn" → ("Thành phố", "Bắc Kạn"): the type word in its written form and the rest."""
    name = nfc(full_name)
    words = name.split(" ")
    for size in (2, 1):
        head = _fold_head(" ".join(words[:size]))
        if head in _TYPE_BY_KEY and len(words) > size:
            return _TYPE_BY_KEY[head], " ".join(words[size:])
    raise UnitDataError(f"{where}: tên “{name}” không bắt đầu bằng loại đơn vị / name “{name}” has no type word")


def _aliases(*json_lists: str | None) -> list[str]:
    out: list[str] = []
    for raw in json_lists:
        if raw:
            out.extend(a for a in json.loads(raw) if a and a not in out)
    return out


@functools.lru_cache(maxsize=4096)
def _fold_head(text: str) -> str:
    """fold() of a name's first words: a handful of type words, folded ~30,000 times per load without this."""
    return fold(text)


def _fold_keyword(text: str) -> str:
    """fold(), short-cut for the data set's keywords ("phuongphucsa"): lower-case ASCII letters and digits
    without a leading zero are already their own key, and they are most of the ~40,000 aliases read."""
    if text.isascii() and text.isalnum() and text.islower() and not text.startswith("0"):
        return text
    return fold(text)


def _compact(text: str) -> str:
    return _fold_keyword(text).replace(" ", "")


def _useful_aliases(unit: UnitRecord, candidates: list[str]) -> list[str]:
    """Drop the aliases that only restate the unit's own name; the data set lists those as keywords too."""
    own = {_compact(unit.name), _compact(unit.short_name)}
    seen: set[str] = set()
    out = []
    for alias in candidates:
        key = _fold_keyword(alias)
        if key and _compact(alias) not in own and key not in seen:
            seen.add(key)
            out.append(nfc(alias))
    return out


def _unit(vintage, level, code, full_name, where, parent, province, lat, lon) -> UnitRecord:
    unit_type, short = split_type(full_name, where)
    return UnitRecord(vintage=vintage, level=level, code=code, name=f"{unit_type} {short}", short_name=short,
                      unit_type=unit_type, parent=parent, province=province, latitude=lat, longitude=lon)


def read_units(db_path: Path):
    """Units of both vintages, plus the dataset's key → unit maps the converter refers to:
    (units, old ward keys, new ward keys, province keys {provinceKey: code} per vintage)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    units: dict[UnitKey, UnitRecord] = {}
    raw_aliases: dict[UnitKey, list[str]] = {}
    old_keys: dict[str, UnitKey] = {}  # "province_district_ward" → old ward (or district for the islands)
    new_keys: dict[tuple[str, str], UnitKey] = {}  # (provinceKey, wardKey) → new ward
    province_keys: dict[str, dict[str, str]] = {Vintage.OLD: {}, Vintage.NEW: {}}
    try:
        for row in conn.execute("SELECT rowid AS _rowid, * FROM admin_units_legacy ORDER BY rowid"):
            rowid = row["_rowid"]
            where = f"{db_path}:admin_units_legacy rowid {rowid}"
            pkey = (Vintage.OLD, Level.PROVINCE, row["provinceCode"])
            dkey = (Vintage.OLD, Level.DISTRICT, row["districtCode"])
            if pkey not in units:
                units[pkey] = _unit(*pkey, row["province"], where, None, pkey, row["provinceLat"], row["provinceLon"])
                raw_aliases[pkey] = _aliases(row["provinceAlias"], row["provinceKeywords"])
            if dkey not in units:
                units[dkey] = _unit(*dkey, row["district"], where, pkey, pkey, row["districtLat"], row["districtLon"])
                raw_aliases[dkey] = _aliases(row["districtAlias"], row["districtKeywords"])
            province_keys[Vintage.OLD][row["provinceKey"]] = row["provinceCode"]
            old_key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
            if row["wardCode"] is None:  # an island district with no wards: the converter names the district
                old_keys[old_key] = dkey
                continue
            wkey = (Vintage.OLD, Level.WARD, row["wardCode"])
            if wkey in units:
                raise UnitDataError(f"{where}: mã xã {row['wardCode']} lặp lại / ward code repeated")
            units[wkey] = _unit(*wkey, row["ward"], where, dkey, pkey, row["wardLat"], row["wardLon"])
            raw_aliases[wkey] = _aliases(row["wardAlias"], row["wardKeywords"])
            old_keys[old_key] = wkey
        for row in conn.execute("SELECT rowid AS _rowid, * FROM admin_units ORDER BY rowid"):
            rowid = row["_rowid"]
            where = f"{db_path}:admin_units rowid {rowid}"
            pkey = (Vintage.NEW, Level.PROVINCE, row["provinceCode"])
            if pkey not in units:
                units[pkey] = _unit(*pkey, row["province"], where, None, pkey, row["provinceLat"], row["provinceLon"])
                raw_aliases[pkey] = _aliases(row["provinceAlias"], row["provinceKeywords"])
            province_keys[Vintage.NEW][row["provinceKey"]] = row["provinceCode"]
            wkey = (Vintage.NEW, Level.WARD, row["wardCode"])
            if wkey in units:
                raise UnitDataError(f"{where}: mã xã {row['wardCode']} lặp lại / ward code repeated")
            units[wkey] = _unit(*wkey, row["ward"], where, pkey, pkey, row["wardLat"], row["wardLon"])
            raw_aliases[wkey] = _aliases(row["wardAlias"], row["wardKeywords"])
            new_keys[(row["provinceKey"], row["wardKey"])] = wkey
    finally:
        conn.close()
    for key, unit in units.items():
        unit.aliases = _useful_aliases(unit, raw_aliases[key] + _EXTRA_ALIASES.get(key, []))
    return units, old_keys, new_keys, province_keys


def read_ward_edges(converter_path: Path, old_keys, new_keys) -> tuple[list[EdgeRecord], dict[str, list[str]]]:
    """NO_DIVIDED: the whole old ward went into one new ward. DIVIDED: parts went to several, one the default."""
    data = json.loads(converter_path.read_text(encoding="utf-8"))
    edges: list[EdgeRecord] = []

    def old(key, where):
        try:
            return old_keys[key]
        except KeyError:
            raise UnitDataError(f"{converter_path}: {where}: khoá cũ “{key}” không có trong dataset.db "
                                f"/ old key not in dataset.db") from None

    def new(province_key, ward_key, where):
        try:
            return new_keys[(province_key, ward_key)]
        except KeyError:
            raise UnitDataError(f"{converter_path}: {where}: khoá mới “{province_key}/{ward_key}” không có "
                                f"trong dataset.db / new key not in dataset.db") from None

    for province_key, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, olds in wards.items():
            where = f"DICT_PROVINCE_WARD_NO_DIVIDED[{province_key}][{ward_key}]"
            successor = new(province_key, ward_key, where)
            edges.extend(EdgeRecord(old(o, where), successor, SuccessionKind.WHOLE, True) for o in olds)
    for province_key, olds in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            where = f"DICT_PROVINCE_WARD_DIVIDED[{province_key}][{old_key}]"
            if sum(1 for t in targets if t["isDefaultNewWard"]) != 1:
                raise UnitDataError(f"{converter_path}: {where}: cần đúng một nơi mặc định / needs exactly one "
                                    f"isDefaultNewWard")
            predecessor = old(old_key, where)
            edges.extend(EdgeRecord(predecessor, new(province_key, t["newWardKey"], where), SuccessionKind.PARTIAL,
                                    bool(t["isDefaultNewWard"])) for t in targets)
    return edges, data["DICT_PROVINCE"]


def read() -> NationalData:
    base = package_dir() / "data"
    units, old_keys, new_keys, province_keys = read_units(base / "dataset.db")
    converter = base / "converter_2025.json"
    ward_edges, province_map = read_ward_edges(converter, old_keys, new_keys)
    # The converter names provinces by key; turn them into codes for the cross-check in units_load.
    try:
        by_code = {province_keys[Vintage.NEW][new_p]: sorted(province_keys[Vintage.OLD][o] for o in olds)
                   for new_p, olds in province_map.items()}
    except KeyError as exc:
        raise UnitDataError(f"{converter}: DICT_PROVINCE: khoá tỉnh {exc} không có trong dataset.db "
                            f"/ province key not in dataset.db") from None
    return NationalData(source=source_label(), units=units, ward_edges=ward_edges, province_map=by_code)
