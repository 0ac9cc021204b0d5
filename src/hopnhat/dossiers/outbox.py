"""The outbox to the national portal (DVCQG), on the platform's one outbox mechanism (`core.outbox`): every
status change writes, in its own transaction, a DongBoHoSoMC payload (the dossier as it now stands) and a
CapNhatTienDoHoSoMC payload (the history step). `send_due` posts what is due, marks each message sent only on an
`error_code` 0/00 answer, and retries the rest with exponential backoff per message (next_attempt_at) until
HOPNHAT_DVCQG["max_attempts"], when the message is dead and waits for a person (the staff page
/ho-so/can-bo/dvcqg/ shows its last error and can requeue it). The message row keeps what was sent and what came
back. This module owns only what is DVCQG's: the payloads, their check, the log-in and the post.

A dossier's messages go out in the order they were written: one still pending or dead holds back the later ones
of the same dossier, so DVCQG never sees an older snapshot after a newer one. Each status change also queues a
send task for its own dossier once its transaction commits (tasks.py, the django_tasks backend of
settings.TASKS); `hopnhat dossiers outbox send --loop` is the worker that catches up whatever that missed.

Fields and date format follow the standards doc A.4 (OpenCPS / HuanVu201 integrations): dates are
yyyyMMddHHmmss in Asia/Ho_Chi_Minh time.
"""

import datetime
import json
from typing import Any

import requests
from django.utils import timezone

from hopnhat.core.lang import vi_en
from hopnhat.core.outbox import DeliveryFailed, Outbox, register

from .models import OutboxMessage, Status

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
        msg, _ = DVCQG.enqueue(f"{dossier.code}:{event.pk}:{service}", data, dossier=dossier, service=service)
        messages.append(msg)
    return messages


def send_after_commit(messages: list[OutboxMessage]) -> None:
    """Once the change commits, queue a send task for its dossier; the worker catches up if it cannot run."""
    if messages:
        from .tasks import send_dossier_outbox

        DVCQG.send_after_commit(send_dossier_outbox, messages[0].dossier_id)


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


def _deliver(msg: OutboxMessage, session: str) -> dict[str, Any]:
    config = DVCQG.config()
    body = {"service": msg.service, "session": session, "madonvi": msg.dossier.receiving_agency.code,
            "isUpdating": "True" if msg.service == DOSSIER_SERVICE else "False", "data": [msg.payload]}
    answer = _post(config["url"], body, config.get("timeout", 10))
    if str(answer.get("error_code")) not in {"0", "00"}:
        raise DeliveryFailed(f"error_code={answer.get('error_code')} {answer.get('message', '')}")
    return answer


DVCQG = register(Outbox(
    OutboxMessage, "dvcqg", deliver=_deliver, open_session=_session, settings_name="HOPNHAT_DVCQG",
    stream_field="dossier_id", select_related=("dossier__receiving_agency",),
    audit_object=lambda msg: msg.dossier, audit_action="dossiers.outbox_requeue",
    label=vi_en("Cổng Dịch vụ công quốc gia (hồ sơ TTHC)", "National public service portal (dossiers)"),
    agency_field="dossier__agency", subject=lambda msg: f"{msg.dossier.code} · {msg.service}"))

# The names the staff page, the CLI and the task use.
connected = DVCQG.connected
backoff = DVCQG.backoff
attempts_allowed = DVCQG.attempts_allowed
requeue = DVCQG.requeue
state_counts = DVCQG.state_counts


def _config() -> dict[str, Any]:
    return DVCQG.config()


def send_due(now: datetime.datetime | None = None, limit: int = 100, max_attempts: int | None = None,
             dossier_ids=None) -> dict[str, int]:
    """Post every due DVCQG message in order (only those of `dossier_ids` when given)."""
    return DVCQG.send_due(now=now, limit=limit, max_attempts=max_attempts, streams=dossier_ids)
