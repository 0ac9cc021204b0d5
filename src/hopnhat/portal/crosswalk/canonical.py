"""One canonical form per old URL, by the site's own rules, so every spelling users typed meets one mapping.

`/Tin-Tuc/`, `/tin-tuc`, `/tin%2Dtuc` and `/tin-tuc?utm_source=zalo` are one page on a case-insensitive site
without significant query parameters. Paths are stored percent-encoded (ASCII) after NFC, because the same
Vietnamese letter reaches us precomposed from one browser and decomposed from another.
"""

import unicodedata
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode, urlsplit

# RFC 3986 pchar minus the percent sign: what may stay unescaped in a canonical path.
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
MAX_PATH = 2048


class BadOldUrl(ValueError):
    pass


def split_url(old_url: str) -> tuple[str, str, str]:
    """(host, path, query) of an absolute old URL; the host lower-cased without port or trailing dot."""
    parts = urlsplit((old_url or "").strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadOldUrl(f"“{old_url}” không phải địa chỉ http(s) đầy đủ / is not an absolute http(s) URL")
    return parts.hostname.rstrip("."), parts.path or "/", parts.query


def _path(site, path: str, keep_case: bool = False) -> str:
    path = "/" + path.lstrip("/")
    while "//" in path:
        path = path.replace("//", "/")
    if site.normalise_encoding:
        raw = unquote_to_bytes(path)
        try:
            text = unicodedata.normalize("NFC", raw.decode("utf-8"))
        except UnicodeDecodeError:
            # Old portals in TCVN3/Windows-1258 sent bytes that are not UTF-8; keep them byte for byte.
            text = None
        if text is not None:
            raw = (text.lower() if site.case_insensitive and not keep_case else text).encode("utf-8")
        elif site.case_insensitive and not keep_case:
            raw = raw.lower()
        path = quote(raw, safe=_SAFE_PATH)
    else:
        path = quote(path, safe=_SAFE_PATH + "%")
        if site.case_insensitive and not keep_case:
            path = path.lower()
    if not site.trailing_slash_significant and len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _query(site, query: str) -> str:
    wanted = set(site.significant_params())
    if not wanted or not query:
        return ""
    kept = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        name = key.lower() if site.case_insensitive else key
        if name in wanted:
            kept.append((name, unicodedata.normalize("NFC", value)))
    return urlencode(sorted(kept), quote_via=quote)


def canonical(site, path: str, query: str = "") -> str:
    """The canonical path of one old request: normalised path, then `?` and the significant parameters only."""
    canon = _path(site, path)
    if q := _query(site, query):
        canon = f"{canon}?{q}"
    if len(canon) > MAX_PATH:
        raise BadOldUrl(f"đường dẫn dài quá {MAX_PATH} ký tự / path longer than {MAX_PATH}: {canon[:80]}…")
    return canon


def rest_after(site, path: str, prefix: str) -> str:
    """What follows a prefix rule's path in the request, in the request's own case: appended to a target, an
    identifier like a dossier code must arrive as it was sent even on a case-insensitive site."""
    kept = _path(site, path, keep_case=True)
    if prefix == "/":
        return kept
    return kept[len(prefix):] if kept[:len(prefix)].lower() == prefix.lower() else ""


def canonical_rule(site, pattern: str) -> tuple[str, str]:
    """(match, canonical path) of a mapping as people write it: `/tin-tuc/*` is a prefix rule for /tin-tuc and
    everything below it; anything else is an exact path."""
    path, _, query = pattern.partition("?")
    if path.endswith("*"):
        if query:
            raise BadOldUrl(f"quy tắc tiền tố không có tham số truy vấn / a prefix rule takes no query: {pattern}")
        prefix = _path(site, path[:-1] or "/")
        return "prefix", prefix.rstrip("/") or "/"
    return "exact", canonical(site, path, query)


def prefix_candidates(canon_path: str) -> list[str]:
    """Every segment ancestor of a canonical path, longest first: /a/b/c → /a/b/c, /a/b, /a, /."""
    path = canon_path.partition("?")[0].rstrip("/") or "/"
    out = [path]
    while path != "/":
        path = path.rsplit("/", 1)[0] or "/"
        out.append(path)
    return out
