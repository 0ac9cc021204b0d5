"""Old Vietnamese text into Unicode NFC: the byte encodings Python knows (UTF-8, UTF-8 with BOM, UTF-16,
Windows-1258) and the font encodings of the 1990s–2000s, TCVN3 (ABC, .VnTime) and VNI, whose tables come
from the maintained `viparse` package.

Old systems kept TCVN3/VNI text in latin1 columns or files: each legacy byte arrives as the Latin-1 character
with the same number (0xB5 → "µ"), which is exactly what the tables key on.
"""

import codecs
import functools
import re
import unicodedata

from hopnhat.core.text import nfc

LEGACY = frozenset({"tcvn3", "abc", "vni"})   # the font encodings; their tables come from viparse when first used


@functools.cache
def _table(name: str):
    """viparse's table of a font encoding, imported at first use (not at every command's start-up)."""
    if name == "vni":
        from viparse.normalize.vni import VNI

        return VNI
    from viparse.normalize.tcvn3 import TCVN3

    return TCVN3


_ALIASES = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf8-bom": "utf-8-sig", "windows-1258": "cp1258",
            "utf16": "utf-16"}


def canonical(encoding: str) -> str:
    name = (encoding or "utf-8").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in LEGACY:
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"không biết bảng mã “{encoding}” / unknown encoding {encoding!r}; "
                             f"use utf-8, utf-8-sig, utf-16, cp1258, tcvn3 or vni") from None
    return name


def python_codec(encoding: str) -> str:
    """The codec that reads the bytes of a file in `encoding` (legacy font encodings read as Latin-1)."""
    name = canonical(encoding)
    return "latin-1" if name in LEGACY else name


def legacy_to_unicode(text: str, encoding: str) -> str:
    """TCVN3/VNI surface text (as read through Latin-1) → Vietnamese Unicode NFC.

    The same longest-first, left-to-right replacement as viparse's `convert`, done by str.translate (TCVN3, one
    character per letter) or one compiled regex (VNI, base + mark pairs): a tenth of the cost per field, which
    counts at a million rows. Text with a PDF glyph substitute (U+2212, U+2219) goes to viparse, which decides
    from the neighbours whether it is a letter."""
    name = canonical(encoding)
    if "\u2212" in text or "\u2219" in text:
        from viparse.normalize.tables import convert

        return convert(text, _table(name), "NFC")
    table, pattern = _forward(name)
    if table is not None:
        text = text.translate(table)
    else:
        text = pattern.sub(lambda m: _pairs(name)[m.group()], text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@functools.cache
def _pairs(name: str) -> dict[str, str]:
    return dict(_table(name).pairs)


@functools.cache
def _forward(name: str):
    """(str.translate table, None) when every legacy sequence is one character, else (None, regex)."""
    pairs = _table(name).pairs  # already longest first, which the regex alternation keeps
    if all(len(surface) == 1 for surface, _ in pairs):
        return str.maketrans(dict(pairs)), None
    return None, re.compile("|".join(re.escape(surface) for surface, _ in pairs))


def unicode_to_legacy(text: str, encoding: str) -> str:
    """The reverse: Unicode → legacy surface text (write it with Latin-1), to build test data as old systems
    stored it. Letters the legacy font cannot show (TCVN3 has no capital toned vowels) stay as they are."""
    reverse = _reverse(canonical(encoding))
    return "".join(reverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


@functools.cache
def _reverse(name: str) -> dict[str, str]:
    return {unicode: surface for surface, unicode in _table(name).pairs}


def decode_text(text: str, encoding: str) -> str:
    """Text read with python_codec(encoding) → NFC Unicode, converting legacy encodings. Keeps line breaks."""
    name = canonical(encoding)
    if name in LEGACY:
        return legacy_to_unicode(text, name)
    return unicodedata.normalize("NFC", text)


def convert_fields(data: dict, spec: dict[str, list[str]] | None) -> dict:
    """Convert the named columns of one record: spec {"tcvn3": ["ho_ten", "don_vi"], "vni": ["chuc_vu"]}."""
    if not spec:
        return data
    for encoding, columns in spec.items():
        name = canonical(encoding)
        for column in columns:
            value = data.get(column)
            if isinstance(value, bytes | bytearray | memoryview):
                # one legacy byte per Latin-1 character (what the tables key on); other encodings as themselves
                value = bytes(value).decode("latin-1" if name in LEGACY else name, errors="replace")
            if isinstance(value, str):
                data[column] = legacy_to_unicode(value, name) if name in LEGACY else nfc(value)
    return data


# Characters of the TCVN3 font encoding that are no Vietnamese letter and hardly ever stand next to a Latin letter
# in real text: "Gi¸m ®èc" is "Giám đốc" read without its legacy decoding.
_LEGACY_MARKS = "¡¢£¤¥¦§¨©ª«¬\xad®µ¶·¸¹»¼½¾×÷þÞ"
_GARBLED = re.compile(f"[A-Za-z][{_LEGACY_MARKS}]|[{_LEGACY_MARKS}][A-Za-z]")
_BASE64_TEXT = re.compile(r"""^\{\s*['"]base64['"]\s*:""")


def garbled(value) -> str:
    """Why a value that should be text is not readable text ("" when it is): bytes kept as base64 (a binary
    column read without its legacy_encoding), or TCVN3 surface text never decoded. Reconciliation reports a
    field holding such values as not balanced, whatever the target then holds."""
    if value is None or isinstance(value, bool | int | float):
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes"
    if isinstance(value, dict) and "base64" in value:
        return "base64"
    if not isinstance(value, str):
        return ""
    if value[:1] == "{" and _BASE64_TEXT.match(value):
        return "base64"
    if value.isascii():
        return ""
    if _GARBLED.search(value):
        return "legacy"
    return ""
