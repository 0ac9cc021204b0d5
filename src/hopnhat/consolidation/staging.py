"""What staging keeps of a source record, and for how long (issue 13, finding 7).

A mapping's `pii:` list names the personal fields:

    pii:
      - so_cccd                # an ID number: keyed hash before anything (the importer, too, gets the hash)
      - dien_thoai: hash       # the importer gets the value; staging keeps only its keyed hash
      - dia_chi: drop          # the importer gets the value; staging keeps nothing of it

`staging_record(data, mapping)` is called once per record where the engine prepares it (engine._prepare), after
the importer's fields are mapped from the record as read: it returns the record as staging stores it, that
text, and the checksum. The checksum is what change detection compares from run to run and what provenance
carries; reconciliation balances outcomes and compares fields against the mapped values, never against staged
text. With no `hash`/`drop` field it is sha256 of the canonical JSON, as before. With one, it is HMAC-SHA256
under PII_HASH_KEY of the canonical JSON *as read*: a changed phone number or address still marks the record
changed (it is imported again), yet the checksum of a record whose other fields are known cannot be tried
against every phone number by someone holding the database but not the key. (Changing PII_HASH_KEY makes
every such record look changed once.)

`purge_staging()` empties the raw text of staged records of systems switched off (cutover state `done`) longer
than HOPNHAT_STAGING_RETENTION_DAYS ago, keeping keys, checksums, outcomes, targets and provenance, so the
reconciliation of their runs still holds (`hopnhat consolidate purge-staging [--dry-run] [--json]`).
"""

import datetime
import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hopnhat.core import audit, pii
from hopnhat.core.provenance import canonical_json
from hopnhat.core.text import nfc

from .models import Cutover, CutoverStep, StagedRecord

ACTIONS = ("hash", "drop")
_PHONE_LIKE = re.compile(r"^[\d\s+().-]+$")


def split_pii(entries: list[Any], where: str = "") -> tuple[list[str], dict[str, str]]:
    """The mapping's `pii:` list as (ID-number columns, {column: hash|drop} for staging)."""
    ids, staging = [], {}
    for entry in entries or []:
        if isinstance(entry, str):
            ids.append(entry)
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValueError(f"{where}mục pii {entry!r} phải là tên cột hoặc {{cột: hash|drop}} "
                             f"/ a pii entry is a column name or {{column: hash|drop}}")
        [(column, action)] = entry.items()
        if action not in ACTIONS:
            raise ValueError(f"{where}pii “{column}”: “{action}” không hợp lệ, chọn hash hoặc drop "
                             f"/ pii action must be hash or drop")
        staging[str(column)] = action
    return ids, staging


def held_in_clear(mapping, column: str) -> bool:
    """Whether staging keeps `column` as the old system holds it: not an ID number (keyed hash before anything),
    not a `{column: hash}` or `{column: drop}` entry. Readers of staged records (the quarantine's look-ups) must
    not take a hash for the value, nor a missing column for an empty one."""
    return column not in (getattr(mapping, "pii", None) or ()) and column not in (
        getattr(mapping, "pii_staging", None) or {})


def keyed_value_hash(value: Any) -> str:
    """A phone number by its digits (core.pii.keyed_hash, so "0912 345 678" and "0912.345.678" agree); other
    text by its NFC form, under the same key."""
    text = str(value)
    if _PHONE_LIKE.match(text):
        return pii.keyed_hash(text)
    return hmac.new(settings.PII_HASH_KEY.encode(), nfc(text).encode(), hashlib.sha256).hexdigest()


def staging_record(data: dict[str, Any], mapping) -> tuple[dict[str, Any], bytes, str]:
    """(what staging stores, its canonical JSON, the checksum) for a record as read; see the module docstring."""
    fields = getattr(mapping, "pii_staging", None)
    if not fields:
        raw = canonical_json(data)
        return data, raw, hashlib.sha256(raw).hexdigest()
    digest = hmac.new(settings.PII_HASH_KEY.encode(), canonical_json(data), hashlib.sha256).hexdigest()
    kept = dict(data)
    for column, action in fields.items():
        if column not in kept:
            continue
        if action == "drop":
            del kept[column]
        elif kept[column] not in (None, ""):
            kept[column] = keyed_value_hash(kept[column])
    return kept, canonical_json(kept), digest


def retention() -> datetime.timedelta:
    return datetime.timedelta(days=int(getattr(settings, "HOPNHAT_STAGING_RETENTION_DAYS", 180)))


def purgeable_systems(now: datetime.datetime | None = None) -> list[Cutover]:
    """Systems switched off (cutover `done`) longer ago than the retention period."""
    cutoff = (now or timezone.now()) - retention()
    return list(Cutover.objects.filter(state=CutoverStep.DONE, updated_at__lt=cutoff).order_by("system"))


def purge_staging(*, actor, dry_run: bool = False, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Empty the raw records of systems past their retention; return what was (or, dry run, would be) purged."""
    report: dict[str, Any] = {"dry_run": dry_run, "retention_days": retention().days, "systems": []}
    for cutover in purgeable_systems(now):
        records = StagedRecord.objects.filter(system=cutover.system).exclude(raw={})
        with transaction.atomic():
            count = records.count() if dry_run else records.update(raw={})
            if count and not dry_run:
                audit.record(actor, "consolidation.staging.purge", cutover, records=count,
                             retention_days=report["retention_days"])
        report["systems"].append({"system": cutover.system, "switched_off": cutover.updated_at.isoformat(),
                                  "records": count})
    report["records"] = sum(s["records"] for s in report["systems"])
    return report
