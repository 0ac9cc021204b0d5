"""Online submission by a signed-in citizen (issue 17): the old address resolved to today's ward and its agency,
uploads checked (type, size) and scanned by a real clamd, and the dossier registered with its uploads in one unit
of work under the submission's idempotency key, so a retried or resumed submission never makes two dossiers.

    resolve_place("Phường Đội Cấn, Quận Ba Đình") -> [Destination(ward, agency, is_default)]  (several: ask)
    scan(data) -> None, or raises Refused with the signature's name
    submit(citizen_id_number=…, procedure=…, place=…, ward_code=…, files=[Upload], key=…) -> Dossier
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from hopnhat.core.pii import keyed_hash
from hopnhat.org import lineage
from hopnhat.org.models import Agency, AgencyStatus, Level

from . import actions, notices
from .models import Channel, Dossier, OnlineSubmission, Procedure, SubmittedFile

ACTOR = "system:dossiers-online"
ALLOWED_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_BYTES = 10 * 1024 * 1024


class Refused(ValueError):
    """A file or an address the submission cannot take; the message is for the citizen (Vietnamese / English)."""


@dataclass(frozen=True)
class Upload:
    paper: str        # which paper of the procedure it is
    name: str         # the file name as uploaded
    data: bytes


@dataclass(frozen=True)
class Destination:
    ward: object
    agency: Agency
    is_default: bool


def clamd_socket() -> str:
    """HOPNHAT_CLAMD_SOCKET (setting or environment), else the one scripts/services.sh starts under ./var/clamav."""
    return (getattr(settings, "HOPNHAT_CLAMD_SOCKET", "") or os.environ.get("HOPNHAT_CLAMD_SOCKET", "")
            or str(Path.cwd() / "var" / "clamav" / "clamd.sock"))


def scan(data: bytes, *, path: str | None = None) -> None:
    """INSTREAM to clamd over its Unix socket; raises Refused naming the signature when a file is infected,
    RuntimeError when clamd cannot be reached (the upload is then not accepted either)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(path or clamd_socket())
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), 65536):
                chunk = data[start:start + 65536]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                more = sock.recv(4096)
                if not more:
                    break
                reply += more
    except OSError as exc:
        raise RuntimeError(f"không kết nối được máy quét virus / virus scanner unreachable: {exc}") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace")
    if answer.endswith("FOUND"):
        signature = answer.split(":", 1)[1].rsplit(" ", 1)[0].strip()
        raise Refused(f"Tệp có mã độc ({signature}), không được nhận / the file contains malware ({signature}) "
                      f"and was refused")
    if not answer.endswith("OK"):
        raise RuntimeError(f"máy quét virus trả lời lạ / unexpected scanner answer: {answer}")


def blob_name(upload: Upload) -> str:
    """Where a file's bytes live: named by their SHA-256, so writing them again (a retry, a resumed submission)
    lands on the same name, and a file written by a request killed before its transaction committed is only an
    unreferenced blob that `sweep_blobs` removes — never half of a dossier."""
    digest = hashlib.sha256(upload.data).hexdigest()
    return f"ho-so/{digest[:2]}/{digest}{Path(upload.name).suffix.lower()}"


def write_blobs(files: list[Upload]) -> list[tuple[Upload, str, str]]:
    """Write each file's bytes (outside any transaction) and return (upload, stored name, sha256)."""
    out = []
    for upload in files:
        name = blob_name(upload)
        if not default_storage.exists(name):
            saved = default_storage.save(name, ContentFile(upload.data))
            if saved != name:   # a concurrent writer of the same bytes won: keep one copy
                default_storage.delete(saved)
        out.append((upload, name, name.rsplit("/", 1)[1].split(".")[0]))
    return out


def store_files(dossier: Dossier, files: list[Upload], stored: list[str] | None = None) -> None:
    """The dossier's file rows, in the caller's transaction, over blobs written first (write_blobs)."""
    for upload, name, digest in write_blobs(files):
        if stored is not None:
            stored.append(name)
        SubmittedFile.objects.create(dossier=dossier, paper=upload.paper, name=upload.name, file=name,
                                     size=len(upload.data), sha256=digest)


def sweep_blobs(older_than_s: float = 24 * 3600) -> list[str]:
    """Remove stored blobs no SubmittedFile names (left by a request killed mid-registration) once they are older
    than `older_than_s` (a submission still running has written its blobs moments ago)."""
    import time

    removed = []
    referenced = set(SubmittedFile.objects.values_list("file", flat=True))
    try:
        prefixes, _ = default_storage.listdir("ho-so")
    except FileNotFoundError:
        return removed
    for prefix in prefixes:
        if len(prefix) != 2:
            continue
        for name in default_storage.listdir(f"ho-so/{prefix}")[1]:
            path = f"ho-so/{prefix}/{name}"
            age = time.time() - default_storage.get_modified_time(path).timestamp()
            if path not in referenced and age > older_than_s:
                default_storage.delete(path)
                removed.append(path)
    return removed


def check_file(upload: Upload) -> None:
    suffix = Path(upload.name).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        raise Refused(f"“{upload.name}”: chỉ nhận {', '.join(sorted(ALLOWED_TYPES))} / only "
                      f"{', '.join(sorted(ALLOWED_TYPES))} files are accepted")
    if len(upload.data) > MAX_BYTES:
        raise Refused(f"“{upload.name}”: lớn hơn {MAX_BYTES // 1024 // 1024} MB / larger than "
                      f"{MAX_BYTES // 1024 // 1024} MB")
    if not upload.data:
        raise Refused(f"“{upload.name}”: tệp rỗng / the file is empty")
    scan(upload.data)


def resolve_place(place: str) -> list[Destination]:
    """An old or new commune/ward (with its district, province) → today's wards with an active agency; a split
    commune gives several, the default first, and the citizen chooses."""
    out: dict[int, Destination] = {}
    for match in lineage.resolve(place, level=Level.WARD):
        for edge in lineage.current(match.unit):
            agency = Agency.objects.filter(unit=edge.unit, status=AgencyStatus.ACTIVE).first()
            if agency is not None and edge.unit.pk not in out:
                out[edge.unit.pk] = Destination(edge.unit, agency, edge.is_default)
    return sorted(out.values(), key=lambda d: not d.is_default)


def id_hash_of(user) -> str:
    """The keyed hash of the ID number VNeID gave for this citizen (shell.oidc keeps it as the user name)."""
    from hopnhat.core.pii import VNEID_USERNAME_PREFIX as USERNAME_PREFIX

    name = user.get_username() if user is not None else ""
    return name[len(USERNAME_PREFIX):] if name.startswith(USERNAME_PREFIX) else ""


def submit(*, key: str, applicant_name: str, procedure: Procedure, place: str, citizen_id_number: str = "",
           citizen_id_hash: str = "", ward_code: str = "", phone: str = "", address: str = "",
           files: list[Upload] = (), email: str = "", form_data: list[dict] = (),
           before_commit=None) -> Dossier:
    """Register one online dossier. The same `key` (one per submission form) returns the dossier it made, to the
    same applicant only. The applicant is named by the keyed hash of their ID number (`id_hash_of(user)`), or,
    from a test or the counter, by the number itself (hashed by actions.receive). The files' bytes are written
    first under their checksum (write_blobs), then the dossier, its files' rows, the submission key and the
    receipt notice in one transaction: a request killed anywhere leaves either all of it or none of it.
    `form_data` is what the citizen typed in the procedure's e-form (eform.answers)."""
    if not key or len(key) > 64:
        raise Refused("thiếu mã lần nộp / missing submission key")
    applicant = citizen_id_hash or (keyed_hash(citizen_id_number) if citizen_id_number else "")
    done = done_for(key, applicant)
    if done is not None:
        return done
    destinations = resolve_place(place)
    if not destinations:
        raise Refused(f"Không tìm thấy xã, phường “{place}” / no commune or ward called “{place}”")
    if ward_code:
        destinations = [d for d in destinations if d.ward.code == ward_code]
        if not destinations:
            raise Refused(f"Phường, xã “{ward_code}” không tiếp nhận hồ sơ của “{place}” / not a successor")
    elif len(destinations) > 1:
        names = ", ".join(d.ward.name for d in destinations)
        raise Refused(f"“{place}” nay thuộc nhiều phường, xã ({names}): xin chọn một / now lies in several wards "
                      f"({names}): please choose one")
    agency = destinations[0].agency
    for upload in files:
        check_file(upload)
    blobs = write_blobs(list(files))
    try:
        with transaction.atomic():
            dossier = actions.receive(
                ACTOR, agency=agency, procedure=procedure, applicant_name=applicant_name,
                id_number=citizen_id_number, phone=phone, address=address or place, channel=Channel.ONLINE,
                note="Nộp trực tuyến / submitted online",
                papers=[{"name": u.paper, "copies": 1, "file": u.name} for u in files])
            if citizen_id_hash and not citizen_id_number:
                Dossier.objects.filter(pk=dossier.pk).update(applicant_id_hash=citizen_id_hash)
                dossier.applicant_id_hash = citizen_id_hash
            dossier.online_submission = OnlineSubmission.objects.create(
                key=key, dossier=dossier, notify_email=email.strip()[:254], notify_phone=phone.strip()[:20],
                form_data=list(form_data))
            notices.enqueue(dossier, dossier.events.get())   # the receipt notice: the contact exists only now
            for upload, name, digest in blobs:
                SubmittedFile.objects.create(dossier=dossier, paper=upload.paper, name=upload.name, file=name,
                                             size=len(upload.data), sha256=digest)
            if before_commit is not None:    # tests: a request killed here must leave nothing behind
                before_commit(dossier)
    except IntegrityError:
        done = done_for(key, applicant)
        if done is None:
            raise
        return done        # a concurrent retry of the same submission won the race
    return dossier


def done_for(key: str, applicant: str) -> Dossier | None:
    """The dossier a submission key already made (None if none); refused when it is another applicant's."""
    done = OnlineSubmission.objects.filter(key=key).select_related("dossier").first()
    if done is None:
        return None
    if applicant and done.dossier.applicant_id_hash != applicant:
        raise Refused("Mã lần nộp này đã dùng cho hồ sơ khác; hãy mở lại trang nộp / this submission key belongs to "
                      "another dossier; open the form again")
    return done.dossier
