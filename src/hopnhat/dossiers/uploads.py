"""Resumable uploads of a submission's papers over the tus 1.0.0 protocol (https://tus.io/protocols/resumable-upload,
core + creation + termination), so a paper cut off half-way on a phone's connection resumes where it stopped instead
of starting over, and the submission that uses it is still one dossier (its idempotency key, online.submit).

The browser side is the tus project's own client (tus-js-client, vendored under static/dossiers/vendor/); a form
without JavaScript posts its files in the multipart body as before. An upload is only bytes until the submission
form names it: nothing here makes a dossier.

    create(user, key=…, paper=…, name=…, length=…) -> UploadSession       (POST: Upload-Length, Upload-Metadata)
    append(user, upload_id, offset, stream) -> new offset                 (PATCH: Upload-Offset; 409 if it differs)
    collect(user, key, ids) -> [online.Upload]                             (the finished papers, for online.submit)
    discard(key)                                                           (after the dossier committed)

The bytes go to `<var>/uploads/<id>.part`; a write holds an exclusive lock on that file (one writer per upload, across
the server's processes), is flushed to disk, and only then is the offset recorded, so a request killed mid-write
leaves an offset that is never past the bytes on disk; the next PATCH overwrites anything after it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import online
from .models import UploadSession

VERSION = "1.0.0"
EXTENSIONS = "creation,termination"
MAX_PER_KEY = 40          # papers of one submission form (a supplement's too)
_PIECE = 64 * 1024


class UploadError(ValueError):
    """An upload request the server refuses; `status` is the HTTP answer, the message is for the citizen."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def folder() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def part_path(upload_id) -> Path:
    return folder() / f"{uuid.UUID(str(upload_id)).hex}.part"


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: "filename ZG9jLnBkZg==,paper VOG7nSBraGFp" (key, space, base64 value; comma-separated)."""
    out = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        name, _, value = pair.partition(" ")
        try:
            out[name] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (ValueError, UnicodeDecodeError) as exc:
            raise UploadError(f"Upload-Metadata “{name}”: không phải base64 / not base64") from exc
    return out


def create(user, *, key: str, paper: str, name: str, length: int) -> UploadSession:
    if not key or len(key) > 64:
        raise UploadError("thiếu mã lần nộp / missing submission key")
    suffix = Path(name or "").suffix.lower()
    if suffix not in online.ALLOWED_TYPES:
        raise UploadError(f"“{name}”: chỉ nhận {', '.join(sorted(online.ALLOWED_TYPES))} / only "
                          f"{', '.join(sorted(online.ALLOWED_TYPES))} files are accepted", 415)
    if length <= 0:
        raise UploadError(f"“{name}”: tệp rỗng / the file is empty")
    if length > online.MAX_BYTES:
        raise UploadError(f"“{name}”: lớn hơn {online.MAX_BYTES // 1024 // 1024} MB / larger than "
                          f"{online.MAX_BYTES // 1024 // 1024} MB", 413)
    if UploadSession.objects.filter(key=key).count() >= MAX_PER_KEY:
        raise UploadError(f"quá {MAX_PER_KEY} tệp cho một lần nộp / more than {MAX_PER_KEY} files in one submission")
    session = UploadSession.objects.create(id=uuid.uuid4(), owner=user, key=key, paper=(paper or "")[:300],
                                           name=Path(name).name[:255], length=length)
    part_path(session.id).touch()
    return session


def get(user, upload_id) -> UploadSession:
    try:
        session = UploadSession.objects.filter(pk=uuid.UUID(str(upload_id)), owner=user).first()
    except ValueError:
        session = None
    if session is None:
        raise UploadError("không có tệp đang tải lên này / no such upload", 404)
    return session


def append(user, upload_id, offset: int, stream, content_length: int | None = None) -> int:
    """Write the request body at `offset` (which must be where the upload stands) and return the new offset."""
    session = get(user, upload_id)
    path = part_path(session.id)
    with open(path, "r+b" if path.exists() else "w+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UploadError("tệp đang được tải lên ở yêu cầu khác / another request is writing this upload",
                              409) from exc
        session.refresh_from_db(fields=["offset"])
        if offset != session.offset:
            raise UploadError(f"Upload-Offset {offset} ≠ {session.offset}", 409)
        room = session.length - session.offset
        if content_length is not None and content_length > room:
            raise UploadError(f"vượt quá độ dài đã khai ({session.length} byte) / past the declared length", 413)
        handle.seek(offset)
        written = 0
        cut: Exception | None = None
        try:
            while written < room:
                piece = stream.read(min(_PIECE, room - written))
                if not piece:
                    break
                handle.write(piece)
                written += len(piece)
        except OSError as exc:       # the client went away mid-body: keep what arrived (tus: store what you can)
            cut = exc
        handle.truncate(offset + written)
        handle.flush()
        os.fsync(handle.fileno())
        with transaction.atomic():
            UploadSession.objects.filter(pk=session.pk).update(offset=offset + written)
    if cut is not None:
        raise UploadError(f"kết nối bị ngắt sau {offset + written} byte / connection cut", 400) from cut
    return offset + written


def keep(user, *, key: str, upload: online.Upload) -> UploadSession:
    """A paper that came whole in a multipart body, kept as a finished upload (a refused form shows it as received)."""
    session = create(user, key=key, paper=upload.paper, name=upload.name, length=len(upload.data))
    path = part_path(session.id)
    with open(path, "wb") as handle:
        handle.write(upload.data)
        handle.flush()
        os.fsync(handle.fileno())
    UploadSession.objects.filter(pk=session.pk).update(offset=session.length)
    session.offset = session.length
    return session


def terminate(user, upload_id) -> None:
    session = get(user, upload_id)
    with contextlib.suppress(FileNotFoundError):
        part_path(session.id).unlink()
    session.delete()


def collect(user, key: str, ids: list[tuple[str, str]]) -> list[online.Upload]:
    """[(paper, upload id)] of the submission form → the finished uploads' bytes. An unfinished or unknown upload
    is refused with its file name, so the citizen knows which paper to send again."""
    out = []
    for paper, upload_id in ids:
        session = get(user, upload_id)
        if session.key != key:
            raise UploadError(f"“{session.name}” thuộc lần nộp khác / belongs to another submission")
        if not session.complete:
            raise UploadError(f"“{session.name}” mới tải lên {session.offset}/{session.length} byte: hãy tiếp tục "
                              f"/ only {session.offset} of {session.length} bytes arrived: resume it", 409)
        out.append(online.Upload(paper or session.paper, session.name, part_path(session.id).read_bytes()))
    return out


def discard(key: str) -> None:
    """The submission committed: its uploads are now the dossier's files (online.write_blobs)."""
    for session in UploadSession.objects.filter(key=key):
        with contextlib.suppress(FileNotFoundError):
            part_path(session.id).unlink()
        session.delete()


def sweep(older_than_s: float = 24 * 3600) -> int:
    """Remove uploads begun more than `older_than_s` ago that no submission took (the citizen gave up)."""
    import datetime

    from django.utils import timezone

    removed = 0
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_s)
    for session in UploadSession.objects.filter(created_at__lt=cutoff):
        with contextlib.suppress(FileNotFoundError):
            part_path(session.id).unlink()
        session.delete()
        removed += 1
    return removed
