"""`core.text.fold` now folds Ð/ð (the look-alike of Đ that old converters and fonts left) to d: recompute the
stored keys of the rows whose text holds them, so they meet their correctly spelled twins."""

from django.db import migrations

from hopnhat.core.text import refold_stored


def refold(apps, schema_editor):
    refold_stored(apps, "dossiers", "Procedure", {"name_key": "name"})


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0003_assignee_roles_outbox_dead")]
    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
