"""Mailbox migration IMAP → IMAP (IMAPClient), from the old servers into the platform's Dovecot.

    hopnhat mail migrate PLAN.yaml       hopnhat mail verify annv@tuyenquang.gov.vn --plan PLAN.yaml

    source: {host: imap.hagiang.gov.vn, port: 143, ssl: false, master_user: admin, master_password: "…"}
    target: {host: 127.0.0.1, port: 10143}        # default: the platform's Dovecot, as its migration master user
    parallel: 4                                    # mailboxes at a time
    max_messages_per_second: 0                     # per mailbox; 0 = no limit (imapsync's --maxmessagespersecond)
    sync_flags: true                               # flags changed on the old server follow it (false: report only)
    report_dir: var/mail-migration
    mailboxes:
      - {old: an@hagiang.gov.vn, new: annv@tuyenquang.gov.vn}            # the source's master user logs in
      - {old: binh, password: "…", new: binhtt@tuyenquang.gov.vn}       # or the old login's own password

Every folder (modified UTF-7 names decoded by IMAPClient, nested ones kept, special-use folders mapped by their
SPECIAL-USE flag or their usual names to the target's Sent/Drafts/Trash/Junk/Archive), flags and internal dates.

Identity: a message is (Message-ID, Date, size), or (hash of its header block, size) when it has no Message-ID;
a folder's messages are a multiset of identities, so two genuinely identical messages stay two and a message
already on the target is never appended again. That is what makes a run resumable after kill -9 with no
duplicate and no loss: whatever was appended before the kill is found on the target by the next run. imapsync
keys on Message-Id + Received and is known to duplicate between some server pairs (anchors §3.2); sizes alone are
not trusted either — the verification counts identities.

Incremental: FolderState keeps each folder's UIDVALIDITY, highest UID done and message count; a folder whose
UIDVALIDITY, UIDNEXT and counts have not moved since is skipped without a fetch, so the daily pre-sync costs one
STATUS per folder. A changed UIDVALIDITY means the old server renumbered: the folder is compared in full again
(identities, not UIDs, decide what is copied). Only identities and counters reach the platform's database; the
messages go from one server to the other through memory.

Flags and INTERNALDATE are part of what is verified: each old message is paired with its copy by identity and
their flags (\\Recent aside) and INTERNALDATE (to the second) compared. A later run carries flags changed on the old
server since the copy (read on the old side, marked read, flagged, a keyword added) to the copy, old side winning
as imapsync's does; `sync_flags: false` turns that off for a run after people began working on the new server,
and the differences are then reported, not counted against the verification. An INTERNALDATE cannot be changed
through IMAP: a copy whose date differs fails the verification, naming the message.

Bytes (mail.transfer): bulk FETCH answers are read off the socket; the platform's own Dovecot is written as a
delivery agent writes a Maildir (tmp/ → syncfs → cur/), any other target through IMAP APPEND/MULTIAPPEND.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import queue
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from django.conf import settings
from django.db import connection
from django.utils import timezone
from imapclient.exceptions import IMAPClientError

from . import transfer
from .models import FolderState

SPECIAL = {b"\\Sent": "Sent", b"\\Drafts": "Drafts", b"\\Trash": "Trash", b"\\Junk": "Junk", b"\\Archive": "Archive"}
# Names old servers (Outlook/Exchange, Zimbra, MDaemon, Vietnamese webmails) give special folders without flags.
SPECIAL_NAMES = {
    "sent": "Sent", "sent items": "Sent", "sent messages": "Sent", "sent mail": "Sent", "thu da gui": "Sent",
    "da gui": "Sent", "drafts": "Drafts", "draft": "Drafts", "thu nhap": "Drafts", "ban nhap": "Drafts",
    "trash": "Trash", "deleted items": "Trash", "deleted messages": "Trash", "thung rac": "Trash",
    "thu da xoa": "Trash", "junk": "Junk", "junk e-mail": "Junk", "junk email": "Junk", "spam": "Junk",
    "thu rac": "Junk", "archive": "Archive", "archives": "Archive", "luu tru": "Archive",
}
FETCH_IDENTITY = ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)]"]
BATCH = 1000                # identities fetched per command
CHUNK = 100                 # messages fetched and appended per command …
CHUNK_BYTES = 8 * 1024 * 1024   # … and at most this many bytes (a large attachment goes alone)
FETCH_BODY = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"]
FETCH_CATALOGUE = ["FLAGS", "INTERNALDATE", *FETCH_IDENTITY]
STORE_BATCH = 500           # UIDs per STORE when flags are carried over (a command line stays short)


# ---------------------------------------------------------------- plan


@dataclass
class Job:
    old: str
    new: str
    password: str = ""

    @property
    def source_key(self) -> str:
        return self.old.lower()


@dataclass
class Plan:
    source: dict[str, Any]
    target: dict[str, Any]
    jobs: list[Job]
    parallel: int = 4
    max_messages_per_second: float = 0
    max_size: int = 0
    report_dir: Path | None = None
    sync_flags: bool = True       # flags changed on the old server after the copy follow it (old side wins)

    def find(self, name: str) -> Job | None:
        name = name.strip().lower()
        return next((j for j in self.jobs if name in {j.new.lower(), j.old.lower()}), None)


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not data.get("mailboxes"):
        raise ValueError("kế hoạch cần “mailboxes” / the plan needs a mailboxes list")
    return plan_from_dict(data, base_dir=path.parent)


def plan_from_dict(data: dict, base_dir: Path | None = None) -> Plan:
    jobs = []
    for number, row in enumerate(data["mailboxes"], start=1):
        if not row.get("old") or not row.get("new"):
            raise ValueError(f"mailboxes[{number}]: cần “old” và “new” / needs old and new")
        jobs.append(Job(old=str(row["old"]), new=str(row["new"]).lower(), password=str(row.get("password") or "")))
    report_dir = data.get("report_dir")
    if report_dir and base_dir and not Path(report_dir).is_absolute():
        report_dir = Path(base_dir) / report_dir
    return Plan(source=data.get("source") or {}, target=data.get("target") or {}, jobs=jobs,
                parallel=max(1, int(data.get("parallel", 4))),
                max_messages_per_second=float(data.get("max_messages_per_second", 0) or 0),
                max_size=int(data.get("max_size", 0) or 0), report_dir=Path(report_dir) if report_dir else None,
                sync_flags=_yes(data.get("sync_flags", True), "sync_flags"))


def _yes(value, name: str) -> bool:
    """A plan's yes/no: YAML's booleans, or the words people write in a hand-made plan."""
    if isinstance(value, str):
        if value.strip().lower() not in {"true", "false", "yes", "no", "on", "off", "1", "0"}:
            raise ValueError(f"{name}: “{value}” không phải có/không / is not a yes/no value")
        return value.strip().lower() in {"true", "yes", "on", "1"}
    return bool(value)


class ServerError(Exception):
    """An old or new server that cannot be reached or refuses the login: the report names which, where and who."""


def _connect(conf: dict, user: str, password: str = "", side: str = "old"):
    from imapclient import IMAPClient

    where = f"{conf.get('host', '127.0.0.1')}:{conf.get('port', 143)}"
    vi, en = ("cũ", "old") if side == "old" else ("mới", "new")
    try:
        client = IMAPClient(conf.get("host", "127.0.0.1"), port=int(conf.get("port", 143)),
                            ssl=bool(conf.get("ssl")), timeout=int(conf.get("timeout", 60)))
    except OSError as exc:
        raise ServerError(f"không kết nối được máy chủ {vi} {where} / cannot reach the {en} server {where}: "
                          f"{exc.strerror or exc}") from exc
    try:
        if password:
            client.login(user, password)
        elif conf.get("master_user"):
            client.login(f"{user}{conf.get('master_separator', '*')}{conf['master_user']}", conf["master_password"])
        else:
            raise ValueError(f"{user}: không có mật khẩu hay tài khoản quản trị / no password and no master user")
    except IMAPClientError as exc:
        client.shutdown()
        how = "its own password" if password else f"master user {conf.get('master_user')}"
        raise ServerError(f"máy chủ {vi} {where} từ chối đăng nhập {user} / the {en} server {where} refused the "
                          f"login of {user} ({how}): {exc}") from exc
    return client


def _connect_both(plan: Plan, job: Job):
    """The old mailbox and the new one, logged in; neither left open when the other fails."""
    src = _connect(plan.source, job.old, job.password)
    try:
        return src, _connect(_target_conf(plan), job.new, side="new")
    except BaseException:
        src.shutdown()
        raise


def _target_conf(plan: Plan) -> dict:
    conf = dict(plan.target)
    if not conf.get("port"):
        from .servers import MASTER_USER, Layout

        layout = Layout.from_settings()
        conf.update(host="127.0.0.1", port=layout.imap_port, master_user=MASTER_USER,
                    master_password=layout.secret("master"))
    return conf


# ---------------------------------------------------------------- identity


_WANTED = frozenset((b"message-id", b"date", b"from", b"to", b"cc", b"subject"))


def _field_values(block: bytes) -> dict[bytes, list[bytes]]:
    """{lower-case name: [unfolded values]} of a header block (CRLF or bare LF)."""
    values: dict[bytes, list[bytes]] = {}
    current = None
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current[-1] += b" " + line.strip()
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            current = None
            continue
        current = values.setdefault(name.strip().lower(), [])
        current.append(value.strip())
    return values


def identity(header_bytes: bytes, size: int) -> tuple:
    """(Message-ID, Date, size), or (hash of the header block, size) when there is no Message-ID. The block is
    what BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)] returns, or `header_fields` of a whole message."""
    values = _field_values(header_bytes)
    message_id = (values.get(b"message-id") or [b""])[0]
    if message_id:
        date = b" ".join((values.get(b"date") or [b""])[0].split())
        return ("mid", message_id.decode("utf-8", "backslashreplace"), date.decode("utf-8", "backslashreplace"),
                size)
    # No Message-ID: the header block itself (unfolded, white space collapsed) and the size.
    block = b" ".join(header_bytes.split())
    return ("hdr", hashlib.sha256(block).hexdigest(), size)


def header_fields(raw: bytes) -> bytes:
    """The lines BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)] gives, taken from a whole message (as
    the server does: matching fields in their order, continuation lines kept), so a message fetched whole for
    copying has the identity a header fetch of it gives on either server."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[:end]
    out, keep = [], False
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            if keep:
                out.append(line)
            continue
        name, colon, _ = line.partition(b":")
        keep = bool(colon) and name.strip().lower() in _WANTED
        if keep:
            out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n" if out else b"\r\n"


class Meta(NamedTuple):
    """What the verification compares besides a message's identity."""
    flags: frozenset       # lower-cased: IMAP's flag names compare without case; \\Recent belongs to a session
    store: tuple           # the same flags as the server spelled them, for a STORE that carries them over
    date: int | None       # INTERNALDATE, seconds since the epoch


def meta(flags, date) -> Meta:
    kept = tuple(f for f in flags or () if _text(f).lower() != "\\recent")
    return Meta(flags=frozenset(_text(f).lower() for f in kept), store=kept,
                date=int(date.timestamp()) if date is not None else None)


def _catalogue(client, uids: list[int] | None = None, *, with_meta: bool = True
               ) -> dict[int, tuple[tuple, Meta | None]]:
    """{uid: (identity, Meta)} of the selected folder (every message, or the given UIDs), headers only; the Meta
    is None when only identities are asked for (a cheaper fetch: no flags, no dates)."""
    try:
        fetched = transfer.fetch(client, uids, transfer.FETCH_CATALOGUE if with_meta else transfer.FETCH_IDENTITY)
    except transfer.Unparsed:
        # The same through IMAPClient's parser, for a server whose answer transfer.fetch does not take apart.
        uids = client.search(["ALL"]) if uids is None else uids
        fetched = {}
        for start in range(0, len(uids), BATCH):
            fetched.update(client.fetch(uids[start:start + BATCH], FETCH_CATALOGUE if with_meta else FETCH_IDENTITY))
    # The one section asked for, whatever spelling of its name the server echoes; NIL for an empty one.
    return {uid: (identity(next((v for k, v in data.items() if k.startswith(b"BODY[")), None) or b"",
                           int(data[b"RFC822.SIZE"])),
                  meta(data.get(b"FLAGS"), data.get(b"INTERNALDATE")) if with_meta else None)
            for uid, data in fetched.items()}


def _identities(client, uids: list[int] | None = None) -> dict[int, tuple]:
    """{uid: identity} of the selected folder (every message, or the given UIDs)."""
    return {uid: ident for uid, (ident, _) in _catalogue(client, uids, with_meta=False).items()}


def _split(catalogue: dict[int, tuple[tuple, Meta]]) -> tuple[dict[int, tuple], dict[int, Meta]]:
    """A catalogue as {uid: identity} and {uid: Meta}."""
    return ({uid: ident for uid, (ident, _) in catalogue.items()},
            {uid: found for uid, (_, found) in catalogue.items()})


def _sizes(client) -> dict[int, int]:
    """{uid: RFC822.SIZE} of the selected folder (cheap: servers keep sizes in their index)."""
    try:
        return {uid: data[b"RFC822.SIZE"] for uid, data in transfer.fetch(client, None, transfer.FETCH_SIZE).items()}
    except transfer.Unparsed:
        pass
    uids, out = client.search(["ALL"]), {}
    for start in range(0, len(uids), BATCH * 5):
        chunk = uids[start:start + BATCH * 5]
        out.update((uid, int(data[b"RFC822.SIZE"])) for uid, data in client.fetch(chunk, ["RFC822.SIZE"]).items())
    return out


# ---------------------------------------------------------------- folders


def _fold_name(name: str) -> str:
    from hopnhat.core.text import fold

    return fold(name)


def map_folder(name: str, flags: tuple, delimiter: str, target_delimiter: str = "/") -> str:
    """The target folder for a source folder: INBOX, a special-use folder, or the same path with the target's
    separator."""
    if name.upper() == "INBOX":
        return "INBOX"
    for flag in flags:
        if flag in SPECIAL:
            return SPECIAL[flag]
    parts = name.split(delimiter) if delimiter else [name]
    if len(parts) == 1 and (special := SPECIAL_NAMES.get(_fold_name(name).replace("  ", " "))):
        return special
    if parts[0].upper() == "INBOX" and len(parts) > 1:   # Courier/Cyrus keep everything under INBOX.
        parts = parts[1:]
    return target_delimiter.join(p.replace(target_delimiter, "-") for p in parts)


def _source_folders(client) -> list[tuple[str, tuple, str]]:
    out = []
    for flags, delimiter, name in client.list_folders():
        if b"\\Noselect" in flags or b"\\NonExistent" in flags:
            continue
        delim = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "")
        out.append((name, tuple(flags), delim))
    return out


# ---------------------------------------------------------------- progress


class Progress:
    """Messages copied across all mailboxes, with rate and ETA, written to a stream at most once a second."""

    def __init__(self, stream=None):
        self.stream = stream
        self.lock = threading.Lock()
        self.planned = self.done = 0
        self.planned_bytes = self.bytes = 0
        self.started = time.monotonic()
        self.last = 0.0

    def plan(self, count: int, size: int = 0):
        with self.lock:
            self.planned += count
            self.planned_bytes += size

    def advance(self, size: int):
        self.advance_many(1, size)

    def advance_many(self, count: int, size: int):
        with self.lock:
            self.done += count
            self.bytes += size
            now = time.monotonic()
            if self.stream is not None and now - self.last >= 1:
                self.last = now
                self.stream.write(self.line() + "\n")

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = max(self.planned - self.done, 0)
        eta = left / rate if rate else 0
        return (f"{self.done}/{self.planned} thư / messages, {rate:.1f} thư/giây / msg/s, "
                f"{self.bytes / elapsed / 1e6:.2f} MB/s, còn / ETA {eta:.0f} s")

    def as_dict(self) -> dict:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return {"copied": self.done, "planned": self.planned, "seconds": round(elapsed, 3),
                "messages_per_second": round(self.done / elapsed, 2),
                "mb_per_second": round(self.bytes / elapsed / 1e6, 3)}


class _QueueProgress:
    """A worker process's side of Progress: counts go to the parent, which prints rate and ETA for the run."""

    def __init__(self, channel):
        self.channel = channel

    def plan(self, count: int, size: int = 0):
        self.channel.put(("plan", count, size))

    def advance(self, size: int):
        self.advance_many(1, size)

    def advance_many(self, count: int, size: int):
        self.channel.put(("done", count, size))


# ---------------------------------------------------------------- one mailbox


@dataclass
class FolderResult:
    folder: str
    target: str
    uidvalidity: int = 0
    source_messages: int = 0
    copied: int = 0
    already_there: int = 0
    skipped: list[dict] = field(default_factory=list)
    unchanged: bool = False
    source_ids: dict[int, tuple] = field(default_factory=dict)   # this run's view of the old folder
    source_meta: dict[int, Meta] = field(default_factory=dict)   # … and of its flags and dates
    from_bodies: bool = False
    messages: list[dict] = field(default_factory=list)   # one row per message: copied / already_there / skipped
    written_to: str = ""     # "maildir" (the platform's own Dovecot, written directly) or "imap" (APPEND)
    by_rule: list[tuple] = field(default_factory=list)   # identities left out by the plan (max_size) on purpose

    def row(self, uid: int, outcome: str, reason: str = "") -> None:
        ident = self.source_ids.get(uid)
        label = "" if ident is None else _label(ident)
        row = {"uid": uid, "id": label, "size": ident[-1] if ident else None, "outcome": outcome}
        if reason:
            row["reason"] = reason
            self.skipped.append({"uid": uid, "reason": reason})
        self.messages.append(row)


def _state_key(plan: Plan, job: Job) -> str:
    return f"{plan.source.get('host', '127.0.0.1')}:{plan.source.get('port', 143)}/{job.source_key}"


def _append_flags(flags) -> list:
    return [f for f in flags if f not in (b"\\Recent", "\\Recent")]


def _append(dst, target: str, batch: list[tuple[int, dict]], result: FolderResult, progress: Progress,
            pause: float) -> None:
    """MULTIAPPEND (RFC 3502) when the target has it and nothing throttles: one command, all or nothing, for the
    chunk; otherwise, or when the target refuses the chunk, one APPEND per message so each refusal names its
    message."""
    if not batch:
        return
    if not pause and len(batch) > 1 and b"MULTIAPPEND" in dst.capabilities():
        try:
            dst.multiappend(target, [item for _, item in batch])
        except Exception:  # noqa: BLE001, S110 — nothing of the chunk was stored: retried one by one below
            pass
        else:
            result.copied += len(batch)
            for uid, _ in batch:
                result.row(uid, "copied")
            progress.advance_many(len(batch), sum(len(item["msg"]) for _, item in batch))
            return
    for uid, item in batch:
        try:
            dst.append(target, item["msg"], flags=item["flags"], msg_time=item["date"])
        except Exception as exc:  # noqa: BLE001 — the target refused this one (quota, size): say why
            result.row(uid, "skipped", f"máy chủ mới từ chối / target refused: {exc}")
            continue
        result.copied += 1
        result.row(uid, "copied")
        progress.advance_many(1, len(item["msg"]))
        if pause:
            time.sleep(pause)


def _chunks(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    """UIDs in fetch/append chunks of at most CHUNK messages and CHUNK_BYTES (one large attachment, one chunk)."""
    out, current, total = [], [], 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if current and (len(current) >= CHUNK or total + size > CHUNK_BYTES):
            out.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        out.append(current)
    return out


def _fetch_chunk(src, chunk: list[int]) -> dict:
    """Whole messages of one chunk: off the socket (transfer.fetch_bodies), or through IMAPClient when the server
    answered in a form that reader does not take apart."""
    try:
        return transfer.fetch(src, chunk, transfer.FETCH_BODY)
    except transfer.Unparsed:
        return src.fetch(chunk, FETCH_BODY)


def _maildir_folder(plan: Plan, job: Job, target: str) -> transfer.MaildirFolder | None:
    """The new folder's Maildir when the plan's target is the platform's own Dovecot and this process may write
    it (`target.maildir`: its mail_location, %d/%n; implied for the platform's own Dovecot; `target.write: imap`
    turns it off); otherwise None and messages go through IMAP APPEND."""
    conf = plan.target
    if str(conf.get("write", "")).lower() == "imap":
        return None
    template = conf.get("maildir")
    if not template and not conf.get("port"):
        from .servers import Layout

        template = str(Layout.from_settings().root / "mail" / "%d" / "%n")
    if not template:
        return None
    return transfer.MaildirFolder.open(transfer.folder_directory(transfer.mailbox_root(template, job.new), target))


def _store(dst, maildir, target: str, batch: list[tuple[int, dict]], result: FolderResult, progress: Progress,
           pause: float) -> None:
    """A chunk onto the new server: into its Maildir when there is one (messages with keywords excepted), the
    rest through IMAP."""
    if maildir is None:
        return _append(dst, target, batch, result, progress, pause)
    direct, through_imap = [], []
    for uid, item in batch:
        letters = transfer.maildir_flags(item["flags"])
        (through_imap if letters is None else direct).append((uid, item, letters))
    for uid, item, letters in direct:
        maildir.add(letters, item["msg"], _timestamp(item["date"]))
        result.copied += 1
        result.row(uid, "copied")
        if pause:                       # a paced run shows each message on the target as it goes
            maildir.commit()
            progress.advance_many(1, len(item["msg"]))
            time.sleep(pause)
    if not pause:
        progress.advance_many(len(direct), sum(len(item["msg"]) for _, item, _ in direct))
    _append(dst, target, [(uid, item) for uid, item, _ in through_imap], result, progress, pause)


def _target_count(dst, target: str) -> int:
    """Messages in a folder of the new server, counted by SELECT: Dovecot then looks at the Maildir itself and
    counts messages written there directly (by this run, or by a run killed before Dovecot saw them), where a
    STATUS may answer from its index alone and miss them — which would make a resumed run copy them again."""
    return int(dst.select_folder(target, readonly=True)[b"EXISTS"])


def _timestamp(value) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()    # IMAPClient's INTERNALDATE: local time without tzinfo, or aware
    return time.time()


class _Prefetch:
    """Fetch chunk n+1 from the old server while chunk n is appended to the new one (one reader thread per folder,
    which alone uses the source connection until it is done)."""

    def __init__(self, src, chunks: list[list[int]]):
        self.src, self.chunks = src, chunks
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for chunk in self.chunks:
                if self.stop.is_set():
                    return
                self._put((chunk, _fetch_chunk(self.src, chunk)))
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, which raises it
            self._put(exc)
            return
        self._put(None)

    def _put(self, item):
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def __iter__(self):
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.stop.set()
            self.thread.join()


def migrate_mailbox(plan: Plan, job: Job, progress: Progress | None = None) -> dict:
    """Copy what is missing of one mailbox, folder by folder, then verify it. Safe to run again at any time.

    A folder whose target is empty (the first run) is copied without an identity pass: the messages are fetched
    whole in UID order and their identities taken from the bytes fetched. A folder with messages on the target
    (a later run, a run after a kill) is compared identity by identity first and only what is missing is copied.
    """
    progress = progress or Progress()
    started = time.monotonic()
    results: list[FolderResult] = []
    source_key = _state_key(plan, job)
    pause = 1 / plan.max_messages_per_second if plan.max_messages_per_second else 0
    src, dst = _connect_both(plan, job)
    try:
        target_existing = {name for _, _, name in dst.list_folders()}
        states: list[tuple[FolderState, str]] = []
        last_maildir = None
        for name, flags, delimiter in _source_folders(src):
            target = map_folder(name, flags, delimiter)
            result = FolderResult(folder=name, target=target)
            results.append(result)
            if target not in target_existing:
                dst.create_folder(target)
                dst.subscribe_folder(target)
                target_existing.add(target)
            status = src.folder_status(name, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
            uidvalidity, uidnext = int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"])
            count = int(status[b"MESSAGES"])
            result.uidvalidity, result.source_messages = uidvalidity, count
            state, _ = FolderState.objects.get_or_create(
                source=source_key, folder=name, defaults={"target_address": job.new})
            target_count = _target_count(dst, target)
            states.append((state, target))
            if (state.uidvalidity == uidvalidity and state.last_uid == uidnext - 1 and state.messages == count
                    and state.target_messages == target_count):
                result.unchanged = True
                result.already_there = count
                continue
            src.select_folder(name, readonly=True)
            dst.select_folder(target)
            sizes = _sizes(src) if count else {}
            if target_count == 0:
                result.from_bodies = True
                todo = sorted(sizes)
            else:
                result.source_ids, result.source_meta = _split(_catalogue(src, sorted(sizes)))
                on_target = Counter(_identities(dst).values())
                todo = []
                for uid in sorted(result.source_ids):
                    ident = result.source_ids[uid]
                    if on_target[ident] > 0:
                        on_target[ident] -= 1
                        result.already_there += 1
                        result.row(uid, "already_there")
                    else:
                        todo.append(uid)
            progress.plan(len(todo), sum(sizes.get(uid, 0) for uid in todo))
            copied_before = state.copied
            maildir = _maildir_folder(plan, job, target) if todo else None
            result.written_to = "maildir" if maildir else "imap"
            try:
                for chunk, fetched in _Prefetch(src, _chunks(todo, sizes)):
                    batch = []
                    for uid in chunk:
                        data = fetched.get(uid)
                        if data is None:
                            result.row(uid, "skipped", "thư đã bị xóa trên máy chủ cũ trong lúc chuyển / expunged on "
                                                       "the old server meanwhile")
                            continue
                        body = data[b"BODY[]"]
                        size = int(data.get(b"RFC822.SIZE") or len(body))
                        if result.from_bodies:
                            result.source_ids[uid] = identity(header_fields(body), size)
                            result.source_meta[uid] = meta(data.get(b"FLAGS"), data.get(b"INTERNALDATE"))
                        if plan.max_size and len(body) > plan.max_size:
                            result.by_rule.append(result.source_ids.get(uid) or identity(header_fields(body), size))
                            result.row(uid, "skipped", f"quá cỡ {len(body)} > {plan.max_size} byte / larger than "
                                                       f"max_size: {len(body)} > {plan.max_size} bytes")
                            continue
                        batch.append((uid, {"msg": body, "flags": _append_flags(data[b"FLAGS"]),
                                            "date": data[b"INTERNALDATE"]}))
                    _store(dst, maildir, target, batch, result, progress, pause)
                    # State once per chunk: a kill loses at most the chunk's counters, never a message (what was
                    # stored is found on the target by the next run's identity compare) and never makes a duplicate.
                    FolderState.objects.filter(pk=state.pk).update(
                        copied=copied_before + result.copied, updated_at=timezone.now())
                if maildir is not None:
                    maildir.flush()    # in cur/ before the state says the folder is done
                    last_maildir = maildir
            except BaseException:
                if maildir is not None:
                    maildir.discard()   # not yet in cur/: the next run copies it
                raise
            state.refresh_from_db()
            state.uidvalidity, state.last_uid, state.messages = uidvalidity, uidnext - 1, count
            state.already_there, state.skipped = result.already_there, len(result.skipped)
            state.save()
        # The new folders' counts once, after the whole run: two old folders may share one new folder ("Sent" and
        # "Thư đã gửi" → Sent), and a count taken after the first would make the next run find it "changed". A run
        # killed before this point leaves an older count, so the next one compares identities (slower, not wrong).
        final: dict[str, int] = {}
        for state, target in states:
            if target not in final:
                final[target] = _target_count(dst, target)
            if state.target_messages != final[target]:
                FolderState.objects.filter(pk=state.pk).update(target_messages=final[target])
        if last_maildir is not None:
            last_maildir.sync_renames()   # one syncfs: the mailbox as verified below is the mailbox on disk
        verification = _verify(src, dst, results, sync_flags=plan.sync_flags, carry_flags=plan.sync_flags)
    finally:
        for client in (src, dst):
            try:
                client.logout()
            except Exception:  # noqa: BLE001, S110 — a dropped connection at the end changes nothing
                pass
    folders = []
    for r in results:
        r.messages.sort(key=lambda row: row["uid"])
        row = {k: v for k, v in r.__dict__.items() if k not in ("source_ids", "source_meta", "from_bodies", "by_rule")}
        folders.append(row)
    return {"old": job.old, "new": job.new, "seconds": round(time.monotonic() - started, 3),
            "copied": sum(r.copied for r in results), "already_there": sum(r.already_there for r in results),
            "skipped": sum(len(r.skipped) for r in results), "folders": folders, "verification": verification}


def _verify(src, dst, results: list[FolderResult], *, sync_flags: bool = True, carry_flags: bool = False,
            existing: set[str] | None = None) -> dict:
    """Every identified message of each old folder is on the new one (multiset of identities, not sizes), with the
    same flags and INTERNALDATE.

    The old side is what this run read of it (every message's identity, flags and date, from the header pass or
    from the bytes copied; read again here for a folder the run skipped as unchanged); the new side is read back
    now (a new folder not in `existing`, when given, holds nothing). Each old message is paired with a copy of the
    same identity, in UID order on both sides (a true duplicate pair stays a pair). With carry_flags (a migration
    run), a copy whose flags differ is given the old message's flags before it is counted; with sync_flags false,
    differing flags are reported and not counted as a fault."""
    folders = []
    # Per new folder: what is on it, and what its old folders hold (two old folders may share one new folder).
    held_new: dict[str, Counter] = {}
    held_old: dict[str, Counter] = {}
    for result in results:
        if result.unchanged or not (result.from_bodies or result.source_ids):
            src.select_folder(result.folder, readonly=True)
            source_ids, source_meta = _split(_catalogue(src))
        else:
            source_ids, source_meta = result.source_ids, result.source_meta
        on_target = {}
        if existing is None or result.target in existing:
            dst.select_folder(result.target, readonly=not carry_flags)
            on_target = _catalogue(dst)
        source = Counter(source_ids.values())
        target = Counter(ident for ident, _ in on_target.values())
        held_new[result.target] = target
        held_old[result.target] = held_old.get(result.target, Counter()) + source
        # Left out on purpose by the plan (larger than max_size): reported as skipped with the reason, not missing.
        by_rule = Counter(result.by_rule) & (source - target)
        missing = source - target - by_rule
        row = {"folder": result.folder, "target": result.target, "source": sum(source.values()),
               "on_target": sum(target.values()), "missing": sum(missing.values()),
               "skipped_by_plan": sum(by_rule.values()),
               "missing_examples": [list(k)[:2] for k in list(missing)[:5]]}
        to_store, compared = _pair_copies(source_ids, source_meta, on_target)
        carried, refused = _carry_flags(dst, to_store) if carry_flags else (0, [])
        row.update(compared, flags_carried=carried, flags_refused=refused,
                   flags_differ=sum(len(uids) for uids in to_store.values()) - carried)
        folders.append(row)
    # Copies whose original is no longer on the old server (deleted there after a daily run), or mail that
    # arrived on the new server after the switch: reported, never deleted (imapsync deletes only when told to).
    for row in folders:
        new, old = held_new.pop(row["target"], None), held_old.get(row["target"])
        row["only_on_target"] = sum((new - old).values()) if new is not None else 0
    total = {key: sum(row[key] for row in folders) for key in (
        "source", "missing", "skipped_by_plan", "flags_carried", "flags_differ", "dates_differ", "only_on_target")}
    ok = total["missing"] == 0 and total["dates_differ"] == 0 and (total["flags_differ"] == 0 or not sync_flags)
    return {"ok": ok, "identified": total["source"], "missing_count": total["missing"], "folders": folders,
            "skipped_by_plan": total["skipped_by_plan"], "flags_carried": total["flags_carried"],
            "flags_differ": total["flags_differ"], "dates_differ": total["dates_differ"], "sync_flags": sync_flags,
            "only_on_target": total["only_on_target"],
            "message": _verify_message(total["source"], total["missing"], total["skipped_by_plan"],
                                       total["flags_carried"], total["flags_differ"], total["dates_differ"],
                                       sync_flags, total["only_on_target"])}


def _pair_copies(source_ids: dict[int, tuple], source_meta: dict[int, Meta], on_target: dict[int, tuple]
                 ) -> tuple[dict[tuple, list[int]], dict]:
    """Each old message with a copy of its identity (UID order on both sides), their flags and dates compared:
    {the old message's flags: the copies that must take them}, and the counts and examples for the report."""
    copies: dict[tuple, list[tuple[int, Meta]]] = {}
    for uid in sorted(on_target):
        ident, copy_meta = on_target[uid]
        copies.setdefault(ident, []).append((uid, copy_meta))
    to_store: dict[tuple, list[int]] = {}
    flag_examples, date_examples, dates_differ = [], [], 0
    for uid in sorted(source_ids):
        paired, old_meta = copies.get(source_ids[uid]), source_meta.get(uid)
        if not paired or old_meta is None:
            continue
        copy_uid, copy_meta = paired.pop(0)
        if old_meta.flags != copy_meta.flags:
            to_store.setdefault(old_meta.store, []).append(copy_uid)
            if len(flag_examples) < 5:
                flag_examples.append({"uid": uid, "id": _label(source_ids[uid]),
                                      "old": sorted(map(_text, old_meta.store)),
                                      "new": sorted(map(_text, copy_meta.store))})
        if old_meta.date is not None and copy_meta.date is not None and old_meta.date != copy_meta.date:
            dates_differ += 1
            if len(date_examples) < 5:
                date_examples.append({"uid": uid, "id": _label(source_ids[uid]), "old": _iso(old_meta.date),
                                      "new": _iso(copy_meta.date)})
    return to_store, {"flag_examples": flag_examples, "dates_differ": dates_differ, "date_examples": date_examples}


def _carry_flags(dst, to_store: dict[tuple, list[int]]) -> tuple[int, list[dict]]:
    """Give the copies their old message's flags on the selected new folder: (copies updated, refusals)."""
    carried, refused = 0, []
    for flags, uids in to_store.items():
        for start in range(0, len(uids), STORE_BATCH):
            part = uids[start:start + STORE_BATCH]
            try:
                dst.set_flags(part, list(flags), silent=True)
            except IMAPClientError as exc:
                # A flag the new server does not take: the copies keep theirs, the difference stays counted, and
                # the report says which flags and why.
                refused.append({"flags": [_text(f) for f in flags], "copies": len(part), "error": str(exc)})
                continue
            carried += len(part)
    return carried, refused


def _text(flag) -> str:
    return flag.decode("utf-8", "replace") if isinstance(flag, bytes) else str(flag)


def _label(ident: tuple) -> str:
    return ident[1] if ident[0] == "mid" else f"(không Message-ID) {ident[1][:16]}"


def _iso(stamp: int) -> str:
    """A date as the platform's people read it (Asia/Ho_Chi_Minh), with its offset."""
    from zoneinfo import ZoneInfo

    return datetime.datetime.fromtimestamp(stamp, ZoneInfo(settings.TIME_ZONE)).isoformat()


def _verify_message(identified: int, missing: int, by_plan: int, carried: int, flags: int, dates: int,
                    sync_flags: bool, only_new: int = 0) -> str:
    """One line, Vietnamese then English, of what the verification found."""
    # What is wrong first, then what holds.
    parts = []
    if missing:
        parts.append(f"Thiếu {missing} thư / {missing} messages missing")
    if dates:
        parts.append(f"{dates} thư có ngày nhận (INTERNALDATE) khác thư gốc / {dates} copies' INTERNALDATE differs "
                     f"from the original's")
    if flags:
        parts.append(f"{flags} thư có cờ khác máy chủ cũ / {flags} copies' flags differ from the old server"
                     + ("" if sync_flags else " (sync_flags: false — không tính là lỗi / not counted as a fault)"))
    if not missing:
        but = (f", trừ {by_plan} thư bỏ qua theo kế hoạch (max_size) / except {by_plan} left out by the plan "
               f"(max_size)" if by_plan else "")
        parts.append(f"Tất cả {identified} thư của hộp thư cũ đều có trên máy chủ mới / all {identified} "
                     f"identified messages of the old mailbox are on the new server{but}")
    if carried:
        parts.append(f"đã cập nhật cờ của {carried} thư theo máy chủ cũ / flags of {carried} copies updated from "
                     f"the old server")
    if only_new:
        parts.append(f"{only_new} thư chỉ có trên máy chủ mới (đã xoá trên máy chủ cũ sau khi chép, hoặc mới đến; "
                     f"giữ nguyên) / {only_new} messages only on the new server (deleted on the old one after the "
                     f"copy, or newly arrived; kept)")
    return "; ".join(parts)


def verify_job(plan: Plan, job: Job) -> dict:
    src, dst = _connect_both(plan, job)
    try:
        results = [FolderResult(folder=name, target=map_folder(name, flags, delimiter))
                   for name, flags, delimiter in _source_folders(src)]
        existing = {name for _, _, name in dst.list_folders()}
        return {"old": job.old, "new": job.new,
                **_verify(src, dst, results, sync_flags=plan.sync_flags, existing=existing)}
    finally:
        src.logout()
        dst.logout()


# ---------------------------------------------------------------- whole plan


_CHANNEL = None


def _worker_init(channel, parent: int) -> None:
    """A worker process dies with the command that started it (kill -9 of the command included), so a resumed run
    never races a worker left copying from the killed one."""
    global _CHANNEL
    _CHANNEL = channel
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # not Linux: the parent's own death is checked below only
        pass
    if os.getppid() != parent:
        os._exit(1)


def _failed(job: Job, exc: BaseException) -> dict:
    error = str(exc) if isinstance(exc, ServerError) else f"{type(exc).__name__}: {exc}"
    return {"old": job.old, "new": job.new, "error": error, "copied": 0,
            "already_there": 0, "skipped": 0, "folders": [],
            "verification": {"ok": False, "identified": 0, "missing_count": None, "folders": []}}


def _worker_job(plan: Plan, job: Job) -> dict:
    try:
        return migrate_mailbox(plan, job, _QueueProgress(_CHANNEL))
    except Exception as exc:  # noqa: BLE001 — one mailbox failing must not stop the others; it is reported
        return _failed(job, exc)
    finally:
        connection.close()


def _in_processes(plan: Plan, meter: Progress) -> list[dict]:
    """Mailboxes in `parallel` worker processes (the GIL would otherwise bind the parsing of every mailbox to one
    core); counts come back over a queue to the one progress line."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    context = multiprocessing.get_context("fork")
    channel = context.Queue()

    def drain():
        while (item := channel.get()) is not None:
            kind, count, size = item
            if kind == "plan":
                meter.plan(count, size)
            else:
                meter.advance_many(count, size)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    connections.close_all()   # a forked worker opens its own
    try:
        with ProcessPoolExecutor(max_workers=min(plan.parallel, len(plan.jobs)), mp_context=context,
                                 initializer=_worker_init, initargs=(channel, os.getpid())) as pool:
            futures = [pool.submit(_worker_job, plan, job) for job in plan.jobs]
            mailboxes = []
            for job, future in zip(plan.jobs, futures, strict=True):
                try:
                    mailboxes.append(future.result())
                except Exception as exc:  # noqa: BLE001 — a worker that died is that mailbox's error
                    mailboxes.append(_failed(job, exc))
    finally:
        channel.put(None)
        reader.join(10)
    return mailboxes


def run_plan(plan: Plan, *, report_dir=None, progress=None) -> dict:
    """Every mailbox of the plan, `parallel` at a time; a report in the engine's style, HTML + JSON."""
    meter = Progress(progress)
    started = timezone.now()
    if plan.parallel == 1 or len(plan.jobs) == 1:
        mailboxes = []
        for job in plan.jobs:
            try:
                mailboxes.append(migrate_mailbox(plan, job, meter))
            except Exception as exc:  # noqa: BLE001 — one mailbox failing must not stop the others; reported
                mailboxes.append(_failed(job, exc))
    else:
        mailboxes = _in_processes(plan, meter)
    report = {
        "started_at": started.isoformat(), "finished_at": timezone.now().isoformat(),
        "parallel": plan.parallel, "mailboxes": mailboxes,
        "totals": {"mailboxes": len(mailboxes), "copied": sum(m["copied"] for m in mailboxes),
                   "already_there": sum(m["already_there"] for m in mailboxes),
                   "skipped": sum(m["skipped"] for m in mailboxes),
                   "errors": sum(1 for m in mailboxes if m.get("error"))},
        "throughput": meter.as_dict(),
        "verified": all(m["verification"]["ok"] for m in mailboxes),
    }
    out_dir = Path(report_dir) if report_dir else plan.report_dir or default_report_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
    json_path, html_path = out_dir / f"migration-{stamp}.json", out_dir / f"migration-{stamp}.html"
    rows = sum(len(f.get("messages") or ()) for m in mailboxes for f in m["folders"])
    # Indented for a person to read while it is small; one line (C encoder, ten times faster) for a big run.
    json_path.write_text(json.dumps(report, ensure_ascii=False, default=str, **(
        {"indent": 2} if rows <= 5000 else {"separators": (",", ":")})), encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    report["report"] = {"json": str(json_path), "html": str(html_path)}
    return report


def default_report_dir() -> Path:
    """Where `mail migrate` writes its reports and the staff page reads them (HOPNHAT_MAIL["migration_reports"])."""
    configured = getattr(settings, "HOPNHAT_MAIL", {}).get("migration_reports")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "mail-migration"


def report_path(name: str, ext: str = "json") -> Path | None:
    """A saved report by its name (migration-<stamp>), never a path outside the report directory."""
    import re

    if ext not in ("json", "html") or not re.fullmatch(r"migration-\d{8}T\d{12}", name):
        return None
    path = default_report_dir() / f"{name}.{ext}"
    return path if path.is_file() else None


def load_report(name: str) -> dict | None:
    path = report_path(name)
    return json.loads(path.read_text(encoding="utf-8")) if path else None


def saved_reports(limit: int = 50) -> list[dict]:
    """The newest reports first: name, when, totals and whether every mailbox verified."""
    out = []
    for path in sorted(default_report_dir().glob("migration-*.json"), reverse=True)[:limit]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append({"name": path.stem, "started_at": datetime.datetime.fromisoformat(data["started_at"]),
                    "totals": data.get("totals", {}), "verified": data.get("verified")})
    return out


_OUTCOMES = {"copied": "Đã chép / copied", "already_there": "Đã có sẵn / already there"}


def _message_rows(messages: list[dict]) -> str:
    """One table row per message, joined in Python: the template language takes a second for 40,000 rows."""
    from django.utils.html import escape

    out = []
    for r in messages:
        outcome = _OUTCOMES.get(r["outcome"]) or f"<b>Bỏ qua / skipped</b>: {escape(r.get('reason', ''))}"
        out.append(f'<tr><td class="n">{r["uid"]}</td><td>{escape(r["id"])}</td>'
                   f'<td class="n">{"" if r["size"] is None else r["size"]}</td><td>{outcome}</td></tr>')
    return "\n".join(out)


def render_html(report: dict) -> str:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    shown = {**report, "mailboxes": [
        {**m, "folders": [{**f, "rows_html": mark_safe(_message_rows(f.get("messages") or []))}  # noqa: S308 — escaped above
                          for f in m["folders"]]} for m in report["mailboxes"]]}
    return render_to_string("mail/migration_report.html", {"report": shown})


def human_summary(report: dict) -> str:
    t = report["totals"]
    lines = [f"Hộp thư / mailboxes: {t['mailboxes']} — đã chép / copied {t['copied']}, đã có / already there "
             f"{t['already_there']}, bỏ qua / skipped {t['skipped']}, lỗi / errors {t['errors']}",
             f"Tốc độ / rate: {report['throughput']['messages_per_second']} thư/giây / msg/s, "
             f"{report['throughput']['mb_per_second']} MB/s"]
    for m in report["mailboxes"]:
        mark = "✓" if m["verification"]["ok"] else "✗"
        lines.append(f"  {mark} {m['old']} → {m['new']}: {m['copied']} chép / copied, {m['already_there']} đã có "
                     f"/ already there, {m['skipped']} bỏ qua / skipped {m.get('error', '')}")
    lines.append(f"Báo cáo / report: {report.get('report', {}).get('html', '')}")
    return "\n".join(lines)


def human_verify(result: dict) -> str:
    lines = [result["message"] if "message" in result else ""]
    for f in result["folders"]:
        line = f"  {f['folder']} → {f['target']}: {f['source']} / {f['on_target']}, thiếu / missing {f['missing']}"
        if f.get("flags_differ"):
            line += f", cờ khác / flags differ {f['flags_differ']}"
        if f.get("dates_differ"):
            line += f", ngày nhận khác / INTERNALDATE differs {f['dates_differ']}"
        if f.get("only_on_target"):
            line += f", chỉ có trên máy chủ mới / only on the new server {f['only_on_target']}"
        lines.append(line)
        for example in f.get("flag_examples", []) + f.get("date_examples", []):
            lines.append(f"      UID {example['uid']} {example['id']}: {example['old']} → {example['new']}")
    return "\n".join(lines)
