"""The series' covering index (issue 16 benchmark): (indicator, unit, disaggregation, period_start) INCLUDE the
columns the series reads, so a province's figures come from the index alone; it replaces value_series.

Rolls: on PostgreSQL both steps run CONCURRENTLY (no lock on a table of millions of figures while the previous
release keeps writing; hence atomic = False), the new index first, the old one dropped only once the new one
answers. The previous release's code runs against either index."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class _OnPostgresConcurrently:
    """CONCURRENTLY on PostgreSQL; the plain operation elsewhere (SQLite has no such option, nor the need)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexMaybeConcurrently(_OnPostgresConcurrently, AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexMaybeConcurrently(_OnPostgresConcurrently, RemoveIndexConcurrently):
    plain = migrations.RemoveIndex


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0002_submission_outbox"),
    ]

    operations = [
        AddIndexMaybeConcurrently(
            model_name="datavalue",
            index=models.Index(fields=["indicator", "unit", "disaggregation", "period_start"],
                               include=("period_end", "period_kind", "period", "is_current", "value"),
                               name="value_series_cover"),
        ),
        RemoveIndexMaybeConcurrently(model_name="datavalue", name="value_series"),
    ]
