"""The số/ký hiệu + issuer look-up (documents.lookup.find) reads the notation numbers of one normalised key from one
issuer's lineage: an index on (key, issuer, document) for the notation scheme answers it from the index alone,
however many agencies share the number ("01/QĐ-UBND"). A rolling migration: on PostgreSQL the index is built
CONCURRENTLY (the numbers table is written by registrations while it builds; this migration is not atomic), and
the old code runs unchanged beside it."""

from django.db import migrations, models

NAME = "document_number_notation"
INDEX = models.Index(fields=["key", "issuer", "document"], name=NAME, condition=models.Q(scheme="notation"))


def forwards(apps, schema_editor):
    model = apps.get_model("documents", "DocumentNumber")
    if schema_editor.connection.vendor == "postgresql":
        # a concurrent build cut short leaves an invalid index of the name: drop it and build again
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY {NAME} ON documents_documentnumber (key, issuer_id, document_id) "
            "WHERE scheme = 'notation'")
    else:
        schema_editor.add_index(model, INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    else:
        schema_editor.remove_index(apps.get_model("documents", "DocumentNumber"), INDEX)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("documents", "0002_fulltext_index")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="documentnumber", index=INDEX)],
            database_operations=[migrations.RunPython(forwards, backwards)]),
    ]
