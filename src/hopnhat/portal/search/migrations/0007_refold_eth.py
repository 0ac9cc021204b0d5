"""`core.text.fold` now folds Ð/ð (the look-alike of Đ that old converters and fonts left) to d: recompute the
stored keys of the rows whose text holds them, so they meet their correctly spelled twins."""

from django.db import migrations

from hopnhat.core.text import refold_stored


def refold(apps, schema_editor):
    refold_stored(apps, "portal_search", "SearchDocument", {"title_key": "title", "body_key": "body"})


class Migration(migrations.Migration):
    dependencies = [("portal_search", "0006_syllable_bigrams")]
    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
