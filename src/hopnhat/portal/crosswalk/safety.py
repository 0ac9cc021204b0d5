"""Where a redirect may send people: never an open redirect (Bouncer refuses with 501 what is not allowed).

Allowed without configuration: paths on this portal (`/tin-tuc/…`), the portal's own hosts, the old hosts we
serve, and `.gov.vn`. Anything else needs an `AllowedHost` row, which is itself an audited decision.
"""

from urllib.parse import urlsplit

from django.conf import settings

from .models import AllowedHost, OldHost

BUILT_IN_SUFFIXES = (".gov.vn",)


class RefusedTarget(ValueError):
    pass


def _own_hosts() -> set[str]:
    hosts = {h.lower().lstrip(".") for h in settings.ALLOWED_HOSTS if h and h != "*"}
    base = urlsplit(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "")
    if base.hostname:
        hosts.add(base.hostname)
    return hosts


def allowed(host: str, patterns: set[str], old_hosts) -> bool:
    """The rule itself, on sets the caller loaded (fresh for a save, cached for serving)."""
    host = host.lower().rstrip(".")
    if host in _own_hosts() or any(host.endswith(s) for s in BUILT_IN_SUFFIXES):
        return True
    if host in patterns or any(p.startswith(".") and (host.endswith(p) or host == p[1:]) for p in patterns):
        return True
    return host in old_hosts


def host_allowed(host: str) -> bool:
    patterns = set(AllowedHost.objects.values_list("pattern", flat=True))
    return allowed(host, patterns, set(OldHost.objects.filter(host=host.lower()).values_list("host", flat=True)))


def check_target(url: str) -> str:
    """The target unchanged when it is a path here or an http(s) URL on an allowed host; else RefusedTarget."""
    url = (url or "").strip()
    if not url:
        raise RefusedTarget("thiếu địa chỉ đích / no target URL")
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RefusedTarget(f"địa chỉ đích “{url}” không phải http(s) / target is not an http(s) URL")
    if parts.username or parts.password:
        raise RefusedTarget(f"địa chỉ đích “{url}” chứa tài khoản / target carries credentials")
    if not host_allowed(parts.hostname):
        raise RefusedTarget(
            f"máy chủ “{parts.hostname}” không nằm trong danh sách được phép chuyển hướng tới "
            f"/ host “{parts.hostname}” is not on the redirect allow-list"
        )
    return url
