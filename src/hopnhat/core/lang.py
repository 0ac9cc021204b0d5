"""One language at a time, and numbers, money and dates as Vietnamese people write them.

Vietnamese is the language of record; English is shown instead of it, never beside it, when the visitor asks for
English. Text written in code comes as a pair (`vi_en("Trạng thái", "Status")`, lazy, so a form label or a model
choice resolves in the language of the request that shows it). Older labels kept both halves in one string —
"Chờ gửi (pending)" for choices, "Không tìm thấy. / Not found." for messages — and `pick` shows the half for
the current language, so those can be converted one by one.

Formats (the templates' filters in templatetags/hopnhat.py call these): 2.400.000; 600.000.000 ₫; 12/06/2025;
12/06/2025 14:00 — the same in both languages, since the figures are Vietnamese records.
"""

import datetime
import re
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.functional import lazy


def is_english() -> bool:
    return (translation.get_language() or "vi").startswith("en")


def _vi_en(vi: str, en: str) -> str:
    return en if is_english() else vi


vi_en = lazy(_vi_en, str)

# "Tiếng Việt (english words)" at the end of a label: the parenthesis holds no Vietnamese letter.
_VI_LETTERS = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_PAREN = re.compile(r"^(?P<vi>.+?) \((?P<en>[^()]+)\)$", re.S)
_SLASH = re.compile(r"^(?P<vi>.+?) / (?P<en>.+)$", re.S)


def has_vietnamese(text: str) -> bool:
    return any(ch in _VI_LETTERS for ch in text.lower())


def split(text: str) -> tuple[str, str]:
    """(Vietnamese, English) of a two-language label; (text, text) when it holds one language."""
    text = str(text)
    for pattern in (_SLASH, _PAREN):
        match = pattern.match(text)
        if match and not has_vietnamese(match["en"]) and has_vietnamese(match["vi"]):
            en = match["en"].strip()
            return match["vi"].strip(), en[:1].upper() + en[1:]
    return text, text


def pick(text) -> str:
    """The half of a two-language label for the current language."""
    vi, en = split(str(text))
    return en if is_english() else vi


def number(value, places: int = 0) -> str:
    """2400000 → "2.400.000"; 0.5 with places=1 → "0,5"."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    text = f"{value:,.{places}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def money(value) -> str:
    """600000000 → "600.000.000 ₫" (đồng have no smaller unit in use)."""
    return "" if value is None or value == "" else f"{number(value)} ₫"


def percent(value, places: int = 1) -> str:
    """0.9567 → "95,7 %"; None → "—"."""
    return "—" if value is None else f"{number(Decimal(str(value)) * 100, places)} %"


def _as_datetime(value):
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value) if "T" in value or " " in value else \
                datetime.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value


def date(value) -> str:
    """dd/mm/yyyy from a date, a datetime (Vietnam time) or an ISO string."""
    value = _as_datetime(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else (value or "")


def date_time(value) -> str:
    """dd/mm/yyyy HH:MM (24 h, Vietnam time)."""
    value = _as_datetime(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return date(value)
