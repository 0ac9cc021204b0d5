"""The DVCQG send as a background task (settings.TASKS; in-process and immediate by default): queued by
outbox.send_after_commit when a status change commits, it sends what is due for that one dossier."""

from django_tasks import task

from . import outbox


@task()
def send_dossier_outbox(dossier_id: int) -> dict:
    if not outbox.connected():
        return {"skipped": "HOPNHAT_DVCQG['url'] chưa đặt / is not set"}
    return outbox.send_due(dossier_ids=[dossier_id])
