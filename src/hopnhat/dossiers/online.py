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


def store_files(dossier: Dossier, files: list[Upload], stored: list[str]) -> None:
    for upload in files:
        digest = hashlib.sha256(upload.data).hexdigest()
        name = default_storage.save(f"ho-so/{dossier.pk}/{digest[:16]}{Path(upload.name).suffix.lower()}",
                                    ContentFile(upload.data))
        stored.append(name)
        SubmittedFile.objects.create(dossier=dossier, paper=upload.paper, name=upload.name, file=name,
                                     size=len(upload.data), sha256=digest)


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
           files: list[Upload] = (), email: str = "") -> Dossier:
    """Register one online dossier. The same `key` (one per submission form) returns the dossier it made. The
    applicant is named by the keyed hash of their ID number (`id_hash_of(user)`), or, from a test or the counter,
    by the number itself (hashed by actions.receive)."""
    if not key or len(key) > 64:
        raise Refused("thiếu mã lần nộp / missing submission key")
    done = OnlineSubmission.objects.filter(key=key).select_related("dossier").first()
    if done is not None:
        return done.dossier
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
    stored: list[str] = []
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
                key=key, dossier=dossier, notify_email=email.strip()[:254], notify_phone=phone.strip()[:20])
            notices.enqueue(dossier, dossier.events.get())   # the receipt notice: the contact exists only now
            store_files(dossier, files, stored)
    except IntegrityError:
        for name in stored:
            default_storage.delete(name)
        done = OnlineSubmission.objects.filter(key=key).select_related("dossier").first()
        if done is None:
            raise
        return done.dossier        # a concurrent retry of the same submission won the race
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return dossier
