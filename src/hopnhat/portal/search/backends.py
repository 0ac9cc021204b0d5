"""The two full-text engines behind one interface: SQLite FTS5 (embedded) and PostgreSQL tsvector (production).

Both index the folded columns of SearchDocument (title_key, places_key, body_key) with weights title > places >
body, and both are kept in step by triggers created in migration 0001, so an ORM write, a bulk_create or a
cascaded delete updates the index in the same transaction.

A query reaches a backend already parsed: a list of groups, each a list of alternative phrases (tuples of
folded tokens). `match` returns ranked candidates (id, unit, type, year, score, higher is better).
"""

import dataclasses
from dataclasses import dataclass

from django.db import connection

DOC_TABLE = "portal_search_searchdocument"
FTS_TABLE = "portal_search_fts"
# PostgreSQL reads body-only matches only when fewer documents than this hold the query in title or places:
# intersecting the long posting lists of common syllables (cấp, đổi, công, dân) in the body index is the costly
# step at 200,000 documents.
BODY_BELOW = 20
# What a candidate carries (see Candidate), read in the same pass that finds it.
COLUMNS = "d.id, d.origin_unit_id, d.doc_type, d.year, d.title_key"
# Weights of title, places and body: a word in the title counts as much as ten in the body.
WEIGHTS = (10.0, 4.0, 1.0)

Phrase = tuple[str, ...]


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a common query builds 500 of
# these (0.8 ms against 0.1 ms with plain slots).
@dataclass(slots=True)
class Candidate:
    id: int
    unit_id: int | None
    doc_type: str
    year: int | None
    score: float
    title_key: str = ""
    flags: int = 0  # bit i set: the document holds probe i of its ask (see match_many)
    head: bool = False  # PostgreSQL: found in the title or places, not only in the body


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

    def match_many(self, asks, *, limit=1000, enough=None, whole=False) -> list[list[Candidate]]:
        """Several queries ((groups, require_all[, probes]) tuples); in-process, so one at a time costs nothing
        more. Probes and `enough`: see PostgresBackend.match_many."""
        out = []
        for n, (groups, require_all, *probes) in enumerate(asks):
            if n and enough is not None and len(out[0]) >= enough:
                out.append([])
                continue
            found = self.match(groups, require_all=require_all, limit=limit)
            if probes and probes[0] and found:
                found = self._flag(found, probes[0])
            out.append(found)
        return out

    def _flag(self, found: list[Candidate], probes: list[list[Phrase]]) -> list[Candidate]:
        flags = dict.fromkeys((c.id for c in found), 0)
        marks = ", ".join(["%s"] * len(flags))
        with connection.cursor() as cur:
            for bit, phrases in enumerate(probes):
                if not self.expression([phrases]):  # nothing to ask: every document holds it
                    flags = {pk: f | 1 << bit for pk, f in flags.items()}
                    continue
                cur.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
                            f"AND rowid IN ({marks})", [self.expression([phrases]), *flags])
                for (pk,) in cur.fetchall():
                    flags[pk] |= 1 << bit
        return [dataclasses.replace(c, flags=flags[c.id]) for c in found]

    def holds(self, found: list[Candidate], probes: list[list[Phrase]]) -> list[Candidate]:
        """`found` with bit i of each one's flags set when the document holds probe i (a group's phrases)."""
        return self._flag(found, probes) if found else []

    @staticmethod
    def complete(found: list[Candidate], limit: int) -> bool:
        """Whether an answer read every match (see PostgresBackend.complete)."""
        return len(found) < limit

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
    def expression(groups: list[list[Phrase]], require_all: bool = True, bigrams: bool = False) -> str:
        """The tsquery text. With `bigrams`, a phrase is asked as its syllable bigrams ('can_cuoc' & 'cuoc_cong',
        lexemes of migration 0006), which the GIN index answers without re-reading rows; without, as a phrase
        ('can' <-> 'cuoc' <-> 'cong'), which ts_rank scores on positions."""
        parts = []
        for phrases in groups:
            alts = set()
            for phrase in phrases:
                tokens = [_clean(t) for t in phrase if _clean(t)]
                if bigrams and len(tokens) > 1:
                    terms = sorted({f"'{a}_{b}'" for a, b in zip(tokens, tokens[1:], strict=False)})
                    alts.add("(" + " & ".join(terms) + ")")
                elif tokens:
                    alts.add("(" + " <-> ".join(f"'{t}'" for t in tokens) + ")")
            if alts:
                parts.append("(" + " | ".join(sorted(alts)) + ")")
        return (" & " if require_all else " | ").join(parts)

    def match(self, groups, *, require_all=True, limit=1000) -> list[Candidate]:
        return self.match_many([(groups, require_all)], limit=limit)[0]

    def match_many(self, asks, *, limit=1000, enough=None, whole=False) -> list[list[Candidate]]:
        """Several queries ((groups, require_all[, probes]) tuples) in one statement: the wider tiers of one
        search cost one round trip and one plan, not one each. Probes are further groups (lists of phrases): bit
        i of a candidate's `flags` says whether the document holds probe i, checked on the rows read only.
        With `enough`, the asks after the first are fallbacks, read only when the first finds fewer rows than
        that (their answers are empty otherwise): a fallback that is not needed still costs its index scan, and
        the query without its place matches thousands of heads (6–7 ms of a natural question at 200,000
        documents).

        Each query: documents holding the whole query in their head (title, places) first, ranked on the head;
        then, when those are fewer than BODY_BELOW, documents holding it anywhere, ranked on everything. Each part
        reads at most `limit` rows: ranking every match of a common query is what makes PostgreSQL full-text slow
        at scale (tens of thousands of rows at 200,000 documents), so beyond `limit` matches the first found are
        ranked and the total is reported as a lower bound. Rows are found with the bigram query (index only) and
        ranked with the phrase query.

        With `whole`, the body part is read even when BODY_BELOW heads hold the query (up to `limit` rows more):
        for asks whose matches are known to be few (a question's rarer words, see engine._retrieve), where a
        document holding them only in its body is as likely the answer."""
        # ts_rank's weight array is {D, C, B, A}: body is C, places B, title A (see migration 0002). Only module
        # constants and tier numbers are formatted in; the user's words travel as parameters. Tokens are letters
        # and digits (_clean), so the tsquery input syntax (::tsquery, which keeps 'can_cuoc' whole) reads them
        # as written.
        weights = f"'{{0, {WEIGHTS[2] / 10}, {WEIGHTS[1] / 10}, {WEIGHTS[0] / 10}}}'"
        ctes, parts, params = [], [], []
        gate = None  # SQL that is true when the first ask found `enough`; its parameter follows
        for n, (groups, require_all, *probes) in enumerate(asks):
            found_by = self.expression(groups, require_all, bigrams=True)
            if not found_by:
                continue
            probe_sql = [self.expression([phrases], bigrams=True) for phrases in (probes[0] if probes else [])]
            # An empty probe (nothing searchable in it) is held by every document, as an empty group is.
            flags = " + ".join(f"(CASE WHEN d.search_vector @@ %s::tsquery THEN {1 << i} ELSE 0 END)" if sql
                               else str(1 << i) for i, sql in enumerate(probe_sql)) or "0"
            probe_sql = [sql for sql in probe_sql if sql]
            # A fallback's LIMIT is 0 when the first ask found enough: PostgreSQL then never starts its scans.
            skip, skip_params = (f"{gate} OR ", [enough]) if n and gate else ("", [])
            head_limit = f"CASE WHEN {gate} THEN 0 ELSE %s END" if skip else "%s"
            ctes += [
                f"q{n} AS (SELECT %s::tsquery AS m, %s::tsquery AS r)",
                f"h{n} AS MATERIALIZED (SELECT {COLUMNS}, 1 + ts_rank({weights}, d.head_vector, q.r, 1) AS score, "  # noqa: S608
                f"{flags} AS flags, true AS head FROM {DOC_TABLE} d, q{n} q WHERE d.head_vector @@ q.m "
                f"LIMIT {head_limit})",
                f"b{n} AS (SELECT {COLUMNS}, ts_rank({weights}, d.search_vector, q.r, 1) AS score, "  # noqa: S608
                f"{flags} AS flags, false AS head "
                f"FROM {DOC_TABLE} d, q{n} q WHERE d.search_vector @@ q.m AND NOT d.head_vector @@ q.m "  # noqa: S608
                + ("LIMIT %s)" if whole else
                 f"LIMIT CASE WHEN {skip}(SELECT count(*) FROM h{n}) >= %s THEN 0 "  # noqa: S608
                 f"ELSE %s - (SELECT count(*) FROM h{n}) END)"),
            ]
            parts += [f"SELECT {n} AS tier, * FROM h{n}", f"SELECT {n} AS tier, * FROM b{n}"]  # noqa: S608
            params += [found_by, self.expression(groups, require_all), *probe_sql, *skip_params, limit, *probe_sql,
                       *([limit] if whole else [*skip_params, BODY_BELOW, limit])]
            if n == 0 and enough is not None:
                gate = "(SELECT count(*) FROM h0) + (SELECT count(*) FROM b0) >= %s"
        out: list[list[Candidate]] = [[] for _ in asks]
        if not parts:
            return out
        # The rows were read once to be found; their few columns travel out with them rather than being fetched
        # again by id.
        sql = (
            f"WITH {', '.join(ctes)}, found AS ({' UNION ALL '.join(parts)}) "  # noqa: S608
            f"SELECT tier, id, origin_unit_id, doc_type, year, score, title_key, flags, head FROM found "
            f"ORDER BY tier, score DESC, id"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for row in cur.fetchall():
                out[row[0]].append(Candidate(*row[1:]))
        return out

    def holds(self, found: list[Candidate], probes: list[list[Phrase]]) -> list[Candidate]:
        """`found` with bit i of each one's flags set when the document holds probe i, in one statement over the
        rows' own tsvectors (no index scan: the rows are few and known)."""
        if not found:
            return []
        sql_probes = [self.expression([phrases], bigrams=True) for phrases in probes]
        flags = " + ".join(f"(CASE WHEN search_vector @@ %s::tsquery THEN {1 << i} ELSE 0 END)" if sql
                           else str(1 << i) for i, sql in enumerate(sql_probes)) or "0"
        ids = [c.id for c in found]
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, {flags} FROM {DOC_TABLE} "  # noqa: S608 — module constants and bit numbers
                        f"WHERE id IN ({', '.join(['%s'] * len(ids))})", [*(p for p in sql_probes if p), *ids])
            bits = dict(cur.fetchall())
        return [dataclasses.replace(c, flags=bits.get(c.id, 0)) for c in found]

    @staticmethod
    def complete(found: list[Candidate], limit: int) -> bool:
        """Whether an answer read every match: fewer than `limit`, and the body was searched too (it is not when
        BODY_BELOW documents already hold the query in their head)."""
        return len(found) < limit and sum(c.head for c in found) < BODY_BELOW

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
