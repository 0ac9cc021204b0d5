"""Highlighted snippets: the passage of a text that holds the most query words, matched on folded words so
“căn cước” is marked for the query “can cuoc”; the text itself is shown as written."""

import re
from collections import Counter
from functools import lru_cache
from html import escape

from hopnhat.core.text import fold

_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 30  # words in a snippet
MAX_WORDS = 5000  # a snippet comes from the start of very long texts


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """A portal's vocabulary is small and every page of hits repeats it: folding each distinct word once keeps
    snippets off the search's time budget."""
    return fold(word)


def _best_start(keys: list[str | None], window: int) -> int:
    """The first start of the window holding the most distinct query words (one pass, sliding)."""
    inside: Counter[str] = Counter(k for k in keys[:window] if k)
    best, best_count = 0, len(inside)
    for s in range(1, len(keys) - window + 1):
        if out := keys[s - 1]:
            inside[out] -= 1
            if not inside[out]:
                del inside[out]
        if new := keys[s + window - 1]:
            inside[new] += 1
        if len(inside) > best_count:
            best, best_count = s, len(inside)
    return best


@lru_cache(maxsize=65536)
def _marked_form(word: str) -> str:
    """The word as accents.words compares it: lower case, NFC, one tone placement."""
    from .accents import words

    found = words(word)
    return found[0] if found else word.lower()


def highlight(text: str, tokens: set[str], window: int | None = WINDOW,
              exact: dict[str, frozenset[str]] | None = None) -> str:
    """HTML: the best `window` words of `text` (all of it when window is None) with matches in <mark>.
    `exact`: folded token → the marked forms the person typed for it (see exact_forms); a word folding to such a
    token is marked only in one of those forms ("hôn" typed: "Hơn" is not marked)."""
    words = list(_WORD.finditer(text or ""))[:MAX_WORDS]
    if not words:
        return ""
    keys = [k if (k := _fold_word(m.group())) in tokens else None for m in words]
    if exact:
        keys = [None if k in exact and _marked_form(m.group()) not in exact[k] else k
                for m, k in zip(words, keys, strict=True)]
    start, end = 0, len(words)
    if window is not None and len(words) > window:
        start = max(0, _best_start(keys, window) - 2)  # a little context before the first match
        end = min(len(words), start + window)
    # Text between marks is escaped a run at a time (escaping is per character, so runs and words agree).
    out, pos = [], words[start].start()
    for m, key in zip(words[start:end], keys[start:end], strict=True):
        if key:
            out.append(escape(text[pos:m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            pos = m.end()
    tail_end = words[end - 1].end() if end < len(words) else len(text)
    out.append(escape(text[pos:tail_end]))
    html = "".join(out).strip()
    return ("… " if start > 0 else "") + html + (" …" if end < len(words) else "")


def exact_forms(query: str, plain: set[str]) -> dict[str, frozenset[str]]:
    """For highlight's `exact`: each folded word of `plain` (the query's plain word groups, not its synonyms or
    places) that the person typed only with diacritics → the forms typed. Empty for an unaccented query."""
    from .accents import has_marks, words

    forms: dict[str, set[str]] = {}
    bare: set[str] = set()
    for word in words(query):
        key = _fold_word(word)
        if key in plain:
            (forms.setdefault(key, set()).add(word) if has_marks(word) else bare.add(key))
    return {k: frozenset(v) for k, v in forms.items() if k not in bare}
