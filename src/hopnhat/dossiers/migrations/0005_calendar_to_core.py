"""The working-day calendar's exceptions move to core (one calendar for dossiers, documents and reports).

Expand, then contract: the rows are copied and the model leaves this app's state, but its table stays in the
database for one release, so the previous release's code, still serving during a rolling update, keeps reading it
(docs/contributing.md, "Migrations that roll"). A later release drops `dossiers_calendarday`."""

from django.db import migrations


def copy_days(apps, schema_editor):
    old = apps.get_model("dossiers", "CalendarDay")
    new = apps.get_model("core", "CalendarDay")
    new.objects.bulk_create(
        [new(date=d.date, kind=d.kind, note=d.note) for d in old.objects.all()], ignore_conflicts=True
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("dossiers", "CalendarDay")
    new = apps.get_model("core", "CalendarDay")
    old.objects.bulk_create([old(date=d.date, kind=d.kind, note=d.note) for d in new.objects.all()])


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_refold_eth"),
        ("core", "0003_calendarday"),
    ]

    operations = [
        migrations.RunPython(copy_days, copy_back),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="CalendarDay")],
                                            database_operations=[]),
    ]
