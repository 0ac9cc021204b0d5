"""`{% vi_en "Đăng nhập" "Sign in" %}`: the shell's two languages side by side in the template.

Vietnamese is the text of record and English its companion, so both sit where they are used instead of in a
message catalogue keyed by one of them (docs/decisions.md).
"""

from django import template
from django.utils import translation

register = template.Library()


def is_english() -> bool:
    return (translation.get_language() or "vi").startswith("en")


@register.simple_tag
def vi_en(vi: str, en: str) -> str:
    return en if is_english() else vi


@register.filter
def label(item: dict, field: str = "") -> str:
    """A navigation entry's text in the current language: {{ item|label }} or {{ item|label:"description" }}."""
    prefix = f"{field}_" if field else ""
    return item.get(f"{prefix}en" if is_english() else f"{prefix}vi", "")


@register.filter
def vn_name(user) -> str:
    """A person's name in Vietnamese order, family name first ("Hoàng Văn Tuấn"); Django's get_full_name puts
    the given name first."""
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


# One language at a time, and Vietnamese formats: core/lang.py holds the rules, these expose them to templates.
from hopnhat.core import lang as _lang  # noqa: E402


@register.filter
def pick(text) -> str:
    """{{ dossier.get_status_display|pick }}: the current language's half of "Chờ gửi (pending)"."""
    return _lang.pick(text)


@register.filter
def vn_number(value, places=0) -> str:
    return _lang.number(value, int(places))


@register.filter
def vn_money(value) -> str:
    return _lang.money(value)


@register.filter
def vn_percent(value, places=1) -> str:
    return _lang.percent(value, int(places))


@register.filter
def vn_date(value) -> str:
    return _lang.date(value)


@register.filter
def vn_datetime(value) -> str:
    return _lang.date_time(value)


@register.filter
def in_language(obj, field):
    """{{ page|in_language:"title" }}: the object's `<field>_en` in English mode when it has one, else `<field>`."""
    if _lang.is_english() and (value := getattr(obj, f"{field}_en", "")):
        return value
    return getattr(obj, field, "")


@register.simple_tag
def form_once() -> str:
    """A staff form's one-time token (core.idempotency): put it beside {% csrf_token %} in every staff POST form."""
    from hopnhat.core.idempotency import hidden_field

    return hidden_field()
