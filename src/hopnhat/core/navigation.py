"""The one interface: each module registers its public and staff links here (from its AppConfig.ready)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label_vi: str
    label_en: str
    staff_only: bool = False
    order: int = 100


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def _resolved(items):
    out = []
    for item in items:
        try:
            out.append({"url": reverse(item.url_name), "vi": item.label_vi, "en": item.label_en})
        except NoReverseMatch:
            continue
    return out


def public_items():
    return _resolved(i for i in _items if not i.staff_only)


def staff_items(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return []
    return _resolved(i for i in _items if i.staff_only)
