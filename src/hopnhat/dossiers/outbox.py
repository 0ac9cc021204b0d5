"""The outbox to the national portal (DVCQG): every status change writes, in its own transaction, a
DongBoHoSoMC payload (the dossier as it now stands) and a CapNhatTienDoHoSoMC payload (the history step).
`send_due` posts what is due, marks each message sent only on an `error_code` 0/00 answer, and retries the
rest with exponential backoff; the message row keeps what was sent and what came back.

Fields and date format follow the standards doc A.4 (OpenCPS / HuanVu201 integrations): dates are
yyyyMMddHHmmss in Asia/Ho_Chi_Minh time.
"""

import datetime
import json
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage, OutboxState, Status

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
    """1 min, 2, 4 … capped at 6 hours."""
    return datetime.timedelta(minutes=min(2 ** (attempts - 1), 360))


def send_due(now: datetime.datetime | None = None, limit: int = 100, max_attempts: int = 10) -> dict[str, int]:
    """Post every due pending message in order; returns counts of sent / retried / failed."""
    config = _config()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    now = now or timezone.now()
    due = list(OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
               .select_related("dossier__receiving_agency")[:limit])
    if not due:
        return counts
    if not config.get("url"):
        raise ValueError("HOPNHAT_DVCQG['url'] chưa đặt / is not set")
    try:
        session = _session(config)
    except (requests.RequestException, ValueError, ConnectionError) as exc:
        session, login_error = None, exc
    for msg in due:
        with transaction.atomic():
            msg = OutboxMessage.objects.select_for_update().get(pk=msg.pk)
            if msg.state != OutboxState.PENDING:
                continue   # another worker sent it meanwhile
            msg.attempts += 1
            try:
                if session is None:
                    raise login_error
                body = {"service": msg.service, "session": session, "madonvi": msg.dossier.receiving_agency.code,
                        "isUpdating": "True" if msg.service == DOSSIER_SERVICE else "False", "data": [msg.payload]}
                answer = _post(config["url"], body, config.get("timeout", 10))
                if str(answer.get("error_code")) not in {"0", "00"}:
                    raise ConnectionError(f"error_code={answer.get('error_code')} {answer.get('message', '')}")
            except (requests.RequestException, ValueError, ConnectionError) as exc:
                msg.last_error = str(exc)[:2000]
                if msg.attempts >= max_attempts:
                    msg.state = OutboxState.FAILED
                    counts["failed"] += 1
                else:
                    msg.next_attempt_at = now + backoff(msg.attempts)
                    counts["retry"] += 1
            else:
                msg.state, msg.sent_at, msg.response, msg.last_error = OutboxState.SENT, timezone.now(), answer, ""
                counts["sent"] += 1
            msg.save()
    return counts
