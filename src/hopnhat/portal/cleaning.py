"""Old portals' HTML made safe to show: one allow-list (nh3) for every importer, plain text for matching."""

import datetime
import email.utils
import html
import unicodedata

import nh3
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from lxml import html as lxml_html

from hopnhat.core.text import nfc

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "sub", "sup", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "caption", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def sanitise(fragment: str) -> str:
    """Keep structure, links and images; drop scripts, styles, event handlers, iframes and javascript: URLs."""
    if not fragment:
        return ""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return nfc_html(cleaned)


def nfc_html(fragment: str) -> str:
    return unicodedata.normalize("NFC", fragment).strip()


def plain_text(fragment: str) -> str:
    """The visible words of an HTML fragment, NFC, spaces collapsed."""
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 — unparseable markup still has words; fall back to unescaping
        return nfc(html.unescape(fragment))
    return nfc(" ".join(root.itertext()))


def parse_when(value: str | None) -> datetime.datetime | None:
    """ISO 8601, RFC 822 (feeds), "YYYY-MM-DD HH:MM:SS" (WordPress) or dd/mm/yyyy (Vietnamese portals); aware."""
    if not value:
        return None
    value = value.strip()
    parsed = None
    try:
        parsed = parse_datetime(value.replace(" ", "T", 1)) if len(value) > 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        try:
            day = parse_date(value[:10])
        except ValueError:
            day = None
        if day is None:
            for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
                try:
                    day = datetime.datetime.strptime(value[:10], fmt).date()  # noqa: DTZ007 — made aware below
                    break
                except ValueError:
                    continue
        if day is None:
            return None
        parsed = datetime.datetime.combine(day, datetime.time(0, 0))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
