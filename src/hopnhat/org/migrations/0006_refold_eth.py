"""`core.text.fold` now folds Ð/ð (the look-alike of Đ that old converters and fonts left) to d: recompute the
stored keys of the rows whose text holds them, so they meet their correctly spelled twins."""

from django.db import migrations

from hopnhat.core.text import refold_stored


def refold(apps, schema_editor):
    refold_stored(apps, "org", "AdminUnit", {"name_key": "name", "short_key": "short_name"})
    refold_stored(apps, "org", "UnitAlias", {"alias_key": "alias"})
    refold_stored(apps, "org", "Agency", {"name_key": "name"})
    refold_stored(apps, "org", "Person", {"name_key": "full_name"})


class Migration(migrations.Migration):
    dependencies = [("org", "0005_person_slim_indexes")]
    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
