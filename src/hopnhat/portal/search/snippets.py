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


def highlight(text: str, tokens: set[str], window: int | None = WINDOW) -> str:
    """HTML: the best `window` words of `text` (all of it when window is None) with matches in <mark>."""
    words = list(_WORD.finditer(text or ""))[:MAX_WORDS]
    if not words:
        return ""
    keys = [k if (k := _fold_word(m.group())) in tokens else None for m in words]
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
