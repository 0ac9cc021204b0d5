"""The full-text index over the folded columns, per database vendor, kept in step by triggers.

SQLite: an external-content FTS5 table with insert/update/delete triggers.
PostgreSQL: unaccent and pg_trgm, a generated tsvector column (title A, places B, body C) with a GIN index, a
trigram index on the vocabulary, and hopnhat_unaccent(), the IMMUTABLE wrapper unaccent() needs to be usable in
an index expression (unaccent itself is only STABLE).
"""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE portal_search_fts USING fts5(title_key, places_key, body_key, "
    "content='portal_search_searchdocument', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER portal_search_fts_ai AFTER INSERT ON portal_search_searchdocument BEGIN "
    "INSERT INTO portal_search_fts(rowid, title_key, places_key, body_key) "
    "VALUES (new.id, new.title_key, new.places_key, new.body_key); END",
    "CREATE TRIGGER portal_search_fts_ad AFTER DELETE ON portal_search_searchdocument BEGIN "
    "INSERT INTO portal_search_fts(portal_search_fts, rowid, title_key, places_key, body_key) "
    "VALUES ('delete', old.id, old.title_key, old.places_key, old.body_key); END",
    "CREATE TRIGGER portal_search_fts_au AFTER UPDATE ON portal_search_searchdocument BEGIN "
    "INSERT INTO portal_search_fts(portal_search_fts, rowid, title_key, places_key, body_key) "
    "VALUES ('delete', old.id, old.title_key, old.places_key, old.body_key); "
    "INSERT INTO portal_search_fts(rowid, title_key, places_key, body_key) "
    "VALUES (new.id, new.title_key, new.places_key, new.body_key); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS portal_search_fts_au",
    "DROP TRIGGER IF EXISTS portal_search_fts_ad",
    "DROP TRIGGER IF EXISTS portal_search_fts_ai",
    "DROP TABLE IF EXISTS portal_search_fts",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE OR REPLACE FUNCTION hopnhat_unaccent(text) RETURNS text AS "
    "$$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$ "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT",
    "ALTER TABLE portal_search_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_key), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, places_key), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body_key), 'C')) STORED",
    "CREATE INDEX portal_search_vector_gin ON portal_search_searchdocument USING gin (search_vector)",
    "CREATE INDEX portal_search_term_trgm ON portal_search_searchterm USING gin (term gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS portal_search_term_trgm",
    "DROP INDEX IF EXISTS portal_search_vector_gin",
    "ALTER TABLE portal_search_searchdocument DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS hopnhat_unaccent(text)",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("portal_search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
