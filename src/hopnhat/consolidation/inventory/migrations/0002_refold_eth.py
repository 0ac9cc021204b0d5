"""`core.text.fold` now folds Ð/ð (the look-alike of Đ that old converters and fonts left) to d: recompute the
stored keys of the rows whose text holds them, so they meet their correctly spelled twins."""

from django.db import migrations

from hopnhat.core.text import refold_stored


def refold(apps, schema_editor):
    refold_stored(apps, "consolidation_inventory", "OldSystem", {"name_key": "name"})


class Migration(migrations.Migration):
    dependencies = [("consolidation_inventory", "0001_initial")]
    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
