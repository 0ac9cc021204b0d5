"""Submission to the national reporting information system through the platform's one outbox (core.outbox).

An approved report version is queued in the approval's transaction as a QCVN 125 "DuLieuBaoCao" packet, keyed
`report:<id>:v<version>` so approving (or queuing) the same version twice sends it once; a correction is a new
version and a new message. Settings: HOPNHAT_NATIONAL_REPORTING = {"url": …, "token": …, "timeout": 10,
"max_attempts": 10, "backoff_seconds": 60}."""

import json
from typing import Any

from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.core.outbox import DeliveryFailed, Outbox, OutboxMessageBase, register


class SubmissionMessage(OutboxMessageBase):
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="submissions")
    packet_type = models.CharField(max_length=40, default="DuLieuBaoCao")

    class Meta(OutboxMessageBase.Meta):
        app_label = "reports"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="reports_sub_due")]


def report_packet(report) -> dict[str, Any]:
    values = report.values.select_related("indicator", "unit")
    return {"LoaiGoiTin": "DuLieuBaoCao", "PhienBan": "QCVN 125:2021", "MaBieu": report.form.code,
            "MaCheDo": report.form.regime.code, "MaDonViBaoCao": report.agency.code, "KyBaoCao": report.period,
            "LanBaoCao": report.version, "ThayTheLan": report.supersedes.version if report.supersedes_id else None,
            "DuLieu": [{"MaChiTieu": v.indicator.code, "MaQuocGia": v.indicator.national_code,
                        "PhanTo": v.disaggregation, "MaDonVi": v.unit.code,
                        "GiaTri": format(v.value.normalize(), "f")} for v in values]}


def _deliver(msg: SubmissionMessage, session: Any) -> dict[str, Any]:
    config = NATIONAL.config()
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": msg.key}
    if config.get("token"):
        headers["Authorization"] = f"Bearer {config['token']}"
    import requests  # at first send, not at every command's start-up

    resp = requests.post(config["url"], data=json.dumps(msg.payload, ensure_ascii=False).encode(),
                         headers=headers, timeout=config.get("timeout", 10))
    if resp.status_code >= 500:
        raise DeliveryFailed(f"HTTP {resp.status_code}")
    resp.raise_for_status()
    answer = resp.json() if resp.content else {}
    if str(answer.get("error_code", "0")) not in {"0", "00"}:
        raise DeliveryFailed(f"error_code={answer.get('error_code')} {answer.get('message', '')}")
    return answer


NATIONAL = register(Outbox(
    SubmissionMessage, "reports", deliver=_deliver, settings_name="HOPNHAT_NATIONAL_REPORTING",
    stream_field="report_id", select_related=("report__form", "report__agency"),
    audit_object=lambda msg: msg.report or msg, audit_action="reports.outbox_requeue",
    label=vi_en("Hệ thống thông tin báo cáo quốc gia", "National reporting information system"),
    agency_field="report__agency",
    subject=lambda msg: (f"{msg.report.form.code} · {msg.report.agency.code} · {msg.report.period} "
                         f"v{msg.report.version}" if msg.report_id else msg.packet_type)))


def enqueue_report(report) -> tuple[SubmissionMessage, bool]:
    """Queue an approved version (in the caller's transaction); the same version twice is a no-op."""
    return NATIONAL.enqueue(f"report:{report.pk}:v{report.version}", report_packet(report), report=report)
