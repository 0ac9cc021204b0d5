"""Moving message bytes for the mailbox migration: reading whole messages from the old server, and writing them
into the platform's own Dovecot's Maildir.

Measured first (bench/mail_migrate.py, 40,000 messages of ~36 KB, a quiet two-core machine): going through
imaplib's response machinery costs 0.34 ms of Python per message on the reading side alone (0.03 ms for the same
bytes read straight off the socket), and the new Dovecot's IMAP APPEND 0.34 ms per message more, two thirds of it
in the kernel (one fsync per message). Dovecot's own `doveadm sync` pays neither: it writes the mailbox files
itself. So does this module, the way a delivery agent writes a Maildir: each message into `tmp/`, the chunk made
durable with one `syncfs`, then each file renamed into `cur/` with its flags in its name and its INTERNALDATE as
its modification time. Dovecot finds the new files at its next look at the folder (the verification's SELECT)
and gives them their UIDs. Only the platform's own Dovecot is written this way (the plan names its Maildir); any
other target, a folder whose directory is not where the layout says, a message with keywords (Dovecot keeps their
letters in a file of its own) and a directory this process cannot write go through IMAP APPEND as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import socket
import time
from pathlib import Path

from imapclient import imap_utf7
from imapclient.datetime_util import parse_to_datetime

FETCH_BODY = b"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
FETCH_SIZE = b"(UID RFC822.SIZE)"
FETCH_IDENTITY = b"(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)])"
FETCH_CATALOGUE = b"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)])"
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_FETCH = re.compile(rb"^\* \d+ FETCH \(", re.I)
_UID = re.compile(rb"\bUID (\d+)", re.I)
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)", re.I)
_DATE = re.compile(rb'\bINTERNALDATE "([^"]+)"', re.I)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.I)
_SECTION_LITERAL = re.compile(rb"(BODY\[[^\]]*\])(?:<\d+>)? $", re.I)     # "… BODY[] " before {n}
_SECTION_INLINE = re.compile(rb'(BODY\[[^\]]*\])(?:<\d+>)? (NIL|"(?:[^"\\]|\\.)*")', re.I)


class Unparsed(Exception):
    """The server answered in a form this reader does not take apart: the caller asks through IMAPClient."""


def _uid_set(uids: list[int]) -> bytes:
    """1,2,3,7,8 → 1:3,7:8"""
    out, start, prev = [], None, None
    for uid in sorted(uids):
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            out.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        out.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(out).encode()


def fetch(client, uids: list[int] | None, items: bytes) -> dict[int, dict]:
    """UID FETCH of the given UIDs (None: every message of the selected folder) on an IMAPClient connection, answered as
    IMAPClient's `fetch` answers — {uid: {b"FLAGS": (…), b"INTERNALDATE": datetime, b"RFC822.SIZE": int,
    b"BODY[…]": bytes}} for the items asked — but read off the connection's buffered socket with one regular
    expression per item: imaplib's per-line machinery and IMAPClient's byte-by-byte lexer cost ten times the
    reading itself (0.34 ms of Python per 36 KB message, 0.03 ms straight off the socket).

    A response this reader does not take apart (two literals, a body section missing) raises Unparsed once the
    command is answered, so the connection stays usable; untagged EXISTS/EXPUNGE/flag updates in between are
    skipped, as IMAP allows a client to."""
    if uids is None:
        uids = client.search(["ALL"])   # not "1:*", which some servers refuse in an empty folder
    if not uids:
        return {}
    imap = client._imap      # IMAPClient's imaplib connection: its tag counter and buffered socket reader
    tag = imap._new_tag()
    imap.tagged_commands.pop(tag, None)   # answered here, not through imaplib
    reader = imap.file
    imap.send(tag + b" UID FETCH " + _uid_set(uids) + b" " + items + b"\r\n")
    wanted = [key for key in (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE") if key in items]
    section = b"[" in items          # BODY[…] or BODY.PEEK[…]
    out: dict[int, dict] = {}
    problem = None
    while True:
        line = reader.readline()
        if not line:
            raise ConnectionError("máy chủ đóng kết nối / the server closed the connection")
        if line.startswith(tag + b" "):
            status = (line[len(tag) + 1:].split(None, 1) or [b""])[0].upper()
            if status != b"OK":
                raise ConnectionError(f"UID FETCH: {line.decode('utf-8', 'replace').strip()}")
            break
        parts, literals = [], []
        while match := _LITERAL.search(line):
            parts.append(line[:match.start()])
            literals.append(reader.read(int(match.group(1))))
            line = reader.readline()
            if not line:
                raise ConnectionError("máy chủ đóng kết nối / the server closed the connection")
        parts.append(line)
        if not _FETCH.match(parts[0]):
            continue                      # EXISTS, EXPUNGE, RECENT, an OK with a response code …
        text = b"".join(parts)
        uid = _UID.search(text)
        if uid is None:
            continue                      # an unsolicited flag update without its UID
        row: dict = {}
        for key, regex in ((b"FLAGS", _FLAGS), (b"INTERNALDATE", _DATE), (b"RFC822.SIZE", _SIZE)):
            if key in wanted and (found := regex.search(text)):
                value = found.group(1)
                row[key] = (tuple(value.split()) if key == b"FLAGS" else parse_to_datetime(value)
                            if key == b"INTERNALDATE" else int(value))
        if section:
            if len(literals) == 1 and (named := _SECTION_LITERAL.search(parts[0])):
                row[named.group(1).upper()] = literals[0]
            elif len(literals) > 1:
                problem = problem or f"{text[:120]!r}: {len(literals)} literals"
                continue
            elif inline := _SECTION_INLINE.search(text):
                value = inline.group(2)
                row[inline.group(1).upper()] = b"" if value.upper() == b"NIL" else value[1:-1]
            else:
                continue                  # no section: an unsolicited flag update, not an answer
        elif b"RFC822.SIZE" not in row:
            continue                      # likewise
        if missing := [key.decode() for key in wanted if key not in row]:
            problem = problem or f"{text[:120]!r}: {', '.join(missing)} missing"
            continue
        out[int(uid.group(1))] = row
    if problem:
        raise Unparsed(problem)
    return out


# ---------------------------------------------------------------- Maildir


_FLAG_LETTERS = {b"\\draft": "D", b"\\flagged": "F", b"\\answered": "R", b"\\seen": "S", b"\\deleted": "T"}


def maildir_flags(flags) -> str | None:
    """The Maildir info letters of IMAP flags (sorted, as Maildir wants), or None when a keyword needs Dovecot's
    own keyword file (such a message goes through IMAP APPEND)."""
    letters = []
    for flag in flags:
        raw = flag.encode() if isinstance(flag, str) else flag
        low = raw.lower()
        if low == b"\\recent":
            continue
        letter = _FLAG_LETTERS.get(low)
        if letter is None:
            return None
        letters.append(letter)
    return "".join(sorted(set(letters)))


def folder_directory(mailbox_root: Path, folder: str, separator: str = "/") -> Path:
    """Dovecot's Maildir++ directory of a folder: INBOX is the root, "Công văn/Đến" is `.C&APQ-ng v&AQM-n.&ARAevw-n`
    (modified UTF-7, the hierarchy joined with dots)."""
    if folder.upper() == "INBOX":
        return mailbox_root
    return mailbox_root / ("." + ".".join(imap_utf7.encode(part).decode("ascii") for part in folder.split(separator)))


def mailbox_root(template: str, address: str) -> Path:
    """The `maildir:` location of a mailbox: %u the address, %d its domain, %n its local part."""
    local, _, domain = address.partition("@")
    return Path(template.replace("%u", address).replace("%d", domain).replace("%n", local))


_libc = None


def _syncfs(fd: int) -> None:
    """Make everything written on the filesystem of `fd` durable with one call (syncfs(2)); os.sync elsewhere."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.syncfs  # noqa: B018 — present on Linux
        except (OSError, AttributeError):
            _libc = False
    if _libc and _libc.syncfs(fd) == 0:
        return
    os.sync()


class MaildirFolder:
    """One folder of the new mailbox, written as a delivery agent writes a Maildir.

    Messages go into tmp/ as they come; every COMMIT_BYTES or COMMIT_MESSAGES (and at the folder's end) one
    syncfs makes them durable and they are renamed into cur/, where Dovecot finds them. A kill leaves whole
    messages in cur/ or stray files in tmp/ (Dovecot removes those after 36 hours), never half a message where the
    server reads; what stayed in tmp/ is missing on the target, and the next run copies it. One syncfs per 32 MB
    instead of one fsync per message is where the time goes (measured: bench/mail_migrate.py)."""

    COMMIT_BYTES = 32 * 1024 * 1024
    COMMIT_MESSAGES = 1000

    def __init__(self, directory: Path):
        self.directory = directory
        stat = directory.stat()
        self.owner = (stat.st_uid, stat.st_gid) if os.geteuid() == 0 and stat.st_uid != 0 else None
        self.host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
        self.counter = 0
        self.tmp, self.cur = str(directory / "tmp"), str(directory / "cur")
        self.pending: list[tuple[str, str]] = []
        self.pending_bytes = 0

    @classmethod
    def open(cls, directory: Path) -> MaildirFolder | None:
        """The folder when its tmp/ and cur/ exist and this process may write them; otherwise None."""
        if all((directory / sub).is_dir() and os.access(directory / sub, os.W_OK | os.X_OK) for sub in ("tmp", "cur")):
            return cls(directory)
        return None

    def add(self, letters: str, body: bytes, stamp: float) -> None:
        """One message into tmp/ (its flags' letters, its bytes, its INTERNALDATE as a timestamp)."""
        self.counter += 1
        now = time.time()
        base = f"{int(now)}.M{int(now * 1e6) % 1000000}P{os.getpid()}Q{self.counter}.{self.host}"
        # W= is the size with CRLF line ends (RFC822.SIZE), which Dovecot then need not compute.
        virtual = len(body) + body.count(b"\n") - body.count(b"\r\n")
        name = f"{base},S={len(body)},W={virtual}"
        tmp = os.path.join(self.tmp, name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.pending.append((tmp, f"{name}:2,{letters}"))
        try:
            view, written = memoryview(body), 0
            while written < len(body):
                written += os.write(fd, view[written:])
            if self.owner:
                os.fchown(fd, *self.owner)
            os.utime(fd, (stamp, stamp))
        finally:
            os.close(fd)
        self.pending_bytes += len(body)
        if self.pending_bytes >= self.COMMIT_BYTES or len(self.pending) >= self.COMMIT_MESSAGES:
            self.commit()

    def commit(self) -> None:
        """What is in tmp/ made durable, then renamed into cur/."""
        if not self.pending:
            return
        self._sync("tmp")
        for tmp, final in self.pending:
            os.rename(tmp, os.path.join(self.cur, final))
        self.pending, self.pending_bytes = [], 0

    def flush(self) -> None:
        """Everything in cur/: the folder's end. The renames themselves need no sync of their own: one lost in a
        crash leaves its file in tmp/, the folder's count no longer matches its state, and the next run compares
        identities and copies it again (`sync_renames` once per mailbox makes the verified state durable)."""
        self.commit()

    def sync_renames(self) -> None:
        self._sync("cur")

    def discard(self) -> None:
        """After an error: what was not committed is removed from tmp/ (the next run copies it)."""
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self.pending, self.pending_bytes = [], 0

    def _sync(self, sub: str) -> None:
        fd = os.open(self.directory / sub, os.O_RDONLY)
        try:
            _syncfs(fd)
        finally:
            os.close(fd)
