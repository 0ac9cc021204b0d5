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
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from hopnhat.consolidation import duplicates
from hopnhat.consolidation.api import DomainImporter, MappingError, loaded, merged, quarantined, register_importer
from hopnhat.core.models import Provenance
from hopnhat.core.provenance import find_target
from hopnhat.core.text import fold, nfc

from .agencies import ensure_agency
from .models import Agency, Membership, Person, Position, validate_agency_code

_OLDEST_BIRTH = datetime.date(1900, 1, 1)


def _agency(ctx, code: str, what: str) -> Agency:
    agency = ctx.crosswalk_agency(code)
    if agency is None:
        raise MappingError(what, f"không có cơ quan mã “{code}” (bản ghi mồ côi) / no agency with code {code} (orphan)")
    return agency


def _look_alikes(pairs: set[tuple[str, datetime.date]]):
    """People with exactly one of these (folded name, birth date) pairs, oldest first. A join with a VALUES list
    is planned in microseconds and uses the name_key index; neither a cross product of IN lists (thousands of
    false rows per batch at scale) nor a 2,000-arm OR (slow to plan) does."""
    table = Person._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = (f'SELECT p.* FROM "{table}" p JOIN (VALUES {values}) AS v '  # noqa: S608 — placeholders only
           f"ON p.name_key = v.column1 AND p.birth_date = v.column2 ORDER BY p.id")
    return Person.objects.raw(sql, [x for pair in sorted(pairs) for x in pair])


@register_importer
class AgencyImporter(DomainImporter):
    name = "org.agencies"
    target_model = "org.Agency"
    reconcile_fields = {"code": "code", "name": "name"}

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
                        "national_id_hash": "national_id_hash"}
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
        values["name_key"] = fold(values["full_name"])
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

    def _membership(self, person: Person, mapped: dict[str, Any], ctx) -> None:
        code = mapped.get("agency_code")
        if not code:
            return
        agency = _agency(ctx, code, "agency_code")
        Membership.objects.update_or_create(
            person=person, agency=agency, position=self._position(mapped, {}), start=mapped.get("start"),
            defaults={"title": nfc(mapped.get("title")), "end": mapped.get("end")})

    @staticmethod
    def _position(mapped: dict[str, Any], cache: dict[str, Position]) -> Position | None:
        name = nfc(mapped.get("position"))
        if not name:
            return None
        if name not in cache:
            cache[name], _ = Position.objects.get_or_create(name=name)
        return cache[name]

    def _merge_into(self, same: Person, values: dict[str, Any], mapped: dict[str, Any], ctx):
        """Certainly the same person: fill what our copy lacks (never overwrite) and add the membership."""
        changed = [name for name in ("email", "phone", "birth_date") if not getattr(same, name) and values[name]]
        for name in changed:
            setattr(same, name, values[name])
        if changed:
            same.save()
        self._membership(same, mapped, ctx)
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
            self._membership(ours, mapped, ctx)
            return loaded(ours, updated=True)
        same = duplicates.find_exact(Person, values, rules.get("exact"), self.exact_default)
        if same is not None:
            return self._merge_into(same, values, mapped, ctx)
        person = Person(**{k: v for k, v in values.items() if k != "name_key"})
        person.save()
        self._membership(person, mapped, ctx)
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
        ours = set(Provenance.objects.filter(
            content_type=ContentType.objects.get_for_model(Person), source_system=ctx.mapping.system,
            source_key__in=[p[1].key for p in prepared]).values_list("source_key", flat=True))
        by_hash: dict[str, Person] = {}
        hashes = {p[3]["national_id_hash"] for p in prepared if p[3]["national_id_hash"]}
        for person in Person.objects.filter(national_id_hash__in=hashes).order_by("pk"):
            by_hash.setdefault(person.national_id_hash, person)
        by_name: dict[tuple, list[Person]] = defaultdict(list)
        pairs = {(p[3]["name_key"], p[3]["birth_date"]) for p in prepared if p[3]["birth_date"]}
        if pairs:
            for person in _look_alikes(pairs):
                by_name[(person.name_key, person.birth_date)].append(person)
        pending: list[tuple[int, Person, dict, Agency | None, Any]] = []
        later: list[tuple[int, Person, dict, dict]] = []  # merges into people this batch creates
        for index, record, mapped, values, agency in prepared:
            if record.key in ours:  # the old record changed: the careful path
                outcomes[index] = self._one(record, mapped, ctx)
                continue
            same = by_hash.get(values["national_id_hash"]) if values["national_id_hash"] else None
            if same is not None:
                if same.pk is None:
                    later.append((index, same, values, mapped))
                else:
                    outcomes[index] = self._merge_into(same, values, mapped, ctx)
                continue
            person = Person(**values)
            pending.append((index, person, mapped, agency, record))
            if values["national_id_hash"]:
                by_hash[values["national_id_hash"]] = person
            if values["birth_date"]:
                by_name[(values["name_key"], values["birth_date"])].append(person)
        Person.objects.bulk_create([p for _, p, _, _, _ in pending])
        positions: dict[str, Position] = {}
        memberships = []
        for index, person, mapped, agency, record in pending:
            if agency is not None:
                memberships.append(Membership(person=person, agency=agency, position=self._position(mapped, positions),
                                              title=nfc(mapped.get("title")), start=mapped.get("start"),
                                              end=mapped.get("end")))
            for candidate in by_name.get((person.name_key, person.birth_date), [])[:20]:
                if candidate.pk < person.pk:  # each pair once, the older record on the left
                    both_ids = bool(candidate.national_id_hash and person.national_id_hash)
                    ctx.review(duplicates.rule_name(self.fuzzy_default[0]), candidate, person,
                               0.5 if both_ids else 0.9, agency=agency, source_key=record.key,
                               reason="cùng họ tên và ngày sinh / same folded name and birth date")
            outcomes[index] = loaded(person)
        Membership.objects.bulk_create(memberships)
        for index, same, values, mapped in later:
            outcomes[index] = self._merge_into(same, values, mapped, ctx)
        return outcomes

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
