"""`{{ label|choice }}`: a model choice label (core.lang.vi_en) in the current language."""

from django import template

from hopnhat.documents.views import choice as _choice

register = template.Library()


@register.filter
def choice(label: str) -> str:
    return _choice(str(label or ""))
