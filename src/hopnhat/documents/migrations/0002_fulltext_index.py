"""Staff full-text search over the documents' folded metadata and attachment text: on PostgreSQL a GIN index on
the 'simple' tsvector of both columns (the text is folded already, so no dictionary is needed); SQLite scans
(documents.lookup.search_q says which query each side uses)."""

from django.db import migrations

INDEX = ("CREATE INDEX IF NOT EXISTS documents_document_fts ON documents_document USING gin "
         "(to_tsvector('simple'::regconfig, search_text || ' ' || content_text))")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS documents_document_fts")


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
