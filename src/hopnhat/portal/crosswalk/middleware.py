"""Requests whose Host is an old portal's host are answered here, before sessions, CSRF and the page tree:
the old hosts point at us after their DNS switch and none of their paths is ours."""

from django.utils.encoding import escape_uri_path

from .resolve import resolve, strip_port
from .serving import respond


def request_outcome(request):
    """The crosswalk's answer for a Django request, None when its host is not an old one (also the bouncer's)."""
    host = strip_port(request.META.get("HTTP_HOST", ""))
    # request.path is already %-decoded; encode it once more so a literal % survives canonicalisation.
    return resolve(host, escape_uri_path(request.path), request.META.get("QUERY_STRING", ""))


class CrosswalkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        outcome = request_outcome(request)
        if outcome is None:
            return self.get_response(request)
        return respond(request, outcome)
