"""Backfill: the note of every existing notice, 500 rows per transaction (atomic = False), so no lock is held for
long while the old release keeps writing rows without a note (release 2 reads those as the title)."""

from django.db import migrations, transaction

BATCH = 500


def backfill(apps, schema_editor):
    Notice = apps.get_model("release_probe", "Notice")
    while True:
        with transaction.atomic():
            ids = list(Notice.objects.filter(note__isnull=True).order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                return
            Notice.objects.filter(pk__in=ids, note__isnull=True).update(note="(trước bản phát hành 2)")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("release_probe", "0002_notice_note")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
