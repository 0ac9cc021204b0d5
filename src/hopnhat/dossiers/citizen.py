"""“My dossiers”: every dossier of a signed-in citizen — online, at the counter, imported from the old one-door
systems — found by the keyed hash of the ID number VNeID gave (never the number in clear), and the supplement the
citizen uploads online when the agency asks for one.

    my_dossiers(user) -> [lookup.describe(dossier, public=False) + files + supplement request]
    supply(user, dossier, files) -> DossierEvent   (status back to processing, same transition as at the counter)
"""

from __future__ import annotations

from django.db import transaction

from hopnhat.core import audit

from . import actions, lookup, online
from .models import Action, Dossier, DossierEvent, Status, SubmittedFile

ACTOR = "system:dossiers-citizen"
RESULT_PAPER = "Kết quả giải quyết / Result"


class NotYours(PermissionError):
    pass


def dossiers_of(user):
    id_hash = online.id_hash_of(user)
    if not id_hash:
        return Dossier.objects.none()
    return (Dossier.objects.filter(applicant_id_hash=id_hash)
            .select_related("procedure", "agency", "receiving_agency").order_by("-received_at"))


def supplement_request(dossier: Dossier) -> str:
    """What the agency asked for: the note of the latest supplement request while the dossier waits on it."""
    if dossier.status != Status.SUPPLEMENT:
        return ""
    event = dossier.events.filter(action=Action.REQUEST_SUPPLEMENT).order_by("-at", "-pk").first()
    return event.note if event else ""


def my_dossiers(user) -> list[dict]:
    out = []
    for dossier in dossiers_of(user):
        data = lookup.describe(dossier, public=False)
        data["pk"] = dossier.pk
        data["supplement_request"] = supplement_request(dossier)
        files = list(dossier.files.all())
        data["files"] = [{"paper": f.paper, "name": f.name, "size": f.size} for f in files if f.paper != RESULT_PAPER]
        data["results"] = [{"pk": f.pk, "name": f.name, "signatures": signatures(f)} for f in files
                           if f.paper == RESULT_PAPER]
        out.append(data)
    return out


def supply(user, dossier: Dossier, files: list[online.Upload], note: str = "") -> DossierEvent:
    """The citizen's supplement: files scanned and stored with the dossier, and the dossier back in processing
    through the same transition the desk uses (actions.transition PROCESS from SUPPLEMENT)."""
    dossier = Dossier.objects.get(pk=dossier.pk)   # where it stands now, not where the caller last saw it
    if not online.id_hash_of(user) or dossier.applicant_id_hash != online.id_hash_of(user):
        raise NotYours(f"Hồ sơ {dossier.code} không phải của bạn / dossier {dossier.code} is not yours")
    if dossier.status != Status.SUPPLEMENT:
        raise online.Refused(f"Hồ sơ {dossier.code} không chờ bổ sung / dossier {dossier.code} awaits no supplement")
    if not files:
        raise online.Refused("Chưa chọn tệp bổ sung / no file chosen")
    for upload in files:
        online.check_file(upload)
    blobs = online.write_blobs(list(files))   # bytes first, by checksum: a killed request leaves no half step
    with transaction.atomic():
        for upload, name, digest in blobs:
            SubmittedFile.objects.create(dossier=dossier, paper=upload.paper, name=upload.name, file=name,
                                         size=len(upload.data), sha256=digest)
        return actions.transition(ACTOR, dossier, Action.PROCESS,
                                  note=note or "Công dân bổ sung trực tuyến / supplement uploaded online",
                                  attachments=[{"name": u.paper, "copies": 1, "file": u.name} for u in files])


def attach_result(actor, dossier: Dossier, name: str, pdf: bytes):
    """The agency's result (a PDF, signed where the agency signs electronically) kept with the dossier for the
    citizen to download; the desk's return_result step stays in actions.py."""
    with transaction.atomic():
        online.store_files(dossier, [online.Upload(RESULT_PAPER, name, pdf)])
        made = SubmittedFile.objects.filter(dossier=dossier, paper=RESULT_PAPER).order_by("-pk").first()
        audit.record(actor, "dossiers.result_attached", dossier, code=dossier.code, file=name, sha256=made.sha256)
        return made


def signatures(result_file) -> list[dict]:
    """documents.signing.verify_pdf of the stored result: [] when the PDF is not signed."""
    from hopnhat.documents.signing import SigningError, verify_pdf

    with result_file.file.open("rb") as handle:
        data = handle.read()
    try:
        return [r.as_dict() for r in verify_pdf(data)]
    except SigningError as exc:
        return [{"status": "invalid", "detail": str(exc), "signer": "", "signing_time": None}]
