"""Highlighted snippets: the passage of a text that holds the most query words, matched on folded words so
“căn cước” is marked for the query “can cuoc”; the text itself is shown as written."""

import re

from django.utils.html import escape

from hopnhat.core.text import fold

_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 30  # words in a snippet
MAX_WORDS = 5000  # a snippet comes from the start of very long texts


def highlight(text: str, tokens: set[str], window: int | None = WINDOW) -> str:
    """HTML: the best `window` words of `text` (all of it when window is None) with matches in <mark>."""
    words = list(_WORD.finditer(text or ""))[:MAX_WORDS]
    if not words:
        return ""
    hits = [fold(m.group()) in tokens for m in words]
    start, end = 0, len(words)
    if window is not None and len(words) > window:
        keys = [fold(m.group()) if hit else None for m, hit in zip(words, hits, strict=True)]
        best = max(range(len(words) - window + 1),
                   key=lambda s: (len({k for k in keys[s:s + window] if k}), -s))
        start = max(0, best - 2)  # a little context before the first match
        end = min(len(words), start + window)
    out, pos = [], words[start].start()
    for m, hit in zip(words[start:end], hits[start:end], strict=True):
        out.append(escape(text[pos:m.start()]))
        out.append(f"<mark>{escape(m.group())}</mark>" if hit else escape(m.group()))
        pos = m.end()
    tail_end = words[end - 1].end() if end < len(words) else len(text)
    out.append(escape(text[pos:tail_end]))
    html = "".join(out).strip()
    return ("… " if start > 0 else "") + html + (" …" if end < len(words) else "")
