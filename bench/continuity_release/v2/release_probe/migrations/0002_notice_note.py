"""Add: a nullable column (release 1 keeps inserting without it). On PostgreSQL a nullable column without a
default is a catalogue change: the ACCESS EXCLUSIVE lock is held for milliseconds (the harness runs migrate with
lock_timeout so that it gives up rather than queue every request behind a long transaction)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("release_probe", "0001_initial")]
    operations = [migrations.AddField("notice", "note", models.CharField(max_length=200, null=True, blank=True))]
