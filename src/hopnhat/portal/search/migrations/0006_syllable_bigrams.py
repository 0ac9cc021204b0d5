"""PostgreSQL: syllable bigrams ("can_cuoc", "gia_lam") join the unigrams in both tsvectors.

Vietnamese words are several syllables and most syllables are common (cấp, đổi, công, dân), so a phrase
(`'can' <-> 'cuoc'`) made PostgreSQL intersect long posting lists and then re-read every candidate's tsvector
from the heap to check positions (GIN does not store them). A bigram is one rare lexeme: the index answers a
phrase on its own, without a recheck. The bigrams carry no positions, so ranking (on the unigrams) is unchanged.

The same rewrite gives the table a narrow heap: long values (body, body_key, search_vector) live in TOAST
(toast_tuple_target 256), while what every candidate is found and ranked by (head_vector, title_key) stays in the
row (STORAGE MAIN). A common query reads 500 candidate rows; from the wide heap that was 500 pages that no longer
fit in shared buffers at 200,000 documents, from the narrow one a few dozen.
"""

from django.db import migrations

BIGRAMS = (
    "CREATE OR REPLACE FUNCTION hopnhat_bigrams(text) RETURNS tsvector AS $$ "
    "SELECT coalesce(array_to_tsvector(array_agg(w || '_' || n)), ''::tsvector) FROM ("
    "SELECT w, lead(w) OVER (ORDER BY i) AS n FROM unnest(string_to_array($1, ' ')) WITH ORDINALITY AS t(w, i)) s "
    "WHERE n IS NOT NULL AND w <> '' AND n <> '' AND length(w) + length(n) < 200 "
    "$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
)


def _vectors(bigrams: bool) -> list[str]:
    narrow = ", ALTER COLUMN head_vector SET STORAGE MAIN, ALTER COLUMN title_key SET STORAGE MAIN" if bigrams else ""

    def part(column, weight):
        unigrams = f"setweight(to_tsvector('simple'::regconfig, {column}), '{weight}')"
        return f"{unigrams} || hopnhat_bigrams({column})" if bigrams else unigrams

    head = f"{part('title_key', 'A')} || {part('places_key', 'B')}"
    full = f"{head} || {part('body_key', 'C')}"
    return [
        "DROP INDEX IF EXISTS portal_search_head_gin",
        "DROP INDEX IF EXISTS portal_search_vector_gin",
        "ALTER TABLE portal_search_searchdocument DROP COLUMN IF EXISTS head_vector, "
        "DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE portal_search_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({full}) "
        f"STORED, ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ({head}) STORED{narrow}",
        "CREATE INDEX portal_search_vector_gin ON portal_search_searchdocument USING gin (search_vector)",
        "CREATE INDEX portal_search_head_gin ON portal_search_searchdocument USING gin (head_vector)",
    ]


FORWARD = [BIGRAMS, "ALTER TABLE portal_search_searchdocument SET (toast_tuple_target = 256)",
           *_vectors(bigrams=True)]
REVERSE = ["ALTER TABLE portal_search_searchdocument RESET (toast_tuple_target)", "ALTER TABLE "
           "portal_search_searchdocument ALTER COLUMN title_key SET STORAGE EXTENDED", *_vectors(bigrams=False),
           "DROP FUNCTION IF EXISTS hopnhat_bigrams(text)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("portal_search", "0005_term_trigram_expression"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
