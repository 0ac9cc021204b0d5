"""Vietnamese text: one normal form (NFC) for storage and display, one folding key for matching and search.

`fold` is the only matching key in hopnhat: every module compares and indexes folded text, so
"Hoà"/"Hòa", "ĐỘI CẤN"/"doi can" and "Phường 01"/"Phường 1" meet.
"""

import re
import unicodedata

import vn_text

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_LEADING_ZEROS = re.compile(r"\b0+(\d)")


def nfc(text: str | None) -> str:
    """NFC with collapsed white space; None becomes ""."""
    if not text:
        return ""
    if type(text) is str and text.isprintable() and "  " not in text and text[0] != " " != text[-1]:
        return unicodedata.normalize("NFC", text)  # no white space to collapse (every other kind is unprintable)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """The matching key: no diacritics, đ→d, lower case, punctuation dropped, numbers without leading zeros."""
    if not text:
        return ""
    folded = vn_text.fold(unicodedata.normalize("NFC", str(text)))
    folded = _PUNCT.sub(" ", folded)
    folded = _LEADING_ZEROS.sub(r"\1", folded)
    return _SPACES.sub(" ", folded).strip()


def fold_tokens(text: str | None) -> list[str]:
    return fold(text).split()
