"""Domain importers for the organisation: agencies (`org.agencies`) and staff (`org.people`) from the old units'
HR databases and Excel lists, run by the consolidation engine (`hopnhat consolidate run hr-hagiang.yaml`).

People from several old units are merged when they are certainly the same (same CCCD hash); when they only
look the same (same folded name and birth date) both are kept and the pair goes to the review queue.

Mapped fields the importers read (the mapping's `fields:` block names the old columns):
    org.agencies: code, name, short_name, parent_code, unit
    org.people:   full_name, birth_date, national_id_hash (a `pii:` column), email, phone, agency_code,
                  position, title, start, end
"""

import datetime
import functools
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hopnhat.consolidation import bulk, duplicates
from hopnhat.consolidation.api import DomainImporter, MappingError, Ref, loaded, merged, quarantined, register_importer
from hopnhat.core.models import Provenance
from hopnhat.core.provenance import find_target
from hopnhat.core.text import fold, nfc

from .agencies import ensure_agency
from .models import Agency, Membership, Person, Position, validate_agency_code

_OLDEST_BIRTH = datetime.date(1900, 1, 1)
# Full names repeat a lot among the staff of a province (Nguyễn Văn Hùng…): fold each once.
_name_key = functools.lru_cache(maxsize=65536)(fold)


def _agency(ctx, code: str, what: str) -> Agency:
    agency = ctx.crosswalk_agency(code)
    if agency is None:
        raise MappingError(what, f"không có cơ quan mã “{code}” (bản ghi mồ côi) / no agency with code {code} (orphan)")
    return agency


def _look_alikes(pairs: set[tuple[str, datetime.date]]) -> list[Person]:
    """People with exactly one of these (folded name, birth date) pairs, oldest first, through the
    (name_key, birth_date) index. PostgreSQL: a join with two arrays (two parameters however many pairs);
    elsewhere a join with a VALUES list. Either is planned in microseconds, unlike a 2,000-arm OR."""
    table = Person._meta.db_table
    pairs = sorted(pairs)
    if bulk.is_postgresql():
        with bulk.pg_cursor() as cur:
            cur.execute(f'SELECT p.id FROM "{table}" p JOIN unnest(%b::text[], %b::date[]) AS v(k, d) '  # noqa: S608
                        "ON p.name_key = v.k AND p.birth_date = v.d", [[k for k, _ in pairs], [d for _, d in pairs]],
                        prepare=True)
            ids = [row[0] for row in cur.fetchall()]
        return list(Person.objects.filter(pk__in=ids).order_by("pk")) if ids else []
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = (f'SELECT p.* FROM "{table}" p JOIN (VALUES {values}) AS v '  # noqa: S608 — placeholders only
           f"ON p.name_key = v.column1 AND p.birth_date = v.column2 ORDER BY p.id")
    return list(Person.objects.raw(sql, [x for pair in pairs for x in pair]))


def _same_id_number(hashes: set[str]) -> list[Person]:
    """People holding any of these ID hashes, oldest first (only the few that match are built as objects)."""
    if not hashes:
        return []
    if bulk.is_postgresql():
        with bulk.pg_cursor() as cur:  # a join, like _look_alikes: one index probe per hash, never a table scan
            cur.execute(f'SELECT p.id FROM "{Person._meta.db_table}" p '  # noqa: S608 — our own names
                        "JOIN unnest(%b::text[]) AS v(h) ON p.national_id_hash = v.h", [list(hashes)], prepare=True)
            ids = [row[0] for row in cur.fetchall()]
        return list(Person.objects.filter(pk__in=ids).order_by("pk")) if ids else []
    return list(Person.objects.filter(national_id_hash__in=hashes).order_by("pk"))


def _imported_keys(system: str, keys: list[str]) -> set[str]:
    """Which of these source keys of `system` already went into a person (provenance)."""
    person_type = ContentType.objects.get_for_model(Person).pk
    if bulk.is_postgresql():
        with bulk.pg_cursor() as cur:
            cur.execute(f'SELECT source_key FROM "{Provenance._meta.db_table}" '  # noqa: S608 — our names
                        "WHERE content_type_id = %s AND source_system = %s AND source_key = ANY(%b::text[])",
                        [person_type, system, keys], prepare=True)
            return {row[0] for row in cur.fetchall()}
    return set(Provenance.objects.filter(content_type_id=person_type, source_system=system,
                                         source_key__in=keys).values_list("source_key", flat=True))


class _New:
    """A person this batch creates: written in bulk, named by an api.Ref in outcomes and reviews."""

    __slots__ = ("pk", "values")

    def __init__(self, values: dict[str, Any]):
        self.pk, self.values = None, values

    @property
    def national_id_hash(self) -> str:
        return self.values["national_id_hash"]

    def ref(self) -> Ref:
        return Ref(Person, self.pk)


_PERSON_FIELDS = ["full_name", "name_key", "birth_date", "email", "phone", "national_id_hash"]
_MEMBERSHIP_FIELDS = ["person_id", "agency_id", "position_id", "title", "start", "end"]
_PROVENANCE_FIELDS = ["content_type_id", "object_pk", "source_system", "source_key", "checksum", "imported_at",
                      "detail"]


def _memberships_of(system: str, keys: list[str]) -> dict[str, int]:
    """{source key: membership id} of the memberships these source records of `system` made (provenance): a
    changed source record updates its own membership, whatever else changed (title, agency, start…)."""
    if not keys:
        return {}
    membership_type = ContentType.objects.get_for_model(Membership).pk
    return {key: int(pk) for key, pk in Provenance.objects.filter(
        content_type_id=membership_type, source_system=system, source_key__in=keys).values_list(
        "source_key", "object_pk")}


def _link_memberships(ctx, pairs: list[tuple[int, str]]) -> None:
    """Provenance of memberships, (membership id, source key) each: which old record each one came from. One
    membership per source record: a link of the same record to another membership is replaced."""
    if not pairs:
        return
    membership_type = ContentType.objects.get_for_model(Membership).pk
    system, now = ctx.mapping.system, timezone.now()
    stale = Provenance.objects.filter(content_type_id=membership_type, source_system=system,
                                      source_key__in=[key for _, key in pairs])
    stale.exclude(object_pk__in=[str(pk) for pk, _ in pairs]).delete()
    rows = {(str(pk), key): (membership_type, str(pk), system, key, "", now,
                             {"stream": ctx.mapping.stream, "membership": True}) for pk, key in pairs}
    bulk.upsert_rows(Provenance, _PROVENANCE_FIELDS, list(rows.values()),
                     unique=["content_type_id", "object_pk", "source_system", "source_key"], update=["detail"])


@register_importer
class AgencyImporter(DomainImporter):
    name = "org.agencies"
    target_model = "org.Agency"
    reconcile_fields = {"code": "code", "name": "name"}
    reconcile_exclude = {
        "parent_code": "mã cơ quan cấp trên, đổi sang cơ quan đang hoạt động qua bảng chuyển đổi / the parent's "
                       "old code, crosswalked to the agency acting today",
        "unit": "đơn vị hành chính cũ, đổi sang đơn vị hiện nay theo lịch sử sắp xếp / the old unit, resolved "
                "to today's unit through the lineage",
    }

    def import_record(self, record, mapped, ctx):
        code = nfc(mapped.get("code")).upper()
        name = nfc(mapped.get("name"))
        mapped.update(code=code, name=name)  # what reconciliation compares the target with
        if not name:
            return quarantined("thiếu tên cơ quan / agency name is empty")
        try:
            validate_agency_code(code)
        except ValidationError as exc:
            return quarantined(" ".join(exc.messages))
        parent = _agency(ctx, mapped["parent_code"], "parent_code") if mapped.get("parent_code") else None
        unit = None
        if mapped.get("unit"):
            units = ctx.crosswalk_unit(mapped["unit"])
            if len(units) != 1:
                return quarantined(f"đơn vị hành chính “{mapped['unit']}” khớp {len(units)} đơn vị hiện nay "
                                   f"/ unit matches {len(units)} current units: "
                                   + ", ".join(u.name for u in units[:5]))
            unit = units[0]
        ours = find_target(Agency, source_system=ctx.mapping.system, source_key=record.key)
        if ours is not None:
            ours.name, ours.short_name = name, nfc(mapped.get("short_name"))
            ours.parent, ours.unit = parent, unit or ours.unit
            ours.save()
            return loaded(ours, updated=True)
        existing = Agency.objects.filter(code=code).first()
        if existing is not None:
            return merged(existing, "cùng mã định danh / same agency code")
        agency, _ = ensure_agency(code=code, name=name, parent=parent, unit=unit,
                                  short_name=nfc(mapped.get("short_name")), actor=ctx.actor)
        return loaded(agency)


@register_importer
class PeopleImporter(DomainImporter):
    name = "org.people"
    target_model = "org.Person"
    reconcile_fields = {"full_name": "full_name", "birth_date": "birth_date", "email": "email",
                        "national_id_hash": "national_id_hash", "phone": "phone"}
    reconcile_exclude = {
        "agency_code": "đổi sang cơ quan đang hoạt động qua bảng chuyển đổi; mã không có thì cách ly / crosswalked "
                       "to the agency acting today; an unknown code is quarantined",
    }
    # stored on the membership the source record made (linked by provenance): compared there
    reconcile_other_fields = ("position", "title", "start", "end")

    def reconcile_other(self, items, ctx):
        links = _memberships_of(ctx.mapping.system, [key for key, _ in items])
        rows = {m.pk: m for m in Membership.objects.filter(pk__in=set(links.values())).select_related("position")}
        return {key: {"position": rows[pk].position.name if rows[pk].position_id else "", "title": rows[pk].title,
                      "start": rows[pk].start, "end": rows[pk].end}
                for key, pk in links.items() if pk in rows}
    exact_default = [["national_id_hash"]]
    fuzzy_default = [["name_key", "birth_date"]]

    def _values(self, mapped: dict[str, Any]) -> dict[str, Any]:
        values = {
            "full_name": nfc(mapped.get("full_name")),
            "birth_date": mapped.get("birth_date"),
            "email": nfc(mapped.get("email")).lower(),
            "phone": nfc(mapped.get("phone")),
            "national_id_hash": mapped.get("national_id_hash") or "",
        }
        values["name_key"] = _name_key(values["full_name"])
        if not values["full_name"]:
            raise MappingError("full_name", "thiếu họ tên / full name is empty")
        birth = values["birth_date"]
        if birth is not None and not (_OLDEST_BIRTH <= birth <= datetime.date.today()):  # noqa: DTZ011
            raise MappingError("birth_date", f"ngày sinh {birth.isoformat()} không hợp lý / implausible birth date")
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                raise MappingError("email", f"thư điện tử “{values['email']}” không hợp lệ / invalid e-mail") from None
        # Reconciliation compares the target with these normalised values (NFC, e-mail in lower case).
        mapped.update({k: values[k] for k in ("full_name", "email", "phone")})
        return values

    def _membership(self, person: Person, mapped: dict[str, Any], ctx, key: str) -> None:
        """The membership this source record says: the one it made before (provenance), updated, else one with
        the same person, agency, position and start (another source's), else a new one."""
        code = mapped.get("agency_code")
        if not code:
            return
        agency = _agency(ctx, code, "agency_code")
        values = {"person": person, "agency": agency, "position": self._position(mapped, {}),
                  "start": mapped.get("start"), "title": nfc(mapped.get("title")), "end": mapped.get("end")}
        pk = _memberships_of(ctx.mapping.system, [key]).get(key)
        ours = Membership.objects.filter(pk=pk).first() if pk is not None else None
        if ours is not None:
            changed = [name for name, value in values.items() if getattr(ours, name) != value]
            for name in changed:
                setattr(ours, name, values[name])
            if changed:
                ours.save(update_fields=changed)
        else:
            ours, _ = Membership.objects.update_or_create(
                person=person, agency=agency, position=values["position"], start=values["start"],
                defaults={"title": values["title"], "end": values["end"]})
        _link_memberships(ctx, [(ours.pk, key)])

    @staticmethod
    def _positions(mapped_items: list[dict[str, Any]]) -> dict[str, Position]:
        """The positions a batch names that exist already, in one query (a handful of names, many records)."""
        names = {nfc(mapped.get("position")) for mapped in mapped_items} - {""}
        return {p.name: p for p in Position.objects.filter(name__in=names)} if names else {}

    @staticmethod
    def _position(mapped: dict[str, Any], cache: dict[str, Position]) -> Position | None:
        name = nfc(mapped.get("position"))
        if not name:
            return None
        if name not in cache:
            cache[name], _ = Position.objects.get_or_create(name=name)
        return cache[name]

    def _merge_into(self, same: Person, values: dict[str, Any], mapped: dict[str, Any], ctx, key: str):
        """Certainly the same person: fill what our copy lacks (never overwrite) and add the membership."""
        changed = [name for name in ("email", "phone", "birth_date") if not getattr(same, name) and values[name]]
        for name in changed:
            setattr(same, name, values[name])
        if changed:
            same.save()
        self._membership(same, mapped, ctx, key)
        return merged(same, "cùng số định danh (băm) / same national ID hash")

    def import_record(self, record, mapped, ctx):
        values = self._values(mapped)
        if mapped.get("agency_code"):
            _agency(ctx, mapped["agency_code"], "agency_code")  # an orphan is quarantined before anything is written
        rules = ctx.mapping.duplicates
        ours = find_target(Person, source_system=ctx.mapping.system, source_key=record.key)
        if ours is not None:  # the old record changed: bring our copy up to date
            for name, value in values.items():
                if name != "name_key":
                    setattr(ours, name, value)
            ours.save()
            self._membership(ours, mapped, ctx, record.key)
            return loaded(ours, updated=True)
        same = duplicates.find_exact(Person, values, rules.get("exact"), self.exact_default)
        if same is not None:
            return self._merge_into(same, values, mapped, ctx, record.key)
        person = Person(**{k: v for k, v in values.items() if k != "name_key"})
        person.save()
        self._membership(person, mapped, ctx, record.key)
        membership = person.memberships.select_related("agency").first()
        for rule, candidate in duplicates.find_fuzzy(Person, values, rules.get("fuzzy"), self.fuzzy_default,
                                                     exclude_pk=person.pk):
            # Two different ID numbers make it less likely (a typo is still possible); one missing, more.
            both_ids = bool(candidate.national_id_hash and person.national_id_hash)
            ctx.review(rule, candidate, person, 0.5 if both_ids else 0.9,
                       agency=membership.agency if membership else None, source_key=record.key,
                       reason="cùng họ tên và ngày sinh / same folded name and birth date")
        return loaded(person)

    def import_batch(self, items, ctx):
        """The same decisions as import_record, with a handful of queries per batch instead of several per
        record: that is what lets a million-row HR database go through in minutes."""
        rules = ctx.mapping.duplicates
        if (duplicates.rules(rules.get("exact"), self.exact_default) != self.exact_default
                or duplicates.rules(rules.get("fuzzy"), self.fuzzy_default) != self.fuzzy_default):
            return [self._one(record, mapped, ctx) for record, mapped in items]
        outcomes: list = [None] * len(items)
        prepared = []
        for index, (record, mapped) in enumerate(items):
            try:
                values = self._values(mapped)
                agency = _agency(ctx, mapped["agency_code"], "agency_code") if mapped.get("agency_code") else None
            except MappingError as exc:
                outcomes[index] = quarantined(str(exc), field=exc.field)
                continue
            prepared.append((index, record, mapped, values, agency))
        if not prepared:
            return outcomes
        ours = _imported_keys(ctx.mapping.system, [p[1].key for p in prepared])
        by_hash: dict[str, Person | _New] = {}
        for person in _same_id_number({p[3]["national_id_hash"] for p in prepared if p[3]["national_id_hash"]}):
            by_hash.setdefault(person.national_id_hash, person)
        by_name: dict[tuple, list[Person | _New]] = defaultdict(list)
        pairs = {(p[3]["name_key"], p[3]["birth_date"]) for p in prepared if p[3]["birth_date"]}
        if pairs:
            for person in _look_alikes(pairs):
                by_name[(person.name_key, person.birth_date)].append(person)
        pending: list[tuple[int, _New, dict, Agency | None, Any]] = []
        later: list[tuple[int, Person | _New, dict, dict, Agency | None, str]] = []  # merges, once the new are in
        for index, record, mapped, values, agency in prepared:
            if record.key in ours:  # the old record changed: the careful path
                outcomes[index] = self._one(record, mapped, ctx)
                continue
            same = by_hash.get(values["national_id_hash"]) if values["national_id_hash"] else None
            if same is not None:
                later.append((index, same, values, mapped, agency, record.key))
                continue
            person = _New(values)
            pending.append((index, person, mapped, agency, record))
            if values["national_id_hash"]:
                by_hash[values["national_id_hash"]] = person
            if values["birth_date"]:
                by_name[(values["name_key"], values["birth_date"])].append(person)
        ids = bulk.insert_rows(Person, _PERSON_FIELDS, [[p.values[f] for f in _PERSON_FIELDS]
                                                        for _, p, _, _, _ in pending], return_ids=True)
        for (_, person, _, _, _), pk in zip(pending, ids, strict=True):
            person.pk = pk
        positions = self._positions([p[2] for p in prepared])
        memberships, membership_keys = [], []
        for index, person, mapped, agency, record in pending:
            if agency is not None:
                position = self._position(mapped, positions)
                memberships.append((person.pk, agency.pk, position.pk if position else None,
                                    nfc(mapped.get("title")), mapped.get("start"), mapped.get("end")))
                membership_keys.append(record.key)
            values = person.values
            for candidate in by_name.get((values["name_key"], values["birth_date"]), [])[:20]:
                if candidate.pk < person.pk:  # each pair once, the older record on the left
                    both_ids = bool(candidate.national_id_hash and person.national_id_hash)
                    ctx.review(duplicates.rule_name(self.fuzzy_default[0]),
                               candidate.ref() if isinstance(candidate, _New) else candidate, person.ref(),
                               0.5 if both_ids else 0.9, agency=agency, source_key=record.key,
                               reason="cùng họ tên và ngày sinh / same folded name and birth date")
            outcomes[index] = loaded(person.ref())
        made = bulk.insert_rows(Membership, _MEMBERSHIP_FIELDS, memberships, return_ids=True)
        _link_memberships(ctx, list(zip(made, membership_keys, strict=True)))
        if later:
            self._merge_many(later, outcomes, positions, ctx)
        return outcomes

    def _merge_many(self, merges, outcomes, positions, ctx) -> None:
        """_merge_into for a batch: fill what our copies lack (never overwrite), then add or update each
        membership (person, agency, position, start), reading the people and their memberships once. (Records
        merged here are new to this system: a changed one takes the record path, _membership.)"""
        people = Person.objects.in_bulk([same.pk for _, same, _, _, _, _ in merges])
        # No ordering: Membership's default (by person, so by Person.name_key) joins the whole person table.
        held = {(m.person_id, m.agency_id, m.position_id, m.start): m
                for m in Membership.objects.filter(person_id__in=list(people)).order_by()}
        changed_people, changed_memberships, new_memberships = {}, {}, {}
        links: list[tuple[int, str]] = []
        new_keys: dict[tuple, list[str]] = defaultdict(list)
        for index, same, values, mapped, agency, source_key in merges:
            person = people[same.pk]
            for name in ("email", "phone", "birth_date"):
                if not getattr(person, name) and values[name]:
                    setattr(person, name, values[name])
                    changed_people[person.pk] = person
            if agency is not None:
                position = self._position(mapped, positions)
                key = (person.pk, agency.pk, position.pk if position else None, mapped.get("start"))
                title, end = nfc(mapped.get("title")), mapped.get("end")
                if key in held:
                    membership = held[key]
                    links.append((membership.pk, source_key))
                    if (membership.title, membership.end) != (title, end):
                        membership.title, membership.end = title, end
                        changed_memberships[membership.pk] = membership
                else:
                    new_memberships[key] = (*key[:3], title, key[3], end)
                    new_keys[key].append(source_key)
            outcomes[index] = merged(Ref(Person, person.pk), "cùng số định danh (băm) / same national ID hash")
        for person in changed_people.values():
            person.save()
        if changed_memberships:
            Membership.objects.bulk_update(list(changed_memberships.values()), ["title", "end"])
        made = bulk.insert_rows(Membership, _MEMBERSHIP_FIELDS, list(new_memberships.values()), return_ids=True)
        for key, pk in zip(new_memberships, made, strict=True):
            links += [(pk, source_key) for source_key in new_keys[key]]
        _link_memberships(ctx, links)

    def _one(self, record, mapped, ctx):
        try:
            with transaction.atomic():
                return self.import_record(record, mapped, ctx)
        except MappingError as exc:
            return quarantined(str(exc), field=exc.field)

    def merge(self, keep, other, ctx=None):
        for name in ("email", "phone", "birth_date", "national_id_hash"):
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
        if other.user_id and not keep.user_id:
            keep.user, other.user = other.user, None
            other.save(update_fields=["user"])
        keep.save()
        for membership in other.memberships.all():
            clash = Q(person=keep, agency=membership.agency, position=membership.position, start=membership.start)
            if Membership.objects.filter(clash).exists():
                membership.delete()
            else:
                membership.person = keep
                membership.save(update_fields=["person"])
