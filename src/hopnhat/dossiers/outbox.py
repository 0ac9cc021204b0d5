"""The outbox to the national portal (DVCQG): every status change writes, in its own transaction, a
DongBoHoSoMC payload (the dossier as it now stands) and a CapNhatTienDoHoSoMC payload (the history step).
`send_due` posts what is due, marks each message sent only on an `error_code` 0/00 answer, and retries the
rest with exponential backoff per message (next_attempt_at) until HOPNHAT_DVCQG["max_attempts"], when the message
is dead and waits for a person (the staff page /ho-so/can-bo/dvcqg/ shows its last error and can requeue it).
The message row keeps what was sent and what came back.

A dossier's messages go out in the order they were written: one still pending or dead holds back the later ones
of the same dossier, so DVCQG never sees an older snapshot after a newer one. Each status change also queues a
send task for its own dossier once its transaction commits (tasks.py, the django_tasks backend of
settings.TASKS); `hopnhat dossiers outbox send --loop` is the worker that catches up whatever that missed.

Fields and date format follow the standards doc A.4 (OpenCPS / HuanVu201 integrations): dates are
yyyyMMddHHmmss in Asia/Ho_Chi_Minh time.
"""

import datetime
import json
import logging
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from hopnhat.core import audit

from .models import OutboxMessage, OutboxState, Status

log = logging.getLogger(__name__)

DOSSIER_SERVICE = "DongBoHoSoMC"
HISTORY_SERVICE = "CapNhatTienDoHoSoMC"

DOSSIER_FIELDS = {
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "ChuHoSo", "LoaiDoiTuong",
    "MaDoiTuong", "SoGiayToChuHoSo", "DinhDanhCHS", "Email", "Fax", "SoDienThoai", "ThongTinKhac", "TrichYeuHoSo",
    "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi", "TrangThaiHoSo",
    "HinhThuc", "ThongTinTra", "DonViXuLy", "GhiChu", "NoiNopHoSo", "HoSoCoThanhPhanSoHoa",
    "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "DSKetNoiCSDL", "TaiLieuNop", "DanhSachLePhi",
    "DanhSachTepDinhKemKhac", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
}
DOSSIER_REQUIRED = {"MaHoSo", "MaTTHC", "TenTTHC", "KenhThucHien", "ChuHoSo", "NgayTiepNhan", "TrangThaiHoSo",
                    "DonViXuLy"}
HISTORY_FIELDS = {"MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai",
                  "NgayBatDau", "NgayKetThucTheoQuyDinh"}
HISTORY_REQUIRED = {"MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai"}
DATE_FIELDS = {"NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi",
               "ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh"}


class PayloadError(ValueError):
    pass


def dvc_date(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d") + "170000"   # an appointment date means the end of that working day


def dossier_payload(dossier) -> dict[str, Any]:
    proc = dossier.procedure
    data = {
        "MaHoSo": dossier.code, "MaTTHC": proc.national_code, "TenTTHC": proc.name,
        "MaLinhVuc": proc.field_code, "TenLinhVuc": proc.field_name, "KenhThucHien": int(dossier.channel),
        "ChuHoSo": dossier.applicant_name, "LoaiDoiTuong": 1, "TrichYeuHoSo": dossier.summary,
        "NgayNopHoSo": dvc_date(dossier.received_at), "NgayTiepNhan": dvc_date(dossier.received_at),
        "NgayHenTra": dvc_date(dossier.due_date), "TrangThaiHoSo": int(dossier.status),
        "DonViXuLy": dossier.agency.code or "", "NoiNopHoSo": dossier.receiving_agency.code or "",
        "DanhSachLePhi": [{"TenPhiLePhi": f.get("name", ""), "Gia": f.get("amount", 0)} for f in proc.fees],
    }
    if dossier.finished_at:
        key = "NgayTuChoi" if dossier.status == Status.REFUSED else "NgayKetThucXuLy"
        data[key] = dvc_date(dossier.finished_at)
    if dossier.returned_at:
        data["NgayTra"] = dvc_date(dossier.returned_at)
    return data


def history_payload(dossier, event) -> dict[str, Any]:
    return {
        "MaHoSo": dossier.code, "NguoiXuLy": event.actor, "ChucDanh": event.actor_title,
        "ThoiDiemXuLy": dvc_date(event.at), "PhongBanXuLy": event.agency_name,
        "NoiDungXuLy": event.note or event.get_action_display().split(" (")[0],
        "TrangThai": int(event.status_to or dossier.status), "NgayBatDau": dvc_date(event.at),
        "NgayKetThucTheoQuyDinh": dvc_date(dossier.due_date),
    }


def validate(service: str, data: dict[str, Any]) -> None:
    """Check a payload against the field list before it is queued, so DVCQG never sees a malformed one."""
    allowed, required = {DOSSIER_SERVICE: (DOSSIER_FIELDS, DOSSIER_REQUIRED),
                         HISTORY_SERVICE: (HISTORY_FIELDS, HISTORY_REQUIRED)}[service]
    where = f"{service} {data.get('MaHoSo', '?')}"
    if unknown := set(data) - allowed:
        raise PayloadError(f"{where}: trường không có trong đặc tả / fields not in the spec: {sorted(unknown)}")
    if missing := {k for k in required if data.get(k) in (None, "")}:
        raise PayloadError(f"{where}: thiếu trường bắt buộc / missing required fields: {sorted(missing)}")
    for key in DATE_FIELDS & set(data):
        value = data[key]
        if value and not (len(value) == 14 and value.isdigit()):
            raise PayloadError(f"{where}: {key}={value!r} không đúng dạng yyyyMMddHHmmss / not yyyyMMddHHmmss")
    status = data.get("TrangThaiHoSo", data.get("TrangThai"))
    if not (isinstance(status, int) and 1 <= status <= 10):
        raise PayloadError(f"{where}: trạng thái {status!r} ngoài 1–10 / status outside 1–10")


def enqueue(dossier, event) -> list[OutboxMessage]:
    """Queue both payloads for one change. Keyed by the event, so queuing the same change twice is a no-op."""
    messages = []
    for service, data in ((DOSSIER_SERVICE, dossier_payload(dossier)),
                          (HISTORY_SERVICE, history_payload(dossier, event))):
        validate(service, data)
        msg, _ = OutboxMessage.objects.get_or_create(
            key=f"{dossier.code}:{event.pk}:{service}",
            defaults={"dossier": dossier, "service": service, "payload": data},
        )
        messages.append(msg)
    return messages


def _config() -> dict[str, Any]:
    return getattr(settings, "HOPNHAT_DVCQG", {})


def connected() -> bool:
    return bool(_config().get("url"))


def send_after_commit(messages: list[OutboxMessage]) -> None:
    """Once the change commits, queue a send task for its dossier; the worker catches up if it cannot run."""
    if not messages or not connected():
        return
    dossier_id = messages[0].dossier_id

    def enqueue():
        from .tasks import send_dossier_outbox

        try:
            send_dossier_outbox.enqueue(dossier_id)
        except Exception:   # a task queue that is down must not fail the request: the worker sends it later
            log.exception("could not queue the DVCQG send task for dossier %s", dossier_id)

    transaction.on_commit(enqueue)


def _post(url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    resp = requests.post(url, data=json.dumps(body, ensure_ascii=False).encode(), timeout=timeout,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    resp.raise_for_status()
    return resp.json() if resp.content else {}


def _session(config: dict[str, Any]) -> str:
    if not config.get("auth_url"):
        return config.get("session", "")
    answer = _post(config["auth_url"], {"username": config.get("username", ""),
                                        "password": config.get("password", "")}, config.get("timeout", 10))
    if str(answer.get("error_code")) not in {"0", "00"}:
        raise ConnectionError(f"DVCQG từ chối đăng nhập / refused the login: {answer}")
    return answer.get("session", "")


def backoff(attempts: int) -> datetime.timedelta:
    """base · 2^(attempts−1): 1 min, 2, 4 … by default, capped at 6 hours (HOPNHAT_DVCQG backoff_seconds,
    backoff_cap_seconds)."""
    config = _config()
    base, cap = float(config.get("backoff_seconds", 60)), float(config.get("backoff_cap_seconds", 6 * 3600))
    return datetime.timedelta(seconds=min(base * 2 ** (attempts - 1), cap))


def attempts_allowed() -> int:
    return int(_config().get("max_attempts", 10))


def _due(now: datetime.datetime, dossier_ids=None):
    # Held back while an older message of the same dossier is still unsent: pending (in back-off) or dead.
    older_unsent = OutboxMessage.objects.filter(dossier_id=OuterRef("dossier_id"), pk__lt=OuterRef("pk"),
                                                state__in=[OutboxState.PENDING, OutboxState.DEAD])
    qs = OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now).exclude(
        Exists(older_unsent))
    if dossier_ids is not None:
        qs = qs.filter(dossier_id__in=dossier_ids)
    return qs.order_by("pk").values_list("pk", flat=True)


def send_due(now: datetime.datetime | None = None, limit: int = 100, max_attempts: int | None = None,
             dossier_ids=None) -> dict[str, int]:
    """Post every due message in order (only those of `dossier_ids` when given); returns counts of sent /
    retry (back-off) / dead (gave up after `max_attempts`)."""
    config = _config()
    counts = {"sent": 0, "retry": 0, "dead": 0}
    limit_attempts = max_attempts or attempts_allowed()
    now = now or timezone.now()
    session = login_error = None
    logged_in = False
    while sum(counts.values()) < limit:
        due = list(_due(now, dossier_ids)[:limit - sum(counts.values())])
        if not due:
            break
        if not config.get("url"):
            raise ValueError("HOPNHAT_DVCQG['url'] chưa đặt / is not set")
        if not logged_in:
            try:
                session = _session(config)
            except (requests.RequestException, ValueError, ConnectionError) as exc:
                login_error = exc
            logged_in = True
        sent_before = counts["sent"]
        for pk in due:
            if outcome := _attempt(pk, config, session, login_error, now, limit_attempts):
                counts[outcome] += 1
        if counts["sent"] == sent_before:
            break   # nothing went through: what follows each failed message stays held until its retry
    return counts


def _attempt(pk, config, session, login_error, now, limit_attempts) -> str | None:
    with transaction.atomic():
        # lock the message only: the dossier stays free for status changes while DVCQG answers
        msg = OutboxMessage.objects.select_for_update(of=("self",)).select_related("dossier__receiving_agency").get(
            pk=pk)
        if msg.state != OutboxState.PENDING or msg.next_attempt_at > now:
            return None   # another worker got there first
        msg.attempts += 1
        outcome = "sent"
        try:
            if session is None:
                raise login_error or ConnectionError("DVCQG: chưa đăng nhập / no session")
            body = {"service": msg.service, "session": session, "madonvi": msg.dossier.receiving_agency.code,
                    "isUpdating": "True" if msg.service == DOSSIER_SERVICE else "False", "data": [msg.payload]}
            answer = _post(config["url"], body, config.get("timeout", 10))
            if str(answer.get("error_code")) not in {"0", "00"}:
                raise ConnectionError(f"error_code={answer.get('error_code')} {answer.get('message', '')}")
        except (requests.RequestException, ValueError, ConnectionError) as exc:
            msg.last_error = str(exc)[:2000] or exc.__class__.__name__
            if msg.attempts >= limit_attempts:
                msg.state, outcome = OutboxState.DEAD, "dead"
            else:
                msg.next_attempt_at, outcome = now + backoff(msg.attempts), "retry"
        else:
            msg.state, msg.sent_at, msg.response, msg.last_error = OutboxState.SENT, timezone.now(), answer, ""
        msg.save()
    return outcome


def requeue(actor, messages) -> int:
    """A person sends dead messages again from the first attempt (after DVCQG or the payload was put right)."""
    count = 0
    with transaction.atomic():
        for msg in messages.select_for_update().filter(state=OutboxState.DEAD):
            audit.record(actor, "dossiers.outbox_requeue", msg.dossier, key=msg.key, attempts=msg.attempts,
                         last_error=msg.last_error)
            msg.state, msg.attempts, msg.next_attempt_at = OutboxState.PENDING, 0, timezone.now()
            msg.save(update_fields=["state", "attempts", "next_attempt_at"])
            count += 1
    return count


def state_counts(messages) -> dict[str, int]:
    counts = {state: 0 for state in OutboxState.values}
    counts |= dict(messages.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    counts["retrying"] = messages.filter(state=OutboxState.PENDING, attempts__gt=0).count()
    return counts
