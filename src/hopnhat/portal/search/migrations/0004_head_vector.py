"""PostgreSQL: a second, small tsvector over title and places (the "head" of a document) with its own GIN index.

Ranking every match of a common query (tens of thousands of rows at 200,000 documents) is what makes PostgreSQL
full-text slow; documents that hold the whole query in their head are few and are the ones worth ranking first.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE portal_search_searchdocument ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_key), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, places_key), 'B')) STORED",
    "CREATE INDEX portal_search_head_gin ON portal_search_searchdocument USING gin (head_vector)",
]
REVERSE = [
    "DROP INDEX IF EXISTS portal_search_head_gin",
    "ALTER TABLE portal_search_searchdocument DROP COLUMN IF EXISTS head_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("portal_search", "0003_seed_synonyms"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
