"""Attachments stored once by checksum: the bytes live under MEDIA_ROOT/documents/blobs/<sha[:2]>/<sha>, a Blob row
names them, and every attachment of every document that carries the same file points at that one Blob.

A file is checked whole before anything is written: over the size limit, a PDF that does not parse or is
encrypted → StorageError naming the file, and neither bytes nor rows are left behind. The text of a PDF is
extracted (pypdf) for staff search."""

import hashlib
import io
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings

from .models import Blob

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class StorageError(ValueError):
    pass


def max_bytes() -> int:
    return int(getattr(settings, "HOPNHAT_DOCUMENTS_MAX_BYTES", DEFAULT_MAX_BYTES))


def root() -> Path:
    return Path(settings.MEDIA_ROOT)


def path_of(blob: Blob) -> Path:
    return root() / blob.relative_path


def is_pdf(name: str, data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF") or name.lower().endswith(".pdf")


def read_pdf(name: str, data: bytes) -> tuple[int, str]:
    """(pages, text) of a PDF, or StorageError naming `name` when it is broken or encrypted."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise StorageError(f"tệp “{name}” được mã hóa bằng mật khẩu, không lưu được; hãy gửi bản không đặt mật "
                               f"khẩu / file “{name}” is encrypted (password-protected) and cannot be stored")
        pages = len(reader.pages)
        text = "\n".join((page.extract_text() or "") for page in reader.pages)
    except StorageError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError) as exc:
        raise StorageError(f"tệp “{name}” không phải PDF hợp lệ (hỏng hoặc không đầy đủ): {exc} / file “{name}” is "
                           f"not a readable PDF (broken or truncated)") from exc
    if pages == 0:
        raise StorageError(f"tệp “{name}” là PDF không có trang nào / file “{name}” is a PDF with no pages")
    return pages, text


def check(name: str, data: bytes) -> tuple[int | None, str, str]:
    """(pages, text, content type) of a file that may be stored, or StorageError naming it."""
    if not data:
        raise StorageError(f"tệp “{name}” rỗng / file “{name}” is empty")
    if len(data) > max_bytes():
        raise StorageError(f"tệp “{name}” dung lượng {len(data):,} byte, vượt giới hạn {max_bytes():,} byte / file "
                           f"“{name}” is {len(data):,} bytes, over the {max_bytes():,}-byte limit")
    if is_pdf(name, data):
        pages, text = read_pdf(name, data)
        return pages, text, "application/pdf"
    return None, "", _guess_type(name)


def _guess_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def store(name: str, data: bytes) -> tuple[Blob, bool]:
    """The Blob holding `data` (made when new); (blob, created). Call inside the caller's transaction: the row
    commits with the attachment that uses it. The bytes are written through a temporary file and renamed into
    place, so a crash never leaves a partial file under a checksum name; a file written by a transaction that
    then rolled back is found and reused by the next store of the same bytes."""
    digest = hashlib.sha256(data).hexdigest()
    if existing := Blob.objects.filter(sha256=digest).first():
        _ensure_file(existing, data)
        return existing, False
    pages, text, content_type = check(name, data)
    blob = Blob(sha256=digest, size=len(data), content_type=content_type, pages=pages, text=text.replace("\x00", ""))
    _ensure_file(blob, data)
    blob.save()
    return blob, True


def _ensure_file(blob: Blob, data: bytes) -> None:
    target = path_of(blob)
    if target.exists() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(blob: Blob) -> bytes:
    return path_of(blob).read_bytes()
