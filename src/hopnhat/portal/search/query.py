"""From what a person typed to what the index is asked: folding, synonyms and acronyms, old place names expanded
through the lineage, and typo correction from our own vocabulary.

A parsed query is a list of groups. Each group is one idea of the query ("căn cước", "huyện Gia Lâm", "cấp")
and holds alternative phrases; a document matches a group when it holds any of them, and a query when it
matches every group (or, when nothing does, any group).
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection

from hopnhat.core import spelling
from hopnhat.core.text import fold
from hopnhat.org import lineage
from hopnhat.org.models import AdminUnit, UnitAlias, Vintage

from . import accents
from .models import BestBet, ProtectedWord, SearchTerm, Synonym, is_unit_token, unit_token

Phrase = tuple[str, ...]

MAX_TOKENS = 16
MAX_PLACE_WORDS = 5  # "thanh pho ho chi minh" is the longest common place name in words
MIN_TYPO_LENGTH = 4  # shorter syllables have too many neighbours to guess from (an, anh, ang, ăn…)
LONG_WORD = 8  # from this length a second typo is allowed (trigram look-up on PostgreSQL)
# Function words that only narrow a query by chance (“thủ tục nào, như thế nào”). Folding makes most short
# words ambiguous (cho/chợ, thi/thì, o/ô tô, cua/cửa), so the list keeps only those with no content reading.
STOP_WORDS = frozenset({"va", "cac", "nhung", "nao", "gi", "khong", "duoc", "voi", "nhu", "sao", "hoac", "la"})
# Question phrases, dropped as a whole: “… như thế nào”, “… ở đâu”, “lệ phí bao nhiêu”.
STOP_PHRASES = (("nhu", "the", "nao"), ("the", "nao"), ("o", "dau"), ("la", "gi"), ("bao", "nhieu"), ("can", "gi"),
                # Issue 19, natural questions: how long, is it required, how to, when.
                ("mat", "bao", "lau"), ("bao", "lau"), ("co", "phai"), ("phai", "khong"), ("lam", "sao"),
                ("khi", "nao"), ("bao", "gio"), ("nhung", "gi"))
# Function words of a question, recognised by their marks when the person typed them (issue 19): “có”, “không”,
# “thì”, “cần”… Folded they are ambiguous (co: có, cỏ, cổ, cô; khong: không, khống), so only the marked form is
# dropped; an unaccented query keeps them as before.
MARKED_FUNCTION_WORDS = frozenset({
    "có", "không", "thì", "là", "mà", "của", "những", "gì", "nào", "đâu", "ở", "bao", "lâu", "mấy", "sao", "được",
    "phải", "cần", "muốn", "tôi", "em", "mình", "ạ", "nhé", "vậy", "như", "thế", "làm", "cho", "với", "và", "các",
    "để", "khi", "nếu", "hay", "hoặc", "nên", "xong", "ai",
})
# Prepositions before a place: “ở Tân Định”, “tại phường Ba Đình”.
PLACE_PREPOSITIONS = frozenset({"o", "tai"})
# Type words people put before a place name; a place group also answers to the name without it.
TYPE_WORDS = ("thanh pho", "thi tran", "thi xa", "dac khu", "phuong", "quan", "huyen", "tinh", "xa", "tp", "tx",
              "tt", "p", "q", "h")
_LETTERS = spelling.LETTERS
SYNONYMS_CACHE_KEY = "portal_search:synonyms"
PROTECTED_CACHE_KEY = "portal_search:protected"
CURATED_TTL = 300
PLACE_TTL = 3600
GRAPH_BUMP_KEY = "portal_search:graph_bump"


@dataclass
class Group:
    text: str  # the folded words of the query this group stands for
    kind: str  # word | synonym | place
    phrases: list[Phrase]
    correction: str | None = None  # the vocabulary word a typo was taken for
    doc_count: int = 0  # word groups: how many documents hold the word (the most common is dropped first)
    units: list[AdminUnit] = field(default_factory=list)  # place groups: resolved and lineage-expanded units
    matches: list = field(default_factory=list, repr=False)  # place groups: (unit named, its reach) pairs

    def as_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "phrases": [" ".join(p) for p in self.phrases],
                "correction": self.correction, "units": [u.node_id for u in self.units]}


@dataclass
class ParsedQuery:
    raw: str
    key: str
    groups: list[Group]
    suggestion: str | None = None  # "did you mean", only when a word was corrected
    pinned: list[int] = field(default_factory=list)  # best bets for the query (BestBet), in their order

    @property
    def match_tokens(self) -> set[str]:
        """Every word a hit may be highlighted on."""
        return {t for g in self.groups for p in g.phrases for t in p if not is_unit_token(t)}

    def as_dict(self) -> dict:
        return {"query": self.raw, "key": self.key, "groups": [g.as_dict() for g in self.groups],
                "suggestion": self.suggestion}


def synonym_table() -> dict[Phrase, set[Phrase]]:
    """Each phrase of an active synonym set → every phrase of its sets (itself included). Cached until staff
    change a synonym (see forget_curated)."""

    def build():
        table: dict[Phrase, set[Phrase]] = {}
        for syn in Synonym.objects.filter(is_active=True):
            phrases = {tuple(k.split()) for k in syn.keys()}
            for phrase in phrases:
                table.setdefault(phrase, set()).update(phrases)
        return table

    return cache.get_or_set(SYNONYMS_CACHE_KEY, build, CURATED_TTL)


def protected_tokens() -> set[str]:
    return cache.get_or_set(
        PROTECTED_CACHE_KEY,
        lambda: {t for key in ProtectedWord.objects.values_list("word_key", flat=True) for t in key.split()},
        CURATED_TTL)


def forget_curated(**_kwargs) -> None:
    """Signal handler: a synonym or protected word changed."""
    cache.delete_many([SYNONYMS_CACHE_KEY, PROTECTED_CACHE_KEY])


_known_places: dict[str, object] = {"keys": frozenset(), "version": None}
# Units are never deleted (the lineage keeps history), so the highest ids say whether rows were added.
_GRAPH_VERSION_SQL = ("SELECT (SELECT max(id) FROM org_adminunit), (SELECT max(id) FROM org_unitalias), "
                      "(SELECT max(id) FROM org_unitsuccession)")


def graph_version() -> str:
    """A cheap fingerprint of the unit graph (highest id of units, aliases and edges, plus a counter the save
    signals bump): cached place look-ups are keyed by it, so a units load invalidates them."""
    with connection.cursor() as cur:
        cur.execute(_GRAPH_VERSION_SQL)
        row = cur.fetchone()
    return "-".join(str(v) for v in row) + f"-{cache.get(GRAPH_BUMP_KEY, 0)}"


def _look_up(tokens: list[str], key: str) -> tuple[str, dict[str, int], list[int]]:
    """Everything parse needs from the database, in one round trip: the unit graph's version (see
    graph_version), how many documents hold each token, and the documents staff pinned for the query in order.
    Under load a round trip costs more than the little each of these reads."""
    terms = SearchTerm._meta.db_table
    sql = "SELECT 'v', NULL, " + _GRAPH_VERSION_SQL.removeprefix("SELECT ")
    params: list = []
    if tokens:
        sql += (f" UNION ALL SELECT 't', term, doc_count, NULL, NULL FROM {terms} "  # noqa: S608 — model table
                f"WHERE term IN ({', '.join(['%s'] * len(tokens))})")
        params += tokens
    sql += (f" UNION ALL SELECT 'b', NULL, document_id, position, id FROM {BestBet._meta.db_table} "  # noqa: S608
            f"WHERE query_key = %s")
    params.append(key)
    version, known, pins = "", {}, []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for kind, term, a, b, c in cur.fetchall():
            if kind == "v":
                version = "-".join(str(v) for v in (a, b, c)) + f"-{cache.get(GRAPH_BUMP_KEY, 0)}"
            elif kind == "t":
                known[term] = a
            else:
                pins.append((b, c, a))
    return version, known, [doc for _, _, doc in sorted(pins)]


def forget_places(**_kwargs) -> None:
    """Signal handler: a unit, alias or edge was saved or deleted one by one."""
    try:
        cache.incr(GRAPH_BUMP_KEY)
    except ValueError:
        cache.set(GRAPH_BUMP_KEY, 1, None)


def _place_keys(spans: set[str], version: str) -> set[str]:
    """Which spans name some unit (full name, short name or alias), before asking the lineage. The ~40,000 keys
    of the national graph are held in the process while the graph is unchanged."""
    if _known_places["version"] != version:
        keys = set(AdminUnit.objects.values_list("name_key", flat=True))
        keys |= set(AdminUnit.objects.values_list("short_key", flat=True))
        keys |= set(UnitAlias.objects.values_list("alias_key", flat=True))
        _known_places.update(keys=frozenset(k for k in keys if " " in k), version=version)  # one-word names never match
    return spans & _known_places["keys"]


def _strip_type(span: str) -> str:
    for word in TYPE_WORDS:
        if span.startswith(word + " ") and len(span) > len(word) + 1:
            return span[len(word) + 1:]
    return span


def place_matches(span: str) -> list[tuple[AdminUnit, list[AdminUnit]]]:
    """Each unit a place name can mean, with where its territory lies across the reform: an old unit and the
    units it lives on in today, a new one and the old units of its level it was made of."""
    out = []
    for match in lineage.resolve(span):
        unit = match.unit
        if unit.vintage == Vintage.OLD:
            reach = [edge.unit for edge in lineage.current(unit)]
        else:
            reach = [edge.unit for edge in lineage.predecessors(unit, level=unit.level)]  # not whole old districts
        out.append((unit, [u for u in reach if u.pk != unit.pk]))
    return out


def _units(matches) -> list[AdminUnit]:
    units: dict[int, AdminUnit] = {}
    for unit, reach in matches:
        units[unit.pk] = unit
        for other in reach:
            units.setdefault(other.pk, other)
    return list(units.values())


def expand_place(span: str) -> list[AdminUnit]:
    """The units a place name means, then where each old one lives on today and what each new one was made of:
    "huyện Gia Lâm" → the old district and the new communes its territory went to."""
    return _units(place_matches(span))


def _area(unit: AdminUnit, reach: list[AdminUnit]) -> set[int]:
    """The ids a unit answers to when another place or a facet narrows it: itself, the units of the other
    vintage its territory maps to, and the districts and provinces above all of them."""
    ids = set()
    for u in (unit, *reach):
        ids |= {u.pk, u.parent_id, u.province_id}
        if u.parent_id and u.parent.parent_id:
            ids.add(u.parent.parent_id)
    ids.discard(None)
    return ids


def _cached_matches(span: str, version: str):
    key = f"portal_search:places:{version}:{span.replace(' ', '_')}"  # fold() output: letters, digits, spaces
    return cache.get_or_set(key, lambda: place_matches(span), PLACE_TTL)


def _place_group(span: str, version: str, matches=None) -> Group:
    if matches is None:
        matches = _cached_matches(span, version)
    units = _units(matches)
    phrases = {tuple(span.split()), tuple(_strip_type(span).split())}
    # Content from the unit or anything inside it. Not their names: "Phường 1" or "Phú Lợi" name units in many
    # provinces, and the text mention of what the person typed is already the first phrase.
    phrases |= {(unit_token(unit),) for unit in units}
    return Group(text=span, kind="place", phrases=sorted(phrases), units=units, matches=matches)


def _narrow_places(groups: list[Group], within: set[int], version: str) -> list[Group]:
    """An ambiguous place name ("Phường 1" names a ward in many districts) keeps only the units that lie in
    another place of the query ("Phường 1 Quận 3") or in the unit the person filtered on; when nothing does,
    it keeps them all."""
    places = [g for g in groups if g.kind == "place"]
    out = []
    for group in groups:
        if group.kind != "place" or len(group.matches) < 2:
            out.append(group)
            continue
        context = set(within)
        for other in places:
            if other is not group:
                context |= {unit.pk for unit, _ in other.matches}
        for other in groups:  # "thành phố Hồ Chí Minh" is a synonym group (TP.HCM) as well as a place
            if other.kind == "synonym":
                names = {" ".join(p) for p in other.phrases} & _known_places["keys"]
                context |= {unit.pk for name in names for unit, _ in _cached_matches(name, version)}
        kept = [(unit, reach) for unit, reach in group.matches if _area(unit, reach) & context]
        out.append(_place_group(group.text, version, kept) if kept and len(kept) < len(group.matches) else group)
    return out


_edits1 = spelling.edits1  # the platform's one typo machinery (hopnhat.core.spelling), shared with org.lineage
_damerau = spelling.damerau


def correct(token: str, known: dict[str, int]) -> str | None:
    """The most frequent vocabulary word one typo away (two for long words on PostgreSQL), or None."""
    found = _correct(token, known)
    return found[0] if found else None


def _correct(token: str, known: dict[str, int]) -> tuple[str, int] | None:
    """correct() with the word's document count, which the look-up has already read."""
    if token in known or len(token) < MIN_TYPO_LENGTH or token.isdigit():
        return None
    candidates = dict(SearchTerm.objects.filter(term__in=_edits1(token)).values_list("term", "doc_count"))
    if len(token) >= LONG_WORD and connection.vendor == "postgresql":
        from .backends import PostgresBackend

        candidates.update((t, n) for t, n in PostgresBackend().similar_terms(token) if _damerau(t, token) <= 2)
    if not candidates:
        return None
    best = max(sorted(candidates), key=lambda t: (-_damerau(t, token), candidates[t]))
    return best, candidates[best]


def parse(raw: str, within: set[int] | frozenset[int] = frozenset()) -> ParsedQuery:
    """`within`: ids of units the person filtered on, which narrow an ambiguous place name."""
    key = fold(raw)
    tokens = key.split()[:MAX_TOKENS]
    synonyms = synonym_table()
    spans = {" ".join(tokens[i:j]) for i in range(len(tokens))
             for j in range(i + 2, min(len(tokens), i + MAX_PLACE_WORDS) + 1)}
    version, known, pinned = _look_up(sorted(set(tokens)), key)
    places = _place_keys(spans, version) if spans else set()

    # Synonyms and place names may span several words: take the longest spans first, the later one of two
    # equally long (“cấp xã phường Tứ Minh” is about Phường Tứ Minh, not Xã Phương Tú), never overlapping.
    max_span = max(max((len(p) for p in synonyms), default=1), MAX_PLACE_WORDS)
    spans_found: list[tuple[int, int, Group]] = []
    taken: set[int] = set()
    for n in range(min(max_span, len(tokens)), 0, -1):
        for i in range(len(tokens) - n, -1, -1):
            if taken & set(range(i, i + n)):
                continue
            span = tuple(tokens[i:i + n])
            text = " ".join(span)
            if span in synonyms:
                group = Group(text=text, kind="synonym", phrases=sorted(synonyms[span]))
            elif n >= 2 and text in places and (place := _place_group(text, version)).units:
                group = place
            elif n == 1:
                group = Group(text=text, kind="word", phrases=[span])
            else:
                continue
            spans_found.append((i, n, group))
            taken |= set(range(i, i + n))
    groups = _without_question_words([g for _, _, g in sorted(spans_found, key=lambda s: s[0])])
    groups = _narrow_places(groups, set(within), version)

    words = [g for g in groups if g.kind == "word"]
    if any(g.text not in STOP_WORDS for g in groups):
        groups = [g for g in groups if g.text not in STOP_WORDS or g.kind != "word"]
    function = _marked_function_tokens(raw)
    if function and any(g.kind != "word" or g.text not in function for g in groups):
        groups = [g for g in groups if g.kind != "word" or g.text not in function]
    for group in words:
        group.doc_count = known.get(group.text, 0)
    protected = protected_tokens()
    suggestion_words = list(tokens)
    corrected = False
    for group in groups:
        if group.kind == "word" and group.text not in protected and (found := _correct(group.text, known)):
            fix, group.doc_count = found
            group.correction = fix
            group.phrases.append((fix,))
            suggestion_words[tokens.index(group.text)] = fix
            corrected = True
    suggestion = _suggestion(raw, tokens, suggestion_words) if corrected else None
    return ParsedQuery(raw=raw, key=key, groups=groups, suggestion=suggestion, pinned=pinned)


def _marked_function_tokens(raw: str) -> set[str]:
    """Folded tokens the person typed only as marked function words ("có", not "cỏ"; see MARKED_FUNCTION_WORDS)."""
    function, content = set(), set()
    for word in accents.words(raw):
        key = fold(word)
        (function if word in MARKED_FUNCTION_WORDS else content).add(key)
    return function - content


def _without_question_words(groups: list[Group]) -> list[Group]:
    """Drop question phrases and the preposition before a place; they say how a person asks, not what about."""
    drop: set[int] = set()
    texts = [g.text if g.kind == "word" else None for g in groups]
    for phrase in STOP_PHRASES:
        n = len(phrase)
        for i in range(len(groups) - n + 1):
            if tuple(texts[i:i + n]) == phrase:
                drop |= set(range(i, i + n))
    for i, group in enumerate(groups[:-1]):
        if group.kind == "word" and group.text in PLACE_PREPOSITIONS and groups[i + 1].kind == "place":
            drop.add(i)
    kept = [g for i, g in enumerate(groups) if i not in drop]
    return kept or groups


def _suggestion(raw: str, tokens: list[str], fixed: list[str]) -> str:
    """The query as typed, with each corrected word replaced: keeps the person's diacritics elsewhere."""
    raw_words = raw.split()
    if [fold(w) for w in raw_words] == tokens:
        return " ".join(f if f != t else w for w, t, f in zip(raw_words, tokens, fixed, strict=True))
    return " ".join(fixed)
