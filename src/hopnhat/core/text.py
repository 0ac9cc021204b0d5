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
# Look-alikes of đ in old data: Ð (U+00D0, Icelandic eth) looks exactly like Đ and stands for it in text from old
# converters and fonts (Windows-1258 has Đ at the byte where Latin-1 has Ð).
_LOOK_ALIKES = str.maketrans({"ð": "d"})


def nfc(text: str | None) -> str:
    """NFC with collapsed white space; None becomes ""."""
    if not text:
        return ""
    if type(text) is str and text.isprintable() and "  " not in text and text[0] != " " != text[-1]:
        return unicodedata.normalize("NFC", text)  # no white space to collapse (every other kind is unprintable)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """The matching key: no diacritics, đ→d (and its look-alike Ð→d), lower case, punctuation dropped, numbers
    without leading zeros."""
    if not text:
        return ""
    folded = vn_text.fold(unicodedata.normalize("NFC", str(text))).translate(_LOOK_ALIKES)
    folded = _PUNCT.sub(" ", folded)
    folded = _LEADING_ZEROS.sub(r"\1", folded)
    return _SPACES.sub(" ", folded).strip()


def fold_tokens(text: str | None) -> list[str]:
    return fold(text).split()


def refold_stored(apps, app_label: str, model_name: str, keys: dict[str, str]) -> int:
    """For a data migration after `fold` changed: recompute the stored keys ({key field: source field}) of the
    rows whose source text holds a character the change folds differently (Ð, ð). Updates by queryset, so
    database-maintained derivatives (full-text columns, triggers) follow. Returns how many rows changed."""
    from django.db.models import Q

    model = apps.get_model(app_label, model_name)
    touched = Q()
    for source in set(keys.values()):
        touched |= Q(**{f"{source}__contains": "Ð"}) | Q(**{f"{source}__contains": "ð"})
    changed = 0
    for row in model.objects.filter(touched).values("pk", *set(keys.values())).iterator():
        changed += model.objects.filter(pk=row["pk"]).update(**{key: fold(row[src]) for key, src in keys.items()})
    return changed
