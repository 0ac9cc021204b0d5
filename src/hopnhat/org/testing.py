"""Building the few units a test needs, whether or not the national graph is loaded in the test database.

The `national_units` session fixture loads the real graph once and keeps it for the whole session, so a test
that makes "Tỉnh Hà Giang (02)" itself must reuse the real row rather than collide with it: units are looked up by
their identity (vintage, level, code) and created only when missing. What a test adds is rolled back with it."""

from .models import LAST_OLD_DAY, REFORM_DATE, AdminUnit, Level, UnitSuccession, Vintage


def unit(vintage: str, level: str, code: str, name: str, short_name: str | None = None,
         unit_type: str | None = None, parent: AdminUnit | None = None,
         province: AdminUnit | None = None) -> AdminUnit:
    word, _, rest = name.partition(" ")
    if name.startswith("Thành phố "):
        word, rest = "Thành phố", name[len("Thành phố "):]
    made, created = AdminUnit.objects.get_or_create(
        vintage=vintage, level=level, code=code,
        defaults={
            "name": name, "short_name": short_name or rest, "unit_type": unit_type or word, "parent": parent,
            "province": province or (parent.province if parent else None),
            "valid_to": LAST_OLD_DAY if vintage == Vintage.OLD else None,
            "valid_from": REFORM_DATE if vintage == Vintage.NEW else None,
        })
    if created and made.province_id is None and level == Level.PROVINCE:
        made.province = made
        made.save(update_fields=["province"])
    return made


def edge(predecessor: AdminUnit, successor: AdminUnit, kind: str, default: bool = False) -> UnitSuccession:
    made, _ = UnitSuccession.objects.update_or_create(
        predecessor=predecessor, successor=successor, defaults={"kind": kind, "is_default": default})
    return made
