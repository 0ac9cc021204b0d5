"""The audit log: append with `record`, check with `verify_chain`.

Each entry's hash is sha256 over the previous hash and the entry's canonical JSON, so changing, deleting or
re-ordering any row (even straight in the database) breaks every hash after it and `verify_chain` names the
first broken entry.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_pk": entry.object_pk,
        "data": entry.data,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode()).hexdigest()


def _actor_name(actor: Any) -> str:
    if actor is None:
        raise ValueError("an audit entry needs an actor (a user or 'system:<job>')")
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk)
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    raise TypeError(f"cannot audit {obj!r}: pass a model instance or (type, pk)")


def record(actor: Any, action: str, obj: Any = None, **data: Any) -> AuditEntry:
    """Append one entry. Runs inside the caller's transaction when there is one, so the entry and the change
    it describes commit or roll back together."""
    object_type, object_pk = _object_ref(obj)
    # Round-trip through JSON so what we hash is exactly what the database will hand back.
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    with transaction.atomic():
        AuditHead.objects.get_or_create(id=1)
        head = AuditHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=_actor_name(actor),
            action=action,
            object_type=object_type,
            object_pk=object_pk,
            data=data,
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry, head.last_hash)
        entry.save(force_insert=True)
        head.last_seq, head.last_hash = entry.seq, entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_broken_seq": self.first_broken_seq,
                "reason": self.reason}


def verify_chain() -> ChainReport:
    """Walk the chain in order; report the first entry whose link or hash does not hold."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "prev_hash does not match the previous entry")
        if entry_hash(entry, prev_hash) != entry.hash:
            return ChainReport(False, checked, entry.seq, "content does not match its hash")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(id=1).first()
    if head and head.last_seq != checked:
        return ChainReport(False, checked, checked + 1, f"entries after #{checked} are missing")
    return ChainReport(True, checked)
