"""The two full-text engines behind one interface: SQLite FTS5 (embedded) and PostgreSQL tsvector (production).

Both index the folded columns of SearchDocument (title_key, places_key, body_key) with weights title > places >
body, and both are kept in step by triggers created in migration 0001, so an ORM write, a bulk_create or a
cascaded delete updates the index in the same transaction.

A query reaches a backend already parsed: a list of groups, each a list of alternative phrases (tuples of
folded tokens). `match` returns ranked candidates (id, unit, type, year, score, higher is better).
"""

from dataclasses import dataclass

from django.db import connection

DOC_TABLE = "portal_search_searchdocument"
FTS_TABLE = "portal_search_fts"
# PostgreSQL reads body-only matches only when fewer documents than this hold the query in title or places:
# intersecting the long posting lists of common syllables (cấp, đổi, công, dân) in the body index is the costly
# step at 200,000 documents.
BODY_BELOW = 20
# Weights of title, places and body: a word in the title counts as much as ten in the body.
WEIGHTS = (10.0, 4.0, 1.0)

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    id: int
    unit_id: int | None
    doc_type: str
    year: int | None
    score: float
    title_key: str = ""


def _clean(token: str) -> str:
    """Tokens are fold() output; keep letters and digits only so nothing reaches the query language raw."""
    return "".join(ch for ch in token if ch.isalnum())


class SqliteBackend:
    vendor = "sqlite"

    @staticmethod
    def expression(groups: list[list[Phrase]], require_all: bool = True) -> str:
        parts = []
        for phrases in groups:
            alts = sorted({" ".join(_clean(t) for t in p if _clean(t)) for p in phrases} - {""})
            if alts:
                parts.append("(" + " OR ".join(f'"{a}"' for a in alts) + ")")
        return (" AND " if require_all else " OR ").join(parts)

    def match(self, groups, *, require_all=True, limit=1000) -> list[Candidate]:
        expr = self.expression(groups, require_all)
        if not expr:
            return []
        # Only module constants are formatted in; the user's words travel as the MATCH parameter.
        sql = (
            f"SELECT d.id, d.origin_unit_id, d.doc_type, d.year, bm25({FTS_TABLE}, %s, %s, %s) AS score, "  # noqa: S608
            f"d.title_key "
            f"FROM {FTS_TABLE} JOIN {DOC_TABLE} d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY score LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*WEIGHTS, expr, limit])
            # bm25() is lower-is-better and negative; flip it so every backend ranks "higher is better".
            return [Candidate(r[0], r[1], r[2], r[3], -r[4], r[5]) for r in cur.fetchall()]

    def plain_match(self, text: str, *, limit=1000) -> list[int]:
        """The baseline we measure against: FTS5 with its stock tokenizer over the unfolded text."""
        with connection.cursor() as cur:
            cur.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.plain_fts USING fts5(title, body)")
            cur.execute("SELECT count(*) FROM temp.plain_fts")
            if cur.fetchone()[0] == 0:
                cur.execute(f"INSERT INTO temp.plain_fts(rowid, title, body) SELECT id, title, body "  # noqa: S608
                            f"FROM {DOC_TABLE}")
            words = [w for w in (_clean(t) for t in text.lower().split()) if w]
            if not words:
                return []
            cur.execute("SELECT rowid FROM temp.plain_fts WHERE plain_fts MATCH %s ORDER BY bm25(plain_fts, 10.0, 1.0) "
                        "LIMIT %s", [" AND ".join(f'"{w}"' for w in words), limit])
            return [r[0] for r in cur.fetchall()]

    def reset_plain(self) -> None:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS temp.plain_fts")


class PostgresBackend:
    vendor = "postgresql"

    @staticmethod
    def expression(groups: list[list[Phrase]], require_all: bool = True) -> str:
        parts = []
        for phrases in groups:
            alts = set()
            for phrase in phrases:
                tokens = [_clean(t) for t in phrase if _clean(t)]
                if tokens:
                    alts.add("(" + " <-> ".join(f"'{t}'" for t in tokens) + ")")
            if alts:
                parts.append("(" + " | ".join(sorted(alts)) + ")")
        return (" & " if require_all else " | ").join(parts)

    def match(self, groups, *, require_all=True, limit=1000) -> list[Candidate]:
        """Documents holding the whole query in their head (title, places) first, ranked on the head; then, when
        those are fewer than BODY_BELOW, documents holding it anywhere, ranked on everything. Each part reads at most
        `limit` rows: ranking every match of a common query is what makes PostgreSQL full-text slow at scale
        (tens of thousands of rows at 200,000 documents), so beyond `limit` matches the first found are ranked and
        the total is reported as a lower bound."""
        expr = self.expression(groups, require_all)
        if not expr:
            return []
        # ts_rank's weight array is {D, C, B, A}: body is C, places B, title A (see migration 0002). Only module
        # constants are formatted in; the user's words travel as the to_tsquery parameter.
        weights = f"'{{0, {WEIGHTS[2] / 10}, {WEIGHTS[1] / 10}, {WEIGHTS[0] / 10}}}'"
        sql = (
            f"WITH q AS (SELECT to_tsquery('simple', %s) AS q), "  # noqa: S608
            f"head AS MATERIALIZED (SELECT d.id, 1 + ts_rank({weights}, d.head_vector, q.q, 1) AS score "
            f"FROM {DOC_TABLE} d, q WHERE d.head_vector @@ q.q LIMIT %s), "
            f"body AS (SELECT d.id, ts_rank({weights}, d.search_vector, q.q, 1) AS score FROM {DOC_TABLE} d, q "
            f"WHERE d.search_vector @@ q.q AND NOT d.head_vector @@ q.q "
            f"LIMIT CASE WHEN (SELECT count(*) FROM head) >= %s THEN 0 "
            f"ELSE %s - (SELECT count(*) FROM head) END), "
            f"found AS (SELECT * FROM head UNION ALL SELECT * FROM body) "
            f"SELECT d.id, d.origin_unit_id, d.doc_type, d.year, found.score, d.title_key FROM found "
            f"JOIN {DOC_TABLE} d ON d.id = found.id ORDER BY found.score DESC, d.id"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [expr, limit, BODY_BELOW, limit])
            return [Candidate(*r) for r in cur.fetchall()]

    def plain_match(self, text: str, *, limit=1000) -> list[int]:
        """The baseline: PostgreSQL full-text ('simple' configuration) over the unfolded text."""
        sql = (
            f"SELECT id FROM {DOC_TABLE} WHERE to_tsvector('simple', title || ' ' || body) "  # noqa: S608
            f"@@ plainto_tsquery('simple', %s) ORDER BY ts_rank(to_tsvector('simple', title || ' ' || body), "
            f"plainto_tsquery('simple', %s), 1) DESC, id LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [text, text, limit])
            return [r[0] for r in cur.fetchall()]

    def reset_plain(self) -> None:
        """Nothing cached: the baseline reads the table directly."""

    def similar_terms(self, token: str, limit: int = 20) -> list[tuple[str, int]]:
        """Trigram neighbours of a long token (pg_trgm); short syllables go through edit candidates instead."""
        with connection.cursor() as cur:
            # lower(term) is term (fold output); it names the trigram index of migration 0005.
            cur.execute("SELECT term, doc_count FROM portal_search_searchterm WHERE lower(term) %% %s "
                        "ORDER BY similarity(lower(term), %s) DESC LIMIT %s", [token, token, limit])
            return list(cur.fetchall())


def get_backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
