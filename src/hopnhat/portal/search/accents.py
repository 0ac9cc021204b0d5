"""Accent-aware ranking (issue 19): when a query carries diacritics, the words people typed with their marks
count. The index matches folded text, so "đăng ký kết hôn" also finds "Hơn 9.000 thí sinh đăng ký dự thi"
(hôn ~ hơn, ký ~ kỳ) and "thủ tục khai sinh" finds "thứ", "tiếp tục", "Khai mạc". Among the documents the index
found, those holding the query's words exactly as typed (and its word pairs in order) rank above those that only
fold to the same letters. A query without diacritics is not touched: people who type without marks mean any.

Tone marks are compared after putting them where the new rules do ("hoà" and "hòa" are one word), so only the
letters and tones count, not the typing habit."""

import re
import unicodedata

from django.db import connection

from .models import SearchDocument

# Documents re-read for their accented text, per tier: the first page or two of a tier is what people see, and
# reading every one of 500 candidates' bodies would cost more than the search.
DEPTH = 60
TITLE_WEIGHT = 3  # a word in the title counts as much as three in the body
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


def exact_score(query_words: list[str], title: str, body: str) -> int:
    """How much of the query a document holds exactly as typed: each marked query word and each adjacent pair of
    query words found in the title (×TITLE_WEIGHT) or body. An unmarked word alone ("sinh") cannot tell a match
    from a fold, so only marked words count alone."""
    marked = {w for w in query_words if has_marks(w)}
    if not marked:
        return 0
    # Pairs count whether marked or not: "khai sinh" as typed, in that order, is not "Khai mạc … sinh".
    pairs = set(zip(query_words, query_words[1:], strict=False))
    score = 0
    for text, weight in ((title, TITLE_WEIGHT), (body, 1)):
        ws = words(text)
        present = set(ws) & marked
        score += weight * len(present)
        if pairs:
            score += weight * len(pairs & set(zip(ws, ws[1:], strict=False)))
    return score


def _texts(ids: list[int]) -> dict[int, tuple[str, str]]:
    table = SearchDocument._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, title, body FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})",  # noqa: S608
                    ids)
        return {pk: (title or "", body or "") for pk, title, body in cur.fetchall()}


def rerank(query: str, candidates: list, related: set[int]) -> list:
    """Candidates in the same tiers (strict first, then the wider ones), each tier's first DEPTH reordered by
    exact_score, stable (the index's order breaks ties). Unchanged when the query has no diacritics."""
    if not candidates or not has_marks(query):
        return candidates
    query_words = words(query)
    strict = [c for c in candidates if c.id not in related]
    wider = [c for c in candidates if c.id in related]
    heads = strict[:DEPTH] + wider[:DEPTH]
    texts = _texts([c.id for c in heads])
    score = {c.id: exact_score(query_words, *texts.get(c.id, ("", ""))) for c in heads}

    def order(tier):
        head = sorted(tier[:DEPTH], key=lambda c: -score[c.id])
        return head + tier[DEPTH:]

    return order(strict) + order(wider)
