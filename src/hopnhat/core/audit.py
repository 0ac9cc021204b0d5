"""The audit log: append with `record`, check with `verify_chain`, anchor outside the database with `checkpoint`.

Each entry's hash is HMAC-SHA256, under a key kept outside the database (`settings.HOPNHAT_AUDIT_KEY`: the
`HOPNHAT_AUDIT_KEY` environment variable or `var/audit_key`), over the previous hash and the entry's canonical JSON.
Changing, deleting or re-ordering any row breaks every hash after it, and someone who holds the database but not the
key cannot recompute them. The chain's head (seq + hash) is anchored now and then by `checkpoint`, a keyed line
appended to a write-once log file (and optionally sent to syslog), so deleting the last entries and resetting the
head row is caught too: `verify_chain` names the first entry the latest checkpoint vouches for that is gone.

Privileged settings (roles, agency policies, agencies, crosswalk rules…) are audited whichever way they change
(Django admin, staff pages, CLI, import): apps list their models with `register_model` from `AppConfig.ready()`,
and the signal handlers here write `<app>.<model>.create|update|delete` entries with the before / after values in
the same transaction. Who made the change comes from `acting_as` (set per request by `AuditActorMiddleware`, per
command by `HopnhatCommand`).
"""

import contextlib
import contextvars
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
log = logging.getLogger(__name__)


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


def _key(purpose: str = "entry") -> bytes:
    # One secret, two derived keys: an entry MAC can never be replayed as a checkpoint MAC or the reverse.
    return hmac.new(settings.HOPNHAT_AUDIT_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    return hmac.new(_key(), (prev_hash + _canonical(entry)).encode(), hashlib.sha256).hexdigest()


# ---- who is acting ----------------------------------------------------------------------------------------------

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("hopnhat_audit_actor", default=None)


@contextlib.contextmanager
def acting_as(actor: Any):
    """Attribute the audited changes made inside the block to `actor` (a user, a name, or a callable giving one,
    so a request's lazy user is only looked at when something is audited)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str:
    actor = _actor.get()
    if callable(actor):
        actor = actor()
    if actor is None:
        return f"system:{Path(sys.argv[0]).name or 'python'}"
    if not isinstance(actor, str) and not getattr(actor, "is_authenticated", True):
        return "anonymous"
    return _actor_name(actor)


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


# ---- checkpoints outside the database ---------------------------------------------------------------------------

@dataclass
class Checkpoint:
    seq: int
    hash: str
    at: str

    def mac(self) -> str:
        return hmac.new(_key("checkpoint"), f"{self.seq}\n{self.hash}\n{self.at}".encode(), hashlib.sha256).hexdigest()


def checkpoint_log_path() -> Path:
    return Path(settings.HOPNHAT_AUDIT_CHECKPOINT_LOG)


def read_checkpoints(path: Path | None = None) -> tuple[list[Checkpoint], str]:
    """Every checkpoint of the log, oldest first, and the first problem found ("" when none): a line that is not
    ours (bad MAC) or that moves the anchor backwards."""
    path = path or checkpoint_log_path()
    if not path.exists():
        return [], ""
    found: list[Checkpoint] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            point = Checkpoint(int(raw["seq"]), str(raw["hash"]), str(raw["at"]))
            mac = str(raw["mac"])
        except (ValueError, KeyError, TypeError):
            return found, f"checkpoint log {path} line {number}: not a checkpoint"
        if not hmac.compare_digest(mac, point.mac()):
            return found, f"checkpoint log {path} line {number}: its MAC does not match (forged or another key)"
        if found and point.seq < found[-1].seq:
            return found, f"checkpoint log {path} line {number}: #{point.seq} goes back from #{found[-1].seq}"
        found.append(point)
    return found, ""


def checkpoint() -> Checkpoint:
    """Verify the chain, then append its head as a keyed line to the checkpoint log (O_APPEND, fsync) and, when
    `HOPNHAT_AUDIT_SYSLOG` is set, to syslog. Refuses to anchor a chain that does not verify."""
    report = verify_chain()
    if not report.ok:
        raise ValueError(f"audit chain broken at #{report.first_broken_seq}: {report.reason}")
    last = AuditEntry.objects.order_by("-seq").first()
    point = Checkpoint(last.seq if last else 0, last.hash if last else GENESIS,
                       timezone.now().astimezone(UTC).isoformat(timespec="seconds"))
    line = json.dumps({"seq": point.seq, "hash": point.hash, "at": point.at, "mac": point.mac()}) + "\n"
    path = checkpoint_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if address := getattr(settings, "HOPNHAT_AUDIT_SYSLOG", ""):
        _send_to_syslog(address, line.strip())
    return point


def _send_to_syslog(address: str, message: str) -> None:
    host, _, port = address.rpartition(":")
    target: Any = (host, int(port)) if host and port.isdigit() else address
    handler = logging.handlers.SysLogHandler(address=target, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
    try:
        handler.emit(logging.LogRecord("hopnhat.audit", logging.WARNING, __file__, 0, "hopnhat-audit-checkpoint %s",
                                       (message,), None))
    finally:
        handler.close()


# ---- verification -----------------------------------------------------------------------------------------------

@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""
    checkpoint_seq: int | None = None
    checkpoint_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_broken_seq": self.first_broken_seq,
                "reason": self.reason, "checkpoint_seq": self.checkpoint_seq, "checkpoint_at": self.checkpoint_at}


def verify_chain() -> ChainReport:
    """Walk the chain in order with the key; report the first entry whose link or MAC does not hold, or that a
    checkpoint vouched for and is now different or gone."""
    points, problem = read_checkpoints()
    latest = points[-1] if points else None
    anchor = {"checkpoint_seq": latest.seq if latest else None, "checkpoint_at": latest.at if latest else ""}
    if problem:
        return ChainReport(False, 0, None, problem, **anchor)
    vouched = {p.seq: p for p in points}
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry #{expected_seq} is missing", **anchor)
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "prev_hash does not match the previous entry", **anchor)
        if entry_hash(entry, prev_hash) != entry.hash:
            return ChainReport(False, checked, entry.seq, "content does not match its keyed hash", **anchor)
        if (point := vouched.get(entry.seq)) and point.hash != entry.hash:
            return ChainReport(False, checked, entry.seq, f"differs from the checkpoint of {point.at}", **anchor)
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if latest and latest.seq > checked:
        return ChainReport(False, checked, checked + 1,
                           f"the chain ends at #{checked} but the checkpoint of {latest.at} anchors #{latest.seq}: "
                           f"entries #{checked + 1}–#{latest.seq} were removed", **anchor)
    head = AuditHead.objects.filter(id=1).first()
    if head and head.last_seq != checked:
        return ChainReport(False, checked, checked + 1, f"entries after #{checked} are missing", **anchor)
    return ChainReport(True, checked, **anchor)


# ---- privileged models, audited whichever way they change -------------------------------------------------------

@dataclass
class AuditedModel:
    model: type[models.Model]
    exclude: frozenset[str] = frozenset()
    redact: frozenset[str] = frozenset()   # recorded only as "changed", never the value (password hashes)
    label: str = ""
    m2m: tuple[str, ...] = ()
    fields: list[str] = field(default_factory=list)


_registry: dict[type[models.Model], AuditedModel] = {}
_before: contextvars.ContextVar[dict | None] = contextvars.ContextVar("hopnhat_audit_before", default=None)


def audited_models() -> list[AuditedModel]:
    return list(_registry.values())


def register_model(model: type[models.Model], *, exclude: Iterable[str] = (), redact: Iterable[str] = (),
                   m2m: Iterable[str] = (), events: Iterable[str] = ("create", "update", "delete")) -> None:
    """Audit every create, update and delete of `model` (and changes to the many-to-many fields `m2m`), with the
    field values before and after. Called from the owning app's `AppConfig.ready()`; `core` imports no domain app.
    Bulk writes (`QuerySet.update`, `bulk_create`) send no signals: code that uses them on a registered model
    calls `record` itself."""
    spec = AuditedModel(model, frozenset(exclude), frozenset(redact), model._meta.label_lower, tuple(m2m))
    spec.fields = [f.name for f in model._meta.concrete_fields if f.name not in spec.exclude]
    _registry[model] = spec
    uid = f"hopnhat_audit_{spec.label}"
    events = set(events)
    if events & {"create", "update"}:   # (a model whose rows churn, like failed sign-ins, audits deletes only)
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "_pre", weak=False)
        post_save.connect(_post_save, sender=model, dispatch_uid=uid + "_post", weak=False)
    if "delete" in events:
        post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "_delete", weak=False)
    for name in spec.m2m:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(_m2m_handler(spec, name), sender=through, dispatch_uid=f"{uid}_{name}", weak=False)


def _values(spec: AuditedModel, instance: models.Model) -> dict[str, Any]:
    out = {}
    for name in spec.fields:
        f = instance._meta.get_field(name)
        value = getattr(instance, f.attname)
        out[f.attname if f.is_relation else name] = value
    return json.loads(json.dumps(out, cls=DjangoJSONEncoder))


def _pre_save(sender, instance, raw=False, **kwargs):
    spec = _registry.get(sender)
    if spec is None or raw or instance._state.adding or instance.pk is None:
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    if old is not None:
        _before.set({**(_before.get() or {}), (spec.label, str(instance.pk)): _values(spec, old)})


def _shown(spec: AuditedModel, values: dict[str, Any]) -> dict[str, Any]:
    return {k: ("<đã đặt / set>" if k in spec.redact and v else v) for k, v in values.items()}


def _post_save(sender, instance, created, raw=False, **kwargs):
    spec = _registry.get(sender)
    if spec is None or raw:
        return
    after = _values(spec, instance)
    if created:
        record(current_actor(), f"{spec.label}.create", instance, object=str(instance), after=_shown(spec, after))
        return
    pending = dict(_before.get() or {})
    before = pending.pop((spec.label, str(instance.pk)), None)
    _before.set(pending)
    if before is None:
        record(current_actor(), f"{spec.label}.update", instance, object=str(instance), after=_shown(spec, after))
        return
    changed = sorted(k for k in after if before.get(k) != after[k])
    if not changed:
        return
    record(current_actor(), f"{spec.label}.update", instance, object=str(instance), changed=changed,
           before=_shown(spec, {k: before.get(k) for k in changed}),
           after=_shown(spec, {k: after[k] for k in changed}))


def _post_delete(sender, instance, **kwargs):
    spec = _registry.get(sender)
    if spec is None:
        return
    record(current_actor(), f"{spec.label}.delete", instance, object=str(instance),
           before=_shown(spec, _values(spec, instance)))


def _m2m_handler(spec: AuditedModel, name: str) -> Callable:
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in {"post_add", "post_remove", "pre_clear"}:
            return
        if reverse:  # e.g. group.user_set.add(user): name the registered side
            for pk in pk_set or ():
                record(current_actor(), f"{spec.label}.{name}.{action.split('_')[1]}", (spec.label, pk),
                       related=[f"{instance._meta.label_lower}:{instance.pk}"])
            return
        if action == "pre_clear":
            pk_set = set(getattr(instance, name).values_list("pk", flat=True))
            if not pk_set:
                return
        record(current_actor(), f"{spec.label}.{name}.{action.split('_')[1]}", instance, object=str(instance),
               related=sorted(f"{model._meta.label_lower}:{pk}" for pk in pk_set or ()))
    return handler
