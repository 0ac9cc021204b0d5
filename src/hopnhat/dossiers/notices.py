"""Notices to the citizen of each status change of their dossier, by e-mail and SMS, through the platform's one
outbox (`hopnhat.core.outbox`): queued in the transaction of the change (actions.record_event), sent after commit,
retried with back-off. The SMS provider is a configurable HTTP endpoint:

    HOPNHAT_NOTICES = {"url": "https://sms.example.vn/send", "token": "…", "from": "motcua@…", "max_attempts": 10}

`url` is the SMS gateway's; e-mail goes through Django's e-mail backend (settings.EMAIL_*). Without a url no
notice is queued (the link is not connected), as for every outbox link.

The SMS gateway receives POST {"to": "0912…", "text": "…"} (Authorization: Bearer token) and answers 2xx.
"""

from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail

from hopnhat.core.lang import vi_en
from hopnhat.core.outbox import DeliveryFailed, Outbox, register

from .models import DossierEvent, NoticeMessage, Status


def text_of(dossier, event: DossierEvent) -> str:
    label = Status(event.status_to).label if event.status_to else ""
    text = f"Hồ sơ {dossier.code}: {label}."
    if event.status_to == Status.SUPPLEMENT and event.note:
        text += f" Cần bổ sung: {event.note}"
    return text


def _deliver(message: NoticeMessage, session: Any) -> Any:
    payload, config = message.payload, NOTICES.config()
    if message.channel == "sms":
        headers = {"Authorization": f"Bearer {config['token']}"} if config.get("token") else {}
        answer = requests.post(config["url"], json={"to": payload["to"], "text": payload["text"]}, headers=headers,
                               timeout=float(config.get("timeout", 10)))
        if answer.status_code >= 300:
            raise DeliveryFailed(f"SMS gateway HTTP {answer.status_code}")
        return {"status": answer.status_code}
    send_mail(payload["subject"], payload["text"], config.get("from") or settings.DEFAULT_FROM_EMAIL, [payload["to"]])
    return {"sent": True}


NOTICES = register(Outbox(NoticeMessage, "notices", deliver=_deliver, settings_name="HOPNHAT_NOTICES",
                          stream_field="dossier_id", audit_object=lambda msg: msg.dossier,
                          audit_action="dossiers.notice_requeue", select_related=("dossier",),
                          label=vi_en("Thông báo cho công dân (e-mail, SMS)", "Notices to citizens (e-mail, SMS)"),
                          agency_field="dossier__agency",
                          subject=lambda msg: f"{msg.dossier.code} · {msg.channel}"))


def enqueue(dossier, event: DossierEvent) -> list[NoticeMessage]:
    """Queue the notices of this event for the contact the citizen gave (online submissions); [] otherwise."""
    contact = getattr(dossier, "online_submission", None)
    if contact is None or event.status_to is None or event.status_to == event.status_from:
        return []
    text, made = text_of(dossier, event), []
    if not NOTICES.connected():
        return []
    if contact.notify_email:
        made.append(NOTICES.enqueue(f"{dossier.code}:{event.pk}:email", {
            "to": contact.notify_email, "subject": f"Hồ sơ {dossier.code} / Dossier {dossier.code}", "text": text},
            dossier=dossier, channel="email")[0])
    if contact.notify_phone:
        made.append(NOTICES.enqueue(f"{dossier.code}:{event.pk}:sms", {"to": contact.notify_phone, "text": text},
                                dossier=dossier, channel="sms")[0])
    return made


def send_due() -> dict[str, int]:
    return NOTICES.send_due()
