"""The resolution API every module uses to turn old units into new ones.

    resolve(query, at=None, level=None) -> list[UnitMatch]
        A code ("00004"), a node id ("VN/2025-06-30/ward/00004"), a name ("Phường Đội Cấn", "doi can",
        "Phường 01", "P. Đội Cấn") or a path ("Phường Đội Cấn, Quận Ba Đình, Hà Nội"; without commas too when the
        whole text names no unit: "doi can ba dinh ha noi"), matched on fold() keys and aliases, among the units
        valid at `at` (any vintage when None). Ambiguous names return every candidate; never a guess.
    successors(unit, level=None) -> list[Edge]
        One step forward: (unit, kind whole/partial, is_default, effective_date, legal_basis, sources).
    predecessors(unit, level=None) -> list[Edge]
        One step back (a new ward's: old wards, and the old districts they lay in).
    current(unit, at=today) -> list[Edge]
        Follow successor edges (or predecessor edges, for a date before the unit existed) until units valid at
        `at`; kind is partial if any step was partial, is_default only if every step was the default.
    default_current(unit, at=today) -> AdminUnit | None   the default successor where a split must pick one.
    chain(unit, at=today) -> Chain      everything a page shows: the unit, its predecessors, successors and
                                        the units it is now part of.
    explain(chain, lang) -> list[str]   the same in plain Vietnamese (or English) sentences.
    lookup(query, at=today, lang) -> Lookup   resolve + chain + explain for each candidate (page, API, CLI).

Every result is a small frozen dataclass with .as_dict() for JSON answers.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import vn_collate
from django.db.models import Q
from django.utils import timezone

from hopnhat.core import spelling
from hopnhat.core.text import fold

from .models import AdminUnit, Level, SuccessionKind, UnitAlias, UnitSuccession, Vintage

_CODE = re.compile(r"^\d{2}$|^\d{3}$|^\d{5}$")
_NODE_ID = re.compile(r"^VN/(?P<vintage>[\d-]{10})/(?P<level>province|district|ward)/(?P<code>\d+)$")
_LEVEL_BY_CODE_LENGTH = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.WARD}
_LEVEL_RANK = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.WARD: 2}
# Abbreviated type words people type ("P. Đội Cấn", "TP Huế", "Q.1"), folded; expanded before matching.
_ABBREVIATIONS = {"p": "phuong", "x": "xa", "tt": "thi tran", "q": "quan", "h": "huyen", "tx": "thi xa",
                  "tp": "thanh pho", "t": "tinh", "dk": "dac khu"}
_UNIT_RELATED = ("parent", "parent__parent", "province")


# ---------------------------------------------------------------------------------------------------------------
# Results


def unit_dict(unit: AdminUnit) -> dict:
    """A unit as JSON: identity, names, where it lies and when it was valid."""
    parent = unit.parent if unit.parent_id else None
    province = unit.province if unit.province_id and unit.province_id != unit.pk else None
    return {
        "node_id": unit.node_id,
        "vintage": unit.vintage,
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "unit_type": unit.unit_type,
        "parent": {"code": parent.code, "name": parent.name} if parent else None,
        "province": {"code": province.code, "name": province.name} if province else None,
        "path": unit.path_names(),
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "latitude": unit.latitude,
        "longitude": unit.longitude,
    }


@dataclass(frozen=True)
class UnitMatch:
    unit: AdminUnit
    why: str  # code | node_id | name | short_name | alias | path
    matched: str  # the text (or key) that matched

    def as_dict(self) -> dict:
        return {"unit": unit_dict(self.unit), "why": self.why, "matched": self.matched}


@dataclass(frozen=True)
class Edge:
    """One step (or, from current(), a walk) from a unit to `unit`."""

    unit: AdminUnit
    kind: str
    is_default: bool
    effective_date: datetime.date | None
    legal_basis: str = ""
    sources: tuple[str, ...] = ()
    via: tuple[AdminUnit, ...] = ()  # units passed through on a walk of more than one step

    @property
    def is_partial(self) -> bool:
        return self.kind == SuccessionKind.PARTIAL

    def as_dict(self) -> dict:
        return {
            "unit": unit_dict(self.unit),
            "kind": self.kind,
            "is_default": self.is_default,
            "effective_date": self.effective_date,
            "legal_basis": self.legal_basis,
            "sources": list(self.sources),
            "via": [u.node_id for u in self.via],
        }


@dataclass(frozen=True)
class Chain:
    unit: AdminUnit
    predecessors: list[Edge] = field(default_factory=list)
    successors: list[Edge] = field(default_factory=list)
    current: list[Edge] = field(default_factory=list)
    at: datetime.date | None = None

    def as_dict(self) -> dict:
        return {
            "unit": unit_dict(self.unit),
            "predecessors": [e.as_dict() for e in self.predecessors],
            "successors": [e.as_dict() for e in self.successors],
            "current": [e.as_dict() for e in self.current],
            "at": self.at,
        }


# ---------------------------------------------------------------------------------------------------------------
# Resolution


def _valid_on(queryset, at: datetime.date | None):
    if at is None:
        return queryset
    return queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at),
                           Q(valid_to__isnull=True) | Q(valid_to__gte=at))


def _expand_abbreviation(key: str) -> str:
    head, _, rest = key.partition(" ")
    if head in _ABBREVIATIONS and rest:
        return f"{_ABBREVIATIONS[head]} {rest}"
    return key


def _name_keys(text: str) -> tuple[str, ...]:
    """The folded forms a name part is looked up under: as typed, with an abbreviated type word expanded
    ("tp hue" → "thanh pho hue"), and without spaces (the data set's keywords are written "phuongphucxa")."""
    key = fold(text)
    keys = [key, _expand_abbreviation(key)]
    keys.append(key.replace(" ", ""))
    return tuple(dict.fromkeys(k for k in keys if k))


def _match_name(text: str, units) -> list[UnitMatch]:
    keys = _name_keys(text)
    matches: dict[int, UnitMatch] = {}
    for unit in units.filter(name_key__in=keys):
        matches[unit.pk] = UnitMatch(unit, "name", unit.name)
    for unit in units.filter(short_key__in=keys):
        matches.setdefault(unit.pk, UnitMatch(unit, "short_name", unit.short_name))
    alias_rows = UnitAlias.objects.filter(alias_key__in=keys, unit__in=units).values_list("unit_id", "alias")
    alias_of = dict(alias_rows)
    for unit in units.filter(pk__in=alias_of.keys() - matches.keys()):
        matches[unit.pk] = UnitMatch(unit, "alias", alias_of[unit.pk])
    return list(matches.values())


def _ancestors(unit: AdminUnit) -> list[AdminUnit]:
    out, node = [], unit.parent
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def _ancestor_names(units: list[AdminUnit]) -> dict[int, list[set[str]]]:
    """For each unit, innermost first, the folded names of each ancestor (district, province): name, short
    name, aliases."""
    ancestors = {u.pk: _ancestors(u) for u in units}
    alias_keys: dict[int, set[str]] = {}
    ancestor_ids = {a.pk for chain_ in ancestors.values() for a in chain_}
    for unit_id, key in UnitAlias.objects.filter(unit_id__in=ancestor_ids).values_list("unit_id", "alias_key"):
        alias_keys.setdefault(unit_id, set()).add(key)
    return {pk: [{node.name_key, node.short_key} | alias_keys.get(node.pk, set()) for node in chain_]
            for pk, chain_ in ancestors.items()}


def _names_every_part(ancestors: list[set[str]], parts: list[str]) -> bool:
    """"…, Quận Ba Đình, Hà Nội": each part names one of the ancestors, in any order."""
    keys = set().union(*ancestors) if ancestors else set()
    keys |= {k.replace(" ", "") for k in keys}
    return all(set(_name_keys(part)) & keys for part in parts)


def _names_the_tail(ancestors: list[set[str]], tail: str) -> bool:
    """"doi can ba dinh ha noi" split as ("doi can", "ba dinh ha noi"): the tail is one ancestor's name, or a
    name of each of two consecutive ancestors ("ba dinh" + "ha noi")."""
    keys = set(_name_keys(tail))
    if any(keys & names for names in ancestors):
        return True
    pairs = zip(ancestors, ancestors[1:], strict=False)
    return any(f"{a} {b}" in keys for inner, outer in pairs for a in inner for b in outer)


def _resolve_unpunctuated_path(text: str, units) -> list[UnitMatch]:
    """A path typed without commas: try each split of the words into a unit name and the names around it,
    longest unit name first, and keep the candidates the rest of the words place."""
    words = fold(text).split()
    found: dict[int, UnitMatch] = {}
    for cut in range(len(words) - 1, 0, -1):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        matches = _match_name(head, units)
        ancestors = _ancestor_names([m.unit for m in matches])
        for match in matches:
            if match.unit.pk not in found and _names_the_tail(ancestors[match.unit.pk], tail):
                found[match.unit.pk] = UnitMatch(match.unit, "path", text)
    return list(found.values())


def _order(matches: Iterable[UnitMatch]) -> list[UnitMatch]:
    return sorted(matches, key=lambda m: (m.unit.vintage, _LEVEL_RANK.get(m.unit.level, 9),
                                          m.unit.province.code if m.unit.province_id else "", m.unit.code))


def resolve(query: str, at: datetime.date | None = None, level: str | None = None) -> list[UnitMatch]:
    """Every unit the query can mean, ordered old before new, province before ward; [] when none."""
    text = (query or "").strip()
    if not text:
        return []
    units = _valid_on(AdminUnit.objects.select_related(*_UNIT_RELATED), at)
    if level:
        units = units.filter(level=level)
    if node := _NODE_ID.match(text):
        return [UnitMatch(u, "node_id", text) for u in units.filter(**node.groupdict())]
    if _CODE.match(text):
        found = units.filter(code=text, level=_LEVEL_BY_CODE_LENGTH[len(text)])
        return _order(UnitMatch(u, "code", text) for u in found)
    parts = [p for p in (part.strip() for part in text.split(",")) if p]
    if not parts:
        return []
    matches = _match_name(parts[0], units)
    if len(parts) == 1:
        if not matches and " " in parts[0]:
            matches = _resolve_unpunctuated_path(parts[0], units)
        return _order(matches)
    # A path: every further part must name one of the unit's ancestors (district, province), in any order.
    ancestors = _ancestor_names([m.unit for m in matches])
    return _order(UnitMatch(m.unit, "path", text) for m in matches
                  if _names_every_part(ancestors[m.unit.pk], parts[1:]))


# ---------------------------------------------------------------------------------------------------------------
# A typo in a unit name ("doi cna" → Đội Cấn), corrected with the platform's typo machinery (core.spelling, which
# the portal search uses too) against the names of the unit graph.

_names: dict = {"version": None, "keys": frozenset(), "syllables": {}}


def _name_index() -> tuple[frozenset, dict[str, int]]:
    """Every folded unit name, short name and alias, and their syllables with how many names hold each. Held in
    the process while the graph is unchanged (units are never deleted: the highest ids tell)."""
    version = (AdminUnit.objects.order_by("-pk").values_list("pk", flat=True).first(),
               UnitAlias.objects.order_by("-pk").values_list("pk", flat=True).first())
    if _names["version"] != version:
        keys = set(AdminUnit.objects.values_list("name_key", flat=True))
        keys |= set(AdminUnit.objects.values_list("short_key", flat=True))
        keys |= set(UnitAlias.objects.values_list("alias_key", flat=True))
        keys.discard("")
        syllables: dict[str, int] = {}
        for key in keys:
            for word in key.split():
                syllables[word] = syllables.get(word, 0) + 1
        _names.update(version=version, keys=frozenset(keys), syllables=syllables)
    return _names["keys"], _names["syllables"]


def correct_name(query: str) -> str | None:
    """The unit name a mistyped query most likely means (one typo in up to two of its words), folded; None when
    the query is a name already or nothing near it is. Only the first part of a comma path is corrected."""
    first = query.split(",")[0]
    words = fold(first).split()
    if not words or len(words) > 6 or _CODE.match(first.strip()):
        return None
    keys, syllables = _name_index()

    def names_a_unit(phrase: str) -> bool:
        return any(k in keys for k in (phrase, _expand_abbreviation(phrase)))

    found = spelling.phrase_corrections(words, syllables, names_a_unit)
    if not found:
        return None
    rest = query.split(",")[1:]
    return ", ".join([found[0], *(p.strip() for p in rest)])


# ---------------------------------------------------------------------------------------------------------------
# Lineage


def _edges(rows, end: str) -> list[Edge]:
    """Successors with the default first; then (and for predecessors) province, district, ward, by name."""
    edges = [Edge(unit=getattr(row, end), kind=row.kind, is_default=row.is_default,
                  effective_date=row.effective_date, legal_basis=row.legal_basis, sources=tuple(row.sources or ()))
             for row in rows]
    first_default = end == "successor"
    return sorted(edges, key=lambda e: (first_default and not e.is_default, _LEVEL_RANK.get(e.unit.level, 9),
                                        vn_collate.collate_key(e.unit.name)))


def successors(unit: AdminUnit, level: str | None = None) -> list[Edge]:
    """Where the unit went, one step, the default first. An old district's successors are new wards."""
    rows = UnitSuccession.objects.filter(predecessor=unit).select_related(
        *(f"successor__{r}" for r in _UNIT_RELATED))
    if level:
        rows = rows.filter(successor__level=level)
    return _edges(rows, "successor")


def predecessors(unit: AdminUnit, level: str | None = None) -> list[Edge]:
    """What the unit was made from, one step. A new ward's predecessors are old wards and the old districts
    they lay in; pass level="ward" for the wards only."""
    rows = UnitSuccession.objects.filter(successor=unit).select_related(
        *(f"predecessor__{r}" for r in _UNIT_RELATED))
    if level:
        rows = rows.filter(predecessor__level=level)
    return _edges(rows, "predecessor")


def _same_level_first(edges: list[Edge], unit: AdminUnit) -> list[Edge]:
    """The edges to units of the unit's own level when there are any (a new ward came from old wards; its old
    districts are context), otherwise all (a đặc khu made from a ward-less island district)."""
    return [e for e in edges if e.unit.level == unit.level] or edges


def _today() -> datetime.date:
    return timezone.localdate()


def current(unit: AdminUnit, at: datetime.date | None = None) -> list[Edge]:
    """The units valid at `at` that the unit lives on in (or, for a date before it existed, came from).

    A unit valid at `at` answers itself, whole. Several routes to one unit merge: whole if any route was whole."""
    at = at or _today()
    if unit.is_valid_on(at):
        return [Edge(unit=unit, kind=SuccessionKind.WHOLE, is_default=True, effective_date=None)]
    backwards = bool(unit.valid_from and at < unit.valid_from)

    def step(node):
        return _same_level_first(predecessors(node), node) if backwards else successors(node)

    found: dict[int, Edge] = {}
    frontier = [(unit, SuccessionKind.WHOLE, True, ())]
    seen = {unit.pk}
    while frontier:
        node, kind, default, via = frontier.pop(0)
        for edge in step(node):
            step_kind = SuccessionKind.PARTIAL if SuccessionKind.PARTIAL in (kind, edge.kind) else kind
            step_default = default and edge.is_default
            if edge.unit.is_valid_on(at):
                walked = Edge(unit=edge.unit, kind=step_kind, is_default=step_default,
                              effective_date=edge.effective_date, legal_basis=edge.legal_basis,
                              sources=edge.sources, via=via)
                known = found.get(edge.unit.pk)
                if known is None:
                    found[edge.unit.pk] = walked
                else:
                    found[edge.unit.pk] = Edge(
                        unit=known.unit, kind=SuccessionKind.WHOLE if SuccessionKind.WHOLE in (known.kind, step_kind)
                        else SuccessionKind.PARTIAL, is_default=known.is_default or step_default,
                        effective_date=known.effective_date, legal_basis=known.legal_basis, sources=known.sources,
                        via=known.via)
            elif edge.unit.pk not in seen:
                seen.add(edge.unit.pk)
                frontier.append((edge.unit, step_kind, step_default, (*via, edge.unit)))
    return sorted(found.values(), key=lambda e: (not e.is_default, _LEVEL_RANK.get(e.unit.level, 9),
                                                 vn_collate.collate_key(e.unit.name)))


def default_current(unit: AdminUnit, at: datetime.date | None = None) -> AdminUnit | None:
    """The one unit to pick when something must go somewhere (a dossier, a page): the default route's end."""
    edges = current(unit, at)
    if not edges:
        return None
    return next((e.unit for e in edges if e.is_default), edges[0].unit)


def chain(unit: AdminUnit, at: datetime.date | None = None) -> Chain:
    at = at or _today()
    return Chain(unit=unit, predecessors=predecessors(unit), successors=successors(unit), current=current(unit, at),
                 at=at)


def find_unit(vintage: str, level: str, code: str) -> AdminUnit | None:
    return AdminUnit.objects.select_related(*_UNIT_RELATED).filter(vintage=vintage, level=level, code=code).first()


# ---------------------------------------------------------------------------------------------------------------
# Plain-language explanation


def _with_place(unit: AdminUnit, home: AdminUnit) -> str:
    """"Phường Ngọc Hà (Tỉnh Tuyên Quang)": the province is named when it is not the one `home` lay in, since
    a ward's name alone is often not unique in the country."""
    province = unit.province if unit.province_id and unit.province_id != unit.pk else None
    home_province = home.province if home.province_id else None
    if province and not (home_province and home_province.name_key == province.name_key):
        return f"{unit.name} ({province.name})"
    return unit.name


def _in_name_order(edges: list[Edge]) -> list[Edge]:
    return sorted(edges, key=lambda e: vn_collate.collate_key(e.unit.name))


def _join(names: list[str], lang: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    last = " và " if lang == "vi" else " and "
    return ", ".join(names[:-1]) + last + names[-1]


def explain(lineage: Chain, lang: str = "vi") -> list[str]:
    """Sentences for people: where an old unit went, or what a new one was made from."""
    unit, vi = lineage.unit, lang != "en"
    out: list[str] = []
    succ = _in_name_order(lineage.successors)
    default = next((e for e in succ if e.is_default), None)
    if unit.vintage == Vintage.OLD and unit.level == Level.DISTRICT and len(succ) > 1:
        names = _join([_with_place(e.unit, unit) for e in succ], lang)
        out.append(f"Từ 01/7/2025 không còn cấp huyện; địa bàn của {unit.name} nay thuộc {names}."
                   if vi else f"Districts were abolished on 1 July 2025; the area of {unit.name} is now in {names}.")
    elif len(succ) == 1 and not succ[0].is_partial:
        target = _with_place(succ[0].unit, unit)
        out.append(f"Toàn bộ {unit.name} nay thuộc {target}." if vi else f"All of {unit.name} is now part of {target}.")
    elif len(succ) > 1 or (succ and succ[0].is_partial):
        first, rest = _with_place(succ[0].unit, unit), [_with_place(e.unit, unit) for e in succ[1:]]
        if vi:
            sentence = f"Một phần địa giới của {unit.name} nay thuộc {first}"
            sentence += f", phần còn lại thuộc {_join(rest, lang)}." if rest else "."
            sentence += f" Nơi kế thừa mặc định: {_with_place(default.unit, unit)}." if default else ""
        else:
            sentence = f"Part of {unit.name} is now in {first}"
            sentence += f"; the rest is in {_join(rest, lang)}." if rest else "."
            sentence += f" Default successor: {_with_place(default.unit, unit)}." if default else ""
        out.append(sentence)
    if lineage.predecessors:
        parts = []
        for edge in _in_name_order(_same_level_first(lineage.predecessors, unit)):
            share = ("toàn bộ" if vi else "all") if not edge.is_partial else ("một phần" if vi else "part")
            parts.append(f"{edge.unit.name} ({share})")
        if parts:
            out.append(f"{unit.name} được hình thành từ: {_join(parts, lang)}." if vi
                       else f"{unit.name} was formed from: {_join(parts, lang)}.")
    if not out:
        out.append(f"{unit.name} không thay đổi qua đợt sắp xếp năm 2025." if vi
                   else f"{unit.name} did not change in the 2025 reorganisation.")
    return out


# ---------------------------------------------------------------------------------------------------------------
# One look-up, as the page, the JSON endpoint and the CLI answer it

# Past this many candidates a look-up lists them without their lineage: the person has to choose first.
LINEAGE_LIMIT = 10


@dataclass(frozen=True)
class LookupEntry:
    match: UnitMatch
    chain: Chain | None
    sentences: tuple[str, ...]

    def as_dict(self) -> dict:
        out = self.match.as_dict()
        out["lineage"] = self.chain.as_dict() if self.chain else None
        out["explanation"] = list(self.sentences)
        return out


@dataclass(frozen=True)
class Lookup:
    query: str
    at: datetime.date
    entries: tuple[LookupEntry, ...]
    corrected: str | None = None  # what was looked up instead, when the query named no unit (a typo)

    @property
    def ambiguous(self) -> bool:
        return len(self.entries) > 1

    def as_dict(self) -> dict:
        return {"query": self.query, "at": self.at, "count": len(self.entries), "ambiguous": self.ambiguous,
                "corrected": self.corrected, "results": [e.as_dict() for e in self.entries]}


def lookup(query: str, at: datetime.date | None = None, lang: str = "vi", level: str | None = None) -> Lookup:
    """Resolve `query` among units of every vintage and say where each candidate went (or came from) by `at`."""
    at = at or _today()
    matches = resolve(query, level=level)
    corrected = None
    if not matches and (fix := correct_name(query)):
        matches = resolve(fix, level=level)
        # Said back as the unit's name is written ("Đội Cấn"), not folded, when the correction is that name.
        named = next((getattr(m.unit, f) for m in matches for f in ("short_name", "name")
                      if fold(getattr(m.unit, f)) == fold(fix.split(",")[0])), None)
        corrected = (named + fix[len(fix.split(",")[0]):] if named else fix) if matches else None
    entries = []
    for match in matches:
        if len(matches) > LINEAGE_LIMIT:
            entries.append(LookupEntry(match, None, ()))
            continue
        lineage = chain(match.unit, at)
        entries.append(LookupEntry(match, lineage, tuple(explain(lineage, lang))))
    return Lookup(query=query, at=at, entries=tuple(entries), corrected=corrected)
