"""Bounds on what an import or upload may make us read: every file that comes from outside is measured here
before any parser opens it (zip bombs, issue 13 finding 5).

`check_import_file(source, name)` is the one call: the file's size against `HOPNHAT_IMPORT_MAX_BYTES`, then, for
a zip container (.xlsx, .xlsm, .docx, .zip…), its central directory — entry count, the declared uncompressed total
and each large entry's compression ratio — against the `HOPNHAT_ARCHIVE_*` settings. Nothing is decompressed
to decide. Python's zipfile never returns more than an entry's declared size (and fails the CRC check when the
data says otherwise), so a workbook that passes here cannot expand beyond the declared total when openpyxl reads
it. The error names the file and the bound, Vietnamese first.

`BoundedUploadHandler` refuses a request body larger than `HOPNHAT_UPLOAD_MAX_BYTES` before Django reads it
(Django's own DATA_UPLOAD_MAX_MEMORY_SIZE leaves file fields out).
"""

import io
import os
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

MB = 1024 * 1024
_RATIO_FROM = 1 * MB  # small entries (a blank sheet's XML) compress far better than 100:1, harmlessly


class ImportTooLarge(ValueError):
    """A file refused before reading: too big, or an archive that would expand too far. The message names it."""


def limits() -> dict[str, int]:
    return {
        "max_bytes": int(getattr(settings, "HOPNHAT_IMPORT_MAX_BYTES", 64 * MB)),
        "max_uncompressed": int(getattr(settings, "HOPNHAT_ARCHIVE_MAX_UNCOMPRESSED", 256 * MB)),
        "max_entries": int(getattr(settings, "HOPNHAT_ARCHIVE_MAX_ENTRIES", 10_000)),
        "max_ratio": int(getattr(settings, "HOPNHAT_ARCHIVE_MAX_RATIO", 100)),
    }


def _size(source: str | Path | BinaryIO) -> int:
    if isinstance(source, str | Path):
        return os.stat(source).st_size
    if getattr(source, "size", None) is not None:  # Django's UploadedFile
        return int(source.size)
    position = source.tell()
    try:
        return source.seek(0, io.SEEK_END)
    finally:
        source.seek(position)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def check_import_file(source: str | Path | BinaryIO, name: str, **overrides: int) -> None:
    """Raise ImportTooLarge when the file, or the archive it is, exceeds the bounds; return when it may be read.
    A file that is not a zip archive is only measured (the parser says what else is wrong with it)."""
    bound = limits() | overrides
    size = _size(source)
    if size > bound["max_bytes"]:
        raise ImportTooLarge(f"{name}: tệp {_mb(size)} vượt giới hạn nhập {_mb(bound['max_bytes'])} "
                             f"/ the file is larger than the import limit")
    check_archive(source, name, **overrides)


def check_archive(source: str | Path | BinaryIO, name: str, **overrides: int) -> None:
    """The zip container's declared entries against the bounds (see the module docstring)."""
    bound = limits() | overrides
    position = None if isinstance(source, str | Path) else source.tell()
    try:
        if not zipfile.is_zipfile(source):
            return
        if position is not None:
            source.seek(position)
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return  # not an archive we could list: the parser reports the file as unreadable
    finally:
        if position is not None:
            source.seek(position)
    if len(entries) > bound["max_entries"]:
        raise ImportTooLarge(f"{name}: tệp nén có {len(entries)} mục, tối đa {bound['max_entries']} "
                             f"/ the archive holds too many entries")
    total = sum(entry.file_size for entry in entries)
    if total > bound["max_uncompressed"]:
        raise ImportTooLarge(f"{name}: giải nén ra {_mb(total)}, vượt giới hạn {_mb(bound['max_uncompressed'])} "
                             f"/ the archive expands beyond the limit (zip bomb?)")
    for entry in entries:
        if entry.file_size >= _RATIO_FROM and entry.file_size > bound["max_ratio"] * max(entry.compress_size, 1):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise ImportTooLarge(f"{name}: mục “{entry.filename}” nén {ratio:.0f}:1 ({_mb(entry.compress_size)} → "
                                 f"{_mb(entry.file_size)}), vượt tỉ lệ {bound['max_ratio']}:1 "
                                 f"/ the entry's compression ratio is beyond the limit (zip bomb?)")


class BoundedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: a multipart body beyond HOPNHAT_UPLOAD_MAX_BYTES is refused (400) before
    any of it is read or written to disk."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = int(getattr(settings, "HOPNHAT_UPLOAD_MAX_BYTES", 64 * MB))
        if content_length and content_length > limit:
            raise RequestDataTooBig(f"tải lên {_mb(content_length)} vượt giới hạn {_mb(limit)} "
                                    f"/ upload larger than the limit")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
