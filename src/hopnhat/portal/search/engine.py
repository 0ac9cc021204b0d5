"""The one search function the page, the CLI and the mobile API call: `search(query, facets=…, page=…)`.

Steps: parse (fold, synonyms, places through the lineage, typo correction) → the vendor's full-text index
(every group required; any group when that finds nothing) → best bets pinned first → facet counts over the
candidates, each facet counted without its own filter (the GOV.UK drill-down rule) → one page of hits with
highlighted title and snippet.
"""

import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.db import connection

from hopnhat.org.models import AdminUnit, Vintage

from . import accents
from .backends import Candidate, get_backend
from .models import DocType, SearchDocument
from .query import Group, ParsedQuery, parse
from .snippets import exact_forms, highlight

MAX_CANDIDATES = 500  # ranked matches considered for facets and paging; more is reported as "500+"
RELATED_LIMIT = 100  # matches read from each wider tier (see _retrieve)
MAX_PER_PAGE = 50
MAX_QUERY_LENGTH = 200
FACETS = ("unit", "type", "year")
FACET_SIZE = 15
WIDEN_BELOW = 10  # fewer matches than this: ask again, less strictly (see _Plan)
# A query of this many groups that had to be widened is a question or a description: its wider matches are ranked
# by how much of it they hold (_by_coverage), and the "any group" tier tops them up.
QUESTION_GROUPS = 2
# A question's word held in the title counts this much more than in the body (see _by_coverage). 1 put
# documents whose title names a place holding a syllable of the question ("quán ăn" ~ "phường An Tường") first.
TITLE_BONUS = 0.5


class SearchError(ValueError):
    """A bad search request; the message names the parameter, Vietnamese first."""


@dataclass
class Hit:
    id: int
    title: str
    url: str
    title_html: str
    snippet_html: str
    doc_type: str
    doc_type_label: str
    unit: str | None
    unit_id: int | None
    date: str | None
    score: float
    pinned: bool = False
    related: bool = False  # from a wider tier: not every word of the query (or not at that place)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    total_is_lower_bound: bool = False
    page: int = 1
    per_page: int = 10
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    selected: dict[str, list[str]] = field(default_factory=dict)
    suggestion: str | None = None
    relaxed: bool = False  # no document held every word; these hold some of them
    parsed: ParsedQuery | None = None
    took_ms: float = 0.0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict:
        return {
            "query": self.query, "total": self.total, "total_is_lower_bound": self.total_is_lower_bound,
            "page": self.page, "per_page": self.per_page, "pages": self.pages,
            "suggestion": self.suggestion, "relaxed": self.relaxed,
            "hits": [asdict(h) for h in self.hits],
            "facets": {name: [asdict(v) for v in values] for name, values in self.facets.items()},
            "selected": self.selected,
            "understood": self.parsed.as_dict()["groups"] if self.parsed else [],
            "took_ms": self.took_ms,
        }


def _clean_facets(facets: dict | None) -> dict[str, set]:
    out: dict[str, set] = {name: set() for name in FACETS}
    for name, values in (facets or {}).items():
        if name not in FACETS:
            raise SearchError(f"Bộ lọc “{name}” không có; dùng {', '.join(FACETS)} / unknown facet “{name}”")
        for value in values if isinstance(values, list | tuple | set) else [values]:
            if value in ("", None):
                continue
            if name == "type":
                if value not in DocType.values:
                    raise SearchError(f"Loại “{value}” không có; dùng {', '.join(DocType.values)} "
                                      f"/ unknown type “{value}”")
                out[name].add(value)
                continue
            try:
                out[name].add(int(value))
            except (TypeError, ValueError):
                raise SearchError(f"Bộ lọc “{name}” cần số, nhận “{value}” / facet “{name}” needs a number, "
                                  f"got “{value}”") from None
    return out


_ATTRIBUTE = {"unit": "unit_id", "type": "doc_type", "year": "year"}


def _value(candidate: Candidate, name: str):
    return getattr(candidate, _ATTRIBUTE[name])


def _passes(candidate: Candidate, chosen: dict[str, set], skip: str | None = None) -> bool:
    return all(not values or getattr(candidate, _ATTRIBUTE[name]) in values
               for name, values in chosen.items() if name != skip)


def _facet_tally(candidates: list[Candidate], chosen: dict[str, set]) -> dict[str, Counter]:
    counts = {}
    for name in FACETS:
        others = {n: v for n, v in chosen.items() if n != name and v}
        kept = [c for c in candidates if _passes(c, others)] if others else candidates
        counts[name] = Counter(getattr(c, _ATTRIBUTE[name]) for c in kept)
    for counter in counts.values():
        counter.pop(None, None)
    return counts


def _facet_values(counts: dict[str, Counter], chosen: dict[str, set],
                  units: dict[int, tuple[str, str]]) -> dict[str, list[FacetValue]]:
    """`units`: id → (name, vintage) of the units the tally names most (see _page_rows)."""
    type_labels = dict(DocType.choices)

    def unit_label(pk):
        name, vintage = units[pk]
        return f"{name} (trước 7/2025)" if vintage == Vintage.OLD else name

    return {
        "unit": [FacetValue(str(pk), unit_label(pk), n, pk in chosen["unit"])
                 for pk, n in counts["unit"].most_common(FACET_SIZE) if pk in units],
        "type": [FacetValue(t, type_labels[t], n, t in chosen["type"])
                 for t, n in counts["type"].most_common(FACET_SIZE)],
        "year": [FacetValue(str(y), str(y), n, y in chosen["year"])
                 for y, n in sorted(counts["year"].items(), reverse=True)[:FACET_SIZE]],
    }


@dataclass
class _Shown:
    """What a hit shows of its document (see _page_rows)."""

    id: int
    title: str
    url: str
    body: str
    doc_type: str
    date: str | None
    unit: str | None
    unit_id: int | None


def _page_rows(doc_ids: list[int], unit_ids: list[int]) -> tuple[dict[int, _Shown], dict[int, tuple[str, str]]]:
    """The shown documents (with their unit's name) and the facet's unit labels in one statement: after the
    index, a search's remaining round trips and ORM model building were a few milliseconds of every query."""
    docs, units = SearchDocument._meta.db_table, AdminUnit._meta.db_table
    parts, params = [], []
    if doc_ids:
        parts.append(f"SELECT 'd', d.id, d.title, d.url, d.body, d.doc_type, d.date, u.name, d.origin_unit_id "  # noqa: S608 — model tables
                     f"FROM {docs} d LEFT JOIN {units} u ON u.id = d.origin_unit_id "
                     f"WHERE d.id IN ({', '.join(['%s'] * len(doc_ids))})")
        params += doc_ids
    if unit_ids:
        parts.append(f"SELECT 'u', id, name, vintage, NULL, NULL, NULL, NULL, NULL FROM {units} "  # noqa: S608
                     f"WHERE id IN ({', '.join(['%s'] * len(unit_ids))})")
        params += unit_ids
    shown: dict[int, _Shown] = {}
    labels: dict[int, tuple[str, str]] = {}
    if not parts:
        return shown, labels
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts), params)
        for kind, pk, a, b, body, doc_type, date, unit, unit_id in cur.fetchall():
            if kind == "u":
                labels[pk] = (a, b)
            else:  # SQLite returns the date as its ISO text, PostgreSQL as a date
                day = date.isoformat() if hasattr(date, "isoformat") else date
                shown[pk] = _Shown(pk, a, b, body or "", doc_type, day, unit, unit_id)
    return shown, labels


@dataclass
class _Plan:
    """What to ask, strictest first: every group (`strict`); then without the commonest words one by one, keeping
    at least half of the query and the place (`drops`, each tier holding the one before it); then the query
    without its place (the same procedure elsewhere); then any group (`anyone`)."""

    strict: list[Group]
    drops: list[list[Group]]
    dropped: list[Group]  # the word each tier of `drops` leaves out, in order
    without_place: list[Group] | None
    anyone: bool


def _plan(parsed: ParsedQuery) -> _Plan:
    groups = parsed.groups
    keep = -(-sum(g.kind != "place" for g in groups) // 2)
    current, drops, dropped = list(groups), [], []
    # A word no document holds (not in the vocabulary, and no typo correction found) goes first: every tier that
    # keeps it finds nothing. Then the commonest.
    for word in sorted((g for g in groups if g.kind == "word"), key=lambda g: (g.doc_count > 0, -g.doc_count)):
        if sum(g.kind != "place" for g in current) <= keep:
            break
        current = [g for g in current if g is not word]
        drops.append(current)
        dropped.append(word)
    without_place = [g for g in groups if g.kind != "place"]
    if not without_place or len(without_place) == len(groups):
        without_place = None
    return _Plan(groups, drops, dropped, without_place, len(groups) > 1)


def _title_order(candidates: list[Candidate], groups: list[Group], pairs: list[list] = ()) -> list[Candidate]:
    """Within one tier, documents whose title holds more of the query come first (the "attribute" rule of
    Meilisearch's ranking), then those whose title holds more of the query's adjacent word pairs as written
    (the "proximity" rule: "đăng ký kết hôn" over "đăng ký dự thi, kỳ thi kết thúc với hơn…"); the index's score
    orders the rest. `pairs`: see _pairs."""
    phrases = [[f" {' '.join(p)} " for p in g.phrases] for g in groups]
    pair_keys = [[f" {' '.join(p)} " for p in alts] for alts in pairs]

    def coverage(c: Candidate) -> int:
        # Plain loops: a common query orders 500 candidates, and generators in any()/sum() made this several
        # times slower (milliseconds of the search).
        title, n = f" {c.title_key} ", 0
        for alts in phrases:
            for p in alts:
                if p in title:
                    n += 1
                    break
        return n

    def adjacent(c: Candidate) -> int:
        title, n = f" {c.title_key} ", 0
        for alts in pair_keys:
            for p in alts:
                if p in title:
                    n += 1
                    break
        return n

    if not pair_keys:
        return sorted(candidates, key=lambda c: (-coverage(c), -c.score))
    return sorted(candidates, key=lambda c: (-coverage(c), -adjacent(c), -c.score))


def _pairs(parsed: ParsedQuery, groups: list[Group] | None = None) -> list[list]:
    """The query's compound words as units: each two word groups typed next to each other ("đăng ký", "kinh
    doanh", "kết hôn"), as the alternative two-syllable phrases they stand for (a typo's correction included).
    A document holding the pair as written says more than one holding both syllables apart; the index keeps
    syllable bigrams (PostgreSQL's 'dang_ky' lexemes, FTS5's phrase queries), so asking for them is cheap."""
    groups = parsed.groups if groups is None else groups
    typed = f" {parsed.key} "
    out = []
    for a, b in zip(groups, groups[1:], strict=False):
        if a.kind == "word" and b.kind == "word" and f" {a.text} {b.text} " in typed:
            out.append(sorted({(*pa, *pb) for pa in a.phrases for pb in b.phrases}))
    return out


def _phrases(groups: list[Group]) -> list[list]:
    return [g.phrases for g in groups]


def _drop_tiers(backend, plan: _Plan, widest: list[Candidate]) -> list[list[Candidate]]:
    """The matches of every tier of plan.drops. The widest tier holds all the others: when its answer is
    complete, tier k is the part of it that also holds the words tier k keeps and the widest leaves out (the
    probe flags); otherwise the narrower tiers are asked as well."""
    if not backend.complete(widest, RELATED_LIMIT):
        return [*backend.match_many([(_phrases(t), True) for t in plan.drops[:-1]], limit=RELATED_LIMIT), widest]
    tiers = []
    for k in range(len(plan.drops)):
        # Tier k keeps dropped[k + 1:], which are probes k … (probe i is dropped[i + 1]).
        need = sum(1 << i for i in range(k, len(plan.dropped) - 1))
        tiers.append([c for c in widest if c.flags & need == need])
    return tiers


def _retrieve(parsed: ParsedQuery) -> tuple[list[Candidate], set[int], bool, bool]:
    """Ranked candidates, tier by tier (see _Plan) until there are WIDEN_BELOW of them. Returns the candidates,
    the ids that came from a wider tier than the first, whether the "any group" tier was used, and whether a
    tier had more matches than it read (the total is then a lower bound).

    The index is asked in few rounds: the strict tier; when that finds too few, the widest of the drop-word
    tiers (the narrower ones are read off its answer, see _drop_tiers) and the query without its place, in one
    statement on PostgreSQL, the latter scanned only when the widest found fewer than WIDEN_BELOW; the "any
    group" tier only when all of those found nothing. A wider tier reads at most RELATED_LIMIT rows: its
    documents are shown after the strict ones as related, and reading hundreds of them (the query without its
    place matches thousands) is most of a search's time."""
    backend = get_backend()
    plan = _plan(parsed)
    candidates: list[Candidate] = []
    related: set[int] = set()
    relaxed = capped = False
    pairs = _pairs(parsed)

    def take(groups: list[Group], require_all: bool, found: list[Candidate], limit: int, wider=True) -> None:
        nonlocal relaxed, capped
        capped = capped or len(found) >= limit
        seen = {c.id for c in candidates}
        more = _title_order([c for c in found if c.id not in seen], groups, pairs)
        if wider:
            related.update(c.id for c in more)
        relaxed = relaxed or (bool(more) and not require_all)
        candidates.extend(more[:MAX_CANDIDATES - len(candidates)])

    [found] = backend.match_many([(_phrases(plan.strict), True)], limit=MAX_CANDIDATES)
    take(plan.strict, True, found, MAX_CANDIDATES, wider=False)
    if len(candidates) >= WIDEN_BELOW:
        return candidates, related, relaxed, capped
    asks = []
    if plan.drops:
        asks.append((_phrases(plan.drops[-1]), True, [g.phrases for g in plan.dropped[1:]]))
    if plan.without_place:
        asks.append((_phrases(plan.without_place), True))
    # The drop-word tiers together hold every document of the widest one, so when that finds WIDEN_BELOW the
    # query without its place is never taken: its scans run only when the widest finds fewer.
    answers = backend.match_many(asks, limit=RELATED_LIMIT, enough=WIDEN_BELOW if plan.drops else None) if asks else []
    wider = list(zip(plan.drops, _drop_tiers(backend, plan, answers.pop(0)), strict=True)) if plan.drops else []
    if plan.without_place:
        wider.append((plan.without_place, answers.pop(0)))
    for groups, found in wider:
        if len(candidates) >= WIDEN_BELOW:
            break
        take(groups, True, found, RELATED_LIMIT)
    # With a place the tiers above already say what to prefer (the topic at that place, then elsewhere).
    question = len(plan.strict) >= QUESTION_GROUPS and not any(g.kind == "place" for g in plan.strict)
    # A question no document answers word for word, or one asked in words (its question or function words were
    # dropped: "… thì đổi ở đâu"), whose tiers found only a few: top up with the documents holding any of its
    # words (ranked by coverage below). A plain query some document holds whole is not topped up: what it finds
    # is what it asked for.
    strict_found = any(c.id not in related for c in candidates)
    asked = len(parsed.key.split()) > sum(len(g.text.split()) for g in parsed.groups)
    if plan.anyone and (not candidates or (question and (asked or not strict_found)
                                           and len(candidates) < WIDEN_BELOW)):
        # A word more documents hold than the tier reads cannot choose among them: OR-ed in, it fills the read
        # with whichever of its documents come first (PostgreSQL reads the first found, unranked). A question's
        # top-up asks for its rarer words only; the common ones still count in _by_coverage.
        ask = plan.strict
        if question:
            ask = [g for g in plan.strict if g.kind != "word" or g.doc_count < RELATED_LIMIT] or plan.strict
        [found] = backend.match_many([(_phrases(ask), False)], limit=RELATED_LIMIT, whole=ask is not plan.strict)
        take(plan.strict, False, found, RELATED_LIMIT)
    if question and related:
        candidates = _by_coverage(backend, plan.strict, candidates, related, pairs)
    return candidates, related, relaxed, capped


def _by_coverage(backend, groups: list[Group], candidates: list[Candidate], related: set[int],
                 pairs: list[list] = ()) -> list[Candidate]:
    """A question that no document answers word for word ("làm sổ đỏ mất bao lâu"): the documents that hold some
    of its words, those holding the most of it first — each word weighted by how rare it is (a word most
    documents hold says little; BM25's IDF from the index's own document counts), a place or a synonym as much
    as the rarest word, a word only a typo correction found at half (in a question it is more often a word the
    portal never uses: "cưới" is not "tuổi"); a word in the title counts twice (the title says what a document
    is about), and each of the question's compound words held as written (`pairs`, see _pairs) adds its
    syllables' mean weight. Then in the order they came. The strict matches stay first."""
    strict = [c for c in candidates if c.id not in related]
    wider = backend.holds([c for c in candidates if c.id in related], [g.phrases for g in groups] + list(pairs))
    counts = [g.doc_count for g in groups if g.kind == "word" and g.doc_count]
    most = max(counts, default=1) + 1
    weights = [math.log(1 + most / (1 + (g.doc_count if g.kind == "word" else 0))) * (0.5 if g.correction else 1)
               for g in groups]
    by_text = {g.text: w for g, w in zip(groups, weights, strict=True)}
    pair_weights = [max(sum(by_text.get(t, 0) for t in alt) for alt in alts) / 2 for alts in pairs]
    phrases = [[f" {' '.join(p)} " for p in g.phrases] for g in groups]
    n = len(groups)

    def covered(c: Candidate) -> float:
        title = f" {c.title_key} "
        score = 0.0
        for i, w in enumerate(weights):
            if c.flags >> i & 1:
                score += w
                for p in phrases[i]:
                    if p in title:
                        score += w * TITLE_BONUS
                        break
        for j, w in enumerate(pair_weights):
            if c.flags >> (n + j) & 1:
                score += w
        return score

    order = {c.id: k for k, c in enumerate(wider)}
    return strict + sorted(wider, key=lambda c: (-round(covered(c), 6), order[c.id]))


_TYPE_LABELS = dict(DocType.choices)


def _hit(doc: _Shown, tokens: set[str], score: float, pinned: bool, related: bool,
         exact: dict[str, frozenset[str]] | None = None) -> Hit:
    return Hit(
        id=doc.id, title=doc.title, url=doc.url, title_html=highlight(doc.title, tokens, window=None, exact=exact),
        snippet_html=highlight(doc.body, tokens, exact=exact), doc_type=doc.doc_type,
        doc_type_label=str(_TYPE_LABELS.get(doc.doc_type, doc.doc_type)), unit=doc.unit, unit_id=doc.unit_id,
        date=doc.date, score=round(score, 6), pinned=pinned, related=related,
    )


def search(query: str, *, facets: dict | None = None, page: int = 1, per_page: int = 10) -> Results:
    started = time.perf_counter()
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchError(f"Câu tìm dài quá {MAX_QUERY_LENGTH} ký tự / the query is longer than "
                          f"{MAX_QUERY_LENGTH} characters")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(f"per_page phải từ 1 đến {MAX_PER_PAGE} / per_page must be 1–{MAX_PER_PAGE}")
    if page < 1:
        raise SearchError("page phải từ 1 / page must be at least 1")
    chosen = _clean_facets(facets)
    results = Results(query=query, page=page, per_page=per_page,
                      selected={k: sorted(map(str, v)) for k, v in chosen.items() if v})
    if not query:
        return results
    parsed = results.parsed = parse(query, within=chosen["unit"])
    results.suggestion = parsed.suggestion
    candidates, related, results.relaxed, capped = _retrieve(parsed)
    candidates = accents.rerank(query, candidates, related, {g.text for g in parsed.groups if g.kind == "word"})
    counts = _facet_tally(candidates, chosen)
    results.total_is_lower_bound = capped or len(candidates) >= MAX_CANDIDATES
    pinned_ids = list(parsed.pinned)
    filtered = any(chosen.values())
    organic = [c for c in candidates if c.id not in pinned_ids and (not filtered or _passes(c, chosen))]
    if filtered:  # a best bet is for the plain query; a filtered view shows what the filter asks
        pinned_ids = []
    ranked = [(pk, 0.0, True) for pk in pinned_ids] + [(c.id, c.score, False) for c in organic]
    results.total = len(ranked)
    window = ranked[(page - 1) * per_page: page * per_page]
    docs, units = _page_rows([pk for pk, _, _ in window], [u for u, _ in counts["unit"].most_common(FACET_SIZE)])
    results.facets = _facet_values(counts, chosen, units)
    tokens = parsed.match_tokens
    # Typed with diacritics, a word is marked only as typed: "hôn" does not mark "Hơn" (issue 19).
    exact = exact_forms(query, {g.text for g in parsed.groups if g.kind == "word" and not g.correction})
    results.hits = [_hit(docs[pk], tokens, score, pinned, pk in related, exact) for pk, score, pinned in window
                    if pk in docs]
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results
