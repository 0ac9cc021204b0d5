"""One language at a time, and numbers, money and dates as Vietnamese people write them.

Vietnamese is the language of record; English is shown instead of it, never beside it, when the visitor asks for
English. Text written in code comes as a pair:

- `vi_en("Chờ gửi", "Pending")` for model choices and verbose names: a str that *is* the Vietnamese (so
  migrations, spreadsheets, JSON and the Django admin see plain Vietnamese) and carries its English in `.en`;
  templates show the current language's half with `{{ label|pick }}`.
- `vi_en_lazy("Trạng thái", "Status")` for form labels and messages defined at import time: resolved in the
  language of the request that shows it.

Older labels kept both halves in one string — "Chờ gửi (pending)", "Không tìm thấy. / Not found." — and `pick`
shows the current half of those too, so they can be converted one by one.

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


# Every pair made by vi_en, so a label that lost its .en on the way (str() of it, a JSON round trip, a database
# column) still shows its English: pick() looks the Vietnamese up here.
_PAIRS: dict[str, str] = {}


class Bilingual(str):
    """Vietnamese text that knows its English (`.en`)."""

    en: str

    def __new__(cls, vi: str, en: str):
        text = super().__new__(cls, vi)
        text.en = en
        _PAIRS.setdefault(vi, en)
        return text

    def __reduce__(self):
        return (Bilingual, (str(self), self.en))


def vi_en(vi: str, en: str) -> Bilingual:
    return Bilingual(vi, en)


def _vi_en_now(vi: str, en: str) -> str:
    return en if is_english() else vi


vi_en_lazy = lazy(_vi_en_now, str)

# "Tiếng Việt (english words)" at the end of a label: the parenthesis holds no Vietnamese letter.
_VI_LETTERS = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_PAREN = re.compile(r"^(?P<vi>.+?) \((?P<en>[^()]+)\)$", re.S)
_SLASH = re.compile(r"^(?P<vi>.+?) / (?P<en>.+)$", re.S)


def has_vietnamese(text: str) -> bool:
    return any(ch in _VI_LETTERS for ch in text.lower())


def looks_english(text: str) -> bool:
    """Few words with Vietnamese letters: English that names places ("the portal of Tuyên Quang province")."""
    words = text.split()
    return bool(words) and sum(has_vietnamese(w) for w in words) <= len(words) // 4


def split(text: str) -> tuple[str, str]:
    """(Vietnamese, English) of a two-language label; (text, text) when it holds one language."""
    text = str(text)
    for pattern in (_SLASH, _PAREN):
        match = pattern.match(text)
        if match and looks_english(match["en"]) and has_vietnamese(match["vi"]):
            en = match["en"].strip()
            return match["vi"].strip(), en[:1].upper() + en[1:]
    return text, text


def pick(text) -> str:
    """The half of a two-language label for the current language."""
    if isinstance(text, Bilingual):
        return text.en if is_english() else str(text)
    if (en := _PAIRS.get(str(text))) is not None:
        return en if is_english() else str(text)
    vi, en = split(str(text))
    return en if is_english() else vi


pick_lazy = lazy(pick, str)


def choices(pairs) -> list[tuple]:
    """A form field's choices in the language of the request that renders them: [(value, label), …]."""
    return [(value, pick_lazy(label)) for value, label in pairs]


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


def localise_form(form) -> None:
    """Show a form in the current language: each field's two-language label, help text, empty label and choices
    ("Trạng thái / Status", "Tất cả (all)") reduced to the current half. Call it from the form's __init__."""
    for field in form.fields.values():
        if field.label:
            field.label = pick(field.label)
        if field.help_text:
            field.help_text = pick(field.help_text)
        if getattr(field, "empty_label", None):
            field.empty_label = pick(field.empty_label)
        if hasattr(field, "choices") and not hasattr(field, "queryset"):
            field.choices = [(value, pick(label)) for value, label in field.choices]


class OneLanguageForm:
    """Mixin (first base): forms.Form subclasses shown in the current language (localise_form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        localise_form(self)
