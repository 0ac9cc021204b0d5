"""Where a redirect may send people: never an open redirect (Bouncer refuses with 501 what is not allowed).

Always allowed: paths on this portal (`/tin-tuc/…`), the portal's own hosts and the old hosts we serve. A person
deciding through the staff pages may send an old address to any other host only when they are a unit administrator
over the old site (or a platform administrator) and the host is on the allow-list (`AllowedHost`, itself an
audited setting): a plain official cannot point an old URL at a look-alike `*.gov.vn` host. Imports and commands
(actor `system:…`) also accept `.gov.vn`, as served mappings do.
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


def is_internal(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in _own_hosts() or OldHost.objects.filter(host=host).exists()


def on_allow_list(host: str) -> bool:
    """An explicit allow-list entry (exact host, or `.domain` for the domain and everything under it)."""
    host = host.lower().rstrip(".")
    return any(host == p or (p.startswith(".") and (host.endswith(p) or host == p[1:]))
               for p in AllowedHost.objects.values_list("pattern", flat=True))


def may_send_elsewhere(actor, site=None) -> bool:
    """A unit administrator over the old site's agency (over any subtree when the site has no agency yet), or a
    platform administrator."""
    from hopnhat.org.access import can_act_on, is_platform_admin, is_unit_admin
    from hopnhat.org.models import Role

    if is_platform_admin(actor):
        return True
    if site is not None and site.agency_id:
        return can_act_on(actor, site.agency, {Role.UNIT_ADMIN})
    return is_unit_admin(actor)


def check_target(url: str, *, actor=None, site=None) -> str:
    """The target unchanged when it is a path here or an http(s) URL on an allowed host; else RefusedTarget.
    With a person as `actor`, a host outside the platform also needs `may_send_elsewhere` and an allow-list
    entry."""
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
    if actor is not None and not isinstance(actor, str) and not is_internal(parts.hostname):
        if not may_send_elsewhere(actor, site):
            raise RefusedTarget(
                f"chỉ quản trị đơn vị được chuyển hướng địa chỉ cũ tới máy chủ ngoài nền tảng (“{parts.hostname}”) "
                f"/ only a unit administrator may send an old address to a host outside the platform")
        if not on_allow_list(parts.hostname):
            raise RefusedTarget(
                f"máy chủ “{parts.hostname}” không nằm trong danh sách được phép chuyển hướng tới "
                f"/ host “{parts.hostname}” is not on the redirect allow-list")
        return url
    if not host_allowed(parts.hostname):
        raise RefusedTarget(
            f"máy chủ “{parts.hostname}” không nằm trong danh sách được phép chuyển hướng tới "
            f"/ host “{parts.hostname}” is not on the redirect allow-list"
        )
    return url
