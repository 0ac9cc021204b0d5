"""Accent-aware ranking (issue 19): when a query carries diacritics, the words people typed with their marks
count. The index matches folded text, so "đăng ký kết hôn" also finds "Hơn 9.000 thí sinh đăng ký dự thi"
(hôn ~ hơn, ký ~ kỳ) and "thủ tục khai sinh" finds "thứ", "tiếp tục", "Khai mạc". Among the documents that hold
every word of the query, those holding its marked words exactly as typed rank above those that hold some of them
only as other words folding to the same letters; otherwise the index's order stands. A query without diacritics
is not touched: people who type without marks mean any reading.

Tone marks are compared after putting them in one place ("hoà" and "hòa" are one word), so only the letters and
tones count, not the typing habit."""

import re
import unicodedata

from django.db import connection

from hopnhat.core.text import fold

from .models import SearchDocument

# Documents re-read for their accented text, per tier: the first page or two of a tier is what people see, and
# reading every one of 500 candidates' bodies would cost more than the search.
DEPTH = 30
_WORD = re.compile(r"\w+", re.UNICODE)
# Old-style tone placement (òa, óa, ỏa, õa, ọa; òe…; ùy…) → the placement in NFC text from newer keyboards.
_OLD_TONES = {}
for _vowels in (("oa", "òa óa ỏa õa ọa"), ("oe", "òe óe ỏe õe ọe"), ("uy", "ùy úy ủy ũy ụy")):
    _pair, _marked = _vowels
    for _old in _marked.split():
        tone = unicodedata.normalize("NFD", _old[0])[1:]
        _new = _pair[0] + unicodedata.normalize("NFC", _pair[1] + tone)
        _OLD_TONES[_old] = _new


def words(text: str) -> list[str]:
    """Lower-case NFC words with one tone placement."""
    text = unicodedata.normalize("NFC", text or "").lower()
    for old, new in _OLD_TONES.items():
        if old in text:
            text = text.replace(old, new)
    return _WORD.findall(text)


def has_marks(text: str) -> bool:
    """Whether a person typed any Vietnamese diacritic (or đ)."""
    return any(ord(ch) > 127 and ch.isalpha() for ch in unicodedata.normalize("NFC", text or ""))


def fold_only(query_words: list[str], title: str, body: str, only: set[str] | None = None,
              folded: str | None = None) -> int:
    """How many of the query's marked words a document holds only as another word that folds to the same letters
    ("hôn" typed, only "hơn" there; "thủ" typed, only "thứ"): each is a word the document was found on by
    mistake. A word held exactly, or not at all (the document matched a synonym, a place's unit), costs nothing."""
    marked = {w for w in query_words if has_marks(w) and (only is None or fold(w) in only)}
    if not marked:
        return 0
    held = set(words(f"{title} {body}"))
    # The stored folded keys when the caller has them: folding every word of 60 bodies per search cost ~20 ms.
    keys = set(folded.split()) if folded is not None else {fold(w) for w in held}
    return sum(1 for w in marked if w not in held and fold(w) in keys)


def _texts(ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """id → (title, body, their folded keys) in one statement."""
    table = SearchDocument._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, title, body, title_key, body_key FROM {table} "  # noqa: S608 — model table
                    f"WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        return {pk: (title or "", body or "", f"{tk or ''} {bk or ''}") for pk, title, body, tk, bk in cur.fetchall()}


def rerank(query: str, candidates: list, related: set[int], plain_words: set[str] | None = None) -> list:
    """The candidates with the strict tier's first DEPTH reordered by fold_only, fewest first, stable (the
    index's order otherwise). Unchanged when the query has no diacritics.
    `plain_words`: the folded words of the query's plain word groups; a place's or a synonym's words are not
    counted (a place matches through its units' tokens, so "quận" typed says nothing of "cơ quan" in the text)."""
    if not candidates or not has_marks(query):
        return candidates
    query_words = words(query)
    strict = [c for c in candidates if c.id not in related]
    if len(strict) < 2:
        return candidates
    # The strict tier only: there every document holds every word, so a word held only as a look-alike is a
    # document found by mistake. A wider tier leaves words out, and its own order (see engine._retrieve) stands.
    head = strict[:DEPTH]
    texts = _texts([c.id for c in head])
    misses = {}
    for c in head:
        title, body, folded = texts.get(c.id, ("", "", ""))
        misses[c.id] = fold_only(query_words, title, body, only=plain_words, folded=folded)
    return sorted(head, key=lambda c: misses[c.id]) + strict[DEPTH:] + [c for c in candidates if c.id in related]
