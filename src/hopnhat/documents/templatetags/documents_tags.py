"""`{{ label|choice }}`: a model choice label “Đã vào sổ (registered)” in the current language."""

from django import template

from hopnhat.documents.views import choice as _choice

register = template.Library()


@register.filter
def choice(label: str) -> str:
    return _choice(str(label or ""))
