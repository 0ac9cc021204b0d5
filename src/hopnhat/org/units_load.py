"""Load the national lineage graph of administrative units: `load_national_units()`.

Units of both vintages, their aliases, and the edges old → new:
- ward edges, as the converter states them (10,597 old wards, 471 of them split), plus the five ward-less island
  districts → their đặc khu;
- province edges, derived from the old hierarchy (ward → district → province → the new province its wards went
  to), never from a table's province column (the official table files one Long An ward under Tiền Giang);
- district edges, derived from the district's wards' edges.

Idempotent: each run compares the wanted rows with what is stored and writes only the difference, in bulk.
"""

import time
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Count, F

from hopnhat.core import audit
from hopnhat.core.text import fold, nfc

from . import unit_data
from .models import REFORM_DATE, AdminUnit, Level, SuccessionKind, UnitAlias, UnitSuccession, Vintage
from .unit_data import EdgeRecord, UnitDataError, UnitKey

PROVINCE_RESOLUTION = ("Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội về việc sắp xếp đơn vị "
                       "hành chính cấp tỉnh")
_UNIT_FIELDS = ["name", "short_name", "unit_type", "parent_id", "province_id", "valid_from", "valid_to", "name_key",
                "short_key", "latitude", "longitude"]
_EDGE_FIELDS = ["kind", "is_default", "effective_date", "legal_basis", "sources"]
_LEVEL_ORDER = [Level.PROVINCE, Level.DISTRICT, Level.WARD]


# ---------------------------------------------------------------------------------------------------------------
# Derived edges (pure functions over the data read by unit_data)


def province_edges(data: unit_data.NationalData) -> list[EdgeRecord]:
    """Old province → new province, from where each of its wards went. Cross-checked with the converter's own
    province table: a disagreement means the data set changed under us, so it stops the load."""
    wards_to: dict[UnitKey, Counter] = defaultdict(Counter)
    for edge in data.ward_edges:
        old_province = data.units[edge.predecessor].province
        wards_to[old_province][data.units[edge.successor].province] += 1
    edges = []
    derived: dict[str, list[str]] = defaultdict(list)
    for old_province, targets in sorted(wards_to.items()):
        kind = SuccessionKind.WHOLE if len(targets) == 1 else SuccessionKind.PARTIAL
        default = targets.most_common(1)[0][0]
        for new_province in sorted(targets):
            edges.append(EdgeRecord(old_province, new_province, kind, new_province == default, PROVINCE_RESOLUTION))
            derived[new_province[2]].append(old_province[2])
    stated = data.province_map
    if {k: sorted(v) for k, v in derived.items()} != stated:
        diff = sorted(set(derived) ^ set(stated) | {k for k in derived if sorted(derived[k]) != stated.get(k)})
        raise UnitDataError(f"converter_2025.json: DICT_PROVINCE khác với cấp tỉnh suy ra từ các xã ở tỉnh {diff} "
                            f"/ DICT_PROVINCE disagrees with the provinces derived from the wards for {diff}")
    return edges


def district_edges(data: unit_data.NationalData) -> list[EdgeRecord]:
    """Old district → each new ward its wards went to.

    `kind` keeps the meaning it has on ward edges: how much of the *predecessor* went into this successor. A
    district spread over several new wards sent only part of itself to each, so those edges are partial even
    where a new ward lies wholly inside the district; it is whole only when the entire district went into one new
    ward (the island districts do, as ward edges). Reading kind from the successor's side instead ("all of this
    new ward's predecessors lie in the district") would make current(district) say "whole" for several wards at
    once, and callers moving a district's records would wrongly treat any one of them as complete.

    The default is the new ward that is the default successor of most of the district's wards (ties: the one
    whose name is the district's, then the lowest code), so a district's records follow the bulk of its wards."""
    by_district: dict[UnitKey, list[EdgeRecord]] = defaultdict(list)
    for edge in data.ward_edges:
        predecessor = data.units[edge.predecessor]
        if predecessor.level == Level.WARD:
            by_district[predecessor.parent].append(edge)
    edges = []
    for district_key, ward_edges in sorted(by_district.items()):
        district = data.units[district_key]
        targets = sorted({e.successor for e in ward_edges})
        whole = len(targets) == 1 and all(e.kind == SuccessionKind.WHOLE for e in ward_edges)
        votes = Counter(e.successor for e in ward_edges if e.is_default)
        default = min(targets, key=lambda t: (-votes[t], fold(data.units[t].short_name) != fold(district.short_name),
                                              t[2]))
        kind = SuccessionKind.WHOLE if whole else SuccessionKind.PARTIAL
        edges.extend(EdgeRecord(district_key, t, kind, t == default) for t in targets)
    return edges


# ---------------------------------------------------------------------------------------------------------------
# Writing the difference


def _unit_row(record: unit_data.UnitRecord, ids: dict[UnitKey, int]) -> dict:
    name, short = nfc(record.name), nfc(record.short_name)
    return {
        "name": name, "short_name": short, "unit_type": record.unit_type,
        "parent_id": ids[record.parent] if record.parent else None,
        "province_id": ids.get(record.province),  # a province is its own; filled in after it is created
        "valid_from": record.valid_from, "valid_to": record.valid_to,
        "name_key": fold(name), "short_key": fold(short),
        "latitude": record.latitude, "longitude": record.longitude,
    }


def _stored_units(level: str) -> dict[UnitKey, tuple[int, dict]]:
    rows = AdminUnit.objects.filter(level=level).values("id", "vintage", "level", "code", *_UNIT_FIELDS)
    return {(r["vintage"], r["level"], r["code"]): (r["id"], r) for r in rows}


def _sync_units(units: dict[UnitKey, unit_data.UnitRecord]) -> tuple[dict[str, int], dict[UnitKey, int]]:
    stats = Counter(created=0, updated=0, unchanged=0)
    ids: dict[UnitKey, int] = {}
    for level in _LEVEL_ORDER:  # parents first, so children can point at their ids
        records = [r for r in units.values() if r.level == level]
        stored = _stored_units(level)
        to_create, to_update = [], []
        for record in records:
            wanted = _unit_row(record, ids)
            if record.key not in stored:
                to_create.append(AdminUnit(vintage=record.vintage, level=level, code=record.code, **wanted))
                continue
            pk, row = stored[record.key]
            if level == Level.PROVINCE:
                wanted["province_id"] = pk
            if any(row[f] != wanted[f] for f in _UNIT_FIELDS):
                to_update.append(AdminUnit(pk=pk, vintage=record.vintage, level=level, code=record.code, **wanted))
            else:
                stats["unchanged"] += 1
        AdminUnit.objects.bulk_create(to_create, batch_size=2000)
        AdminUnit.objects.bulk_update(to_update, _UNIT_FIELDS, batch_size=1000)
        if level == Level.PROVINCE and to_create:
            AdminUnit.objects.filter(level=level, province__isnull=True).update(province_id=F("id"))
        stats["created"] += len(to_create)
        stats["updated"] += len(to_update)
        ids.update({key: pk for key, (pk, _row) in _stored_units(level).items()})
    return dict(stats), ids


def _sync_aliases(units: dict[UnitKey, unit_data.UnitRecord], ids: dict[UnitKey, int]) -> dict[str, int]:
    """Adds the aliases the data set gives; never removes one (people may have added their own)."""
    stored = set(UnitAlias.objects.values_list("unit_id", "alias_key"))
    to_create = []
    for key, record in units.items():
        for alias in record.aliases:
            pair = (ids[key], fold(alias))
            if pair not in stored:
                stored.add(pair)
                to_create.append(UnitAlias(unit_id=pair[0], alias=nfc(alias), alias_key=pair[1]))
    UnitAlias.objects.bulk_create(to_create, batch_size=2000)
    wanted = sum(len(r.aliases) for r in units.values())
    return {"created": len(to_create), "unchanged": wanted - len(to_create)}


def _sync_edges(edges: list[EdgeRecord], ids: dict[UnitKey, int], source: str) -> dict[str, int]:
    """Writes the edges; an edge another source also states keeps that source next to ours."""
    stored = {(r["predecessor_id"], r["successor_id"]): r
              for r in UnitSuccession.objects.values("id", "predecessor_id", "successor_id", *_EDGE_FIELDS)}
    to_create, to_update, unchanged = [], [], 0
    for edge in edges:
        pair = (ids[edge.predecessor], ids[edge.successor])
        row = stored.get(pair)
        sources = list(row["sources"] or []) if row else []
        wanted = {"kind": edge.kind, "is_default": edge.is_default, "effective_date": REFORM_DATE,
                  "legal_basis": edge.legal_basis, "sources": sources if source in sources else [*sources, source]}
        if row is None:
            to_create.append(UnitSuccession(predecessor_id=pair[0], successor_id=pair[1], **wanted))
        elif any(row[f] != wanted[f] for f in _EDGE_FIELDS):
            to_update.append(UnitSuccession(pk=row["id"], predecessor_id=pair[0], successor_id=pair[1], **wanted))
        else:
            unchanged += 1
    UnitSuccession.objects.bulk_create(to_create, batch_size=2000)
    UnitSuccession.objects.bulk_update(to_update, _EDGE_FIELDS, batch_size=1000)
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}


# ---------------------------------------------------------------------------------------------------------------
# Counts


def national_counts() -> dict:
    """What is stored, in the figures the data documentation quotes (63/696/10,035 and 34/3,321 …)."""
    units = Counter(f"{v}/{lvl}" for v, lvl in AdminUnit.objects.values_list("vintage", "level"))
    edges = Counter()
    for pred_level, succ_level, kind in UnitSuccession.objects.values_list(
            "predecessor__level", "successor__level", "kind"):
        edges[f"{pred_level}->{succ_level}"] += 1
        edges[f"{pred_level}->{succ_level}/{kind}"] += 1
    split = (UnitSuccession.objects.filter(predecessor__vintage=Vintage.OLD, predecessor__level=Level.WARD)
             .values("predecessor").annotate(n=Count("id")).filter(n__gt=1).count())
    return {
        "old": {"provinces": units[f"{Vintage.OLD}/{Level.PROVINCE}"],
                "districts": units[f"{Vintage.OLD}/{Level.DISTRICT}"], "wards": units[f"{Vintage.OLD}/{Level.WARD}"]},
        "new": {"provinces": units[f"{Vintage.NEW}/{Level.PROVINCE}"], "wards": units[f"{Vintage.NEW}/{Level.WARD}"]},
        "edges": dict(sorted(edges.items())),
        "old_wards_split": split,
        "aliases": UnitAlias.objects.count(),
    }


def load_national_units(stdout=None) -> dict:
    """Load (or bring up to date) every unit, alias and edge; returns what changed and the national counts."""
    started = time.perf_counter()
    data = unit_data.read()
    edges = data.ward_edges + province_edges(data) + district_edges(data)
    read_seconds = time.perf_counter() - started
    with transaction.atomic():
        unit_stats, ids = _sync_units(data.units)
        alias_stats = _sync_aliases(data.units, ids)
        edge_stats = _sync_edges(edges, ids, data.source)
        changed = bool(unit_stats["created"] or unit_stats["updated"] or alias_stats["created"]
                       or edge_stats["created"] or edge_stats["updated"])
        if changed:
            audit.record("system:units-load", "org.units.load", None, source=data.source, units=unit_stats,
                         aliases=alias_stats, edges=edge_stats)
    result = {
        "source": data.source,
        "changed": changed,
        "units": unit_stats,
        "aliases": alias_stats,
        "edges": edge_stats,
        "counts": national_counts(),
        "read_seconds": round(read_seconds, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if stdout is not None:
        stdout.write(summary(result))
    return result


def summary(result: dict) -> str:
    c, u, e = result["counts"], result["units"], result["edges"]
    head = (f"Đã nạp từ {result['source']}: {u['created']} đơn vị mới, {u['updated']} cập nhật; {e['created']} "
            f"cạnh mới, {e['updated']} cập nhật ({result['seconds']} s). / Loaded.") if result["changed"] else (
        f"Không có thay đổi: dữ liệu đã khớp với {result['source']} ({result['seconds']} s). / Nothing changed.")
    return (f"{head}\n"
            f"Trước 01/7/2025: {c['old']['provinces']} tỉnh, {c['old']['districts']} huyện, {c['old']['wards']} xã; "
            f"từ 01/7/2025: {c['new']['provinces']} tỉnh, {c['new']['wards']} xã; "
            f"{sum(v for k, v in c['edges'].items() if '/' not in k)} cạnh kế thừa, "
            f"{c['old_wards_split']} xã cũ bị chia tách.")
