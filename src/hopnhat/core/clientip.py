"""The client's address, for rate limits and sign-in lockouts.

Behind N trusted reverse proxies (`HOPNHAT_TRUSTED_PROXIES`, 0 by default: the socket's peer is the client), each
proxy appends the address it saw to X-Forwarded-For, so the N-th entry from the right is the last one a proxy we
trust wrote; anything to its left came from the client and can be forged. nginx must send
`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;` (README, "nginx").
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """A valid address, or "" when there is none (a unix-socket peer): never a free-form string, since axes
    stores it in an inet column."""
    peer = _valid(request.META.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "HOPNHAT_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return peer
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < proxies:
        # Fewer entries than trusted proxies: the request did not come through all of them; count the peer.
        return peer
    return _valid(entries[-proxies]) or peer
