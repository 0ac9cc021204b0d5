"""Vietnamese first: the language is the one the visitor picked with the switch, else Vietnamese.

Django's LocaleMiddleware also follows the browser's Accept-Language, which would serve English to everyone
whose phone or computer is set to English; a public-service site in Vietnam answers in Vietnamese until asked.
"""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SiteNotFoundMiddleware:
    """A page that is not there answers with the site's own 404 page, also under HOPNHAT_DEBUG=1 (the demo), where
    Django would otherwise list the URL patterns. Every unclaimed path reaches Wagtail's page tree, whose view
    raises Http404, so this catches them all; production (DEBUG off) renders the same template through Django."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import Http404
        from django.shortcuts import render

        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        return None


class AuditActorMiddleware:
    """Audited changes made while serving a request (staff pages, the Django and Wagtail admins) name the signed-in
    user; the user is only looked up when something is actually audited."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .audit import acting_as

        with acting_as(lambda: getattr(request, "user", None) or "anonymous"):
            return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with two policies: the site's pages get the strict CONTENT_SECURITY_POLICY (no scripts, no
    inline styles, nothing from other origins), while the Django and Wagtail admins and the API's browsable docs,
    which need inline scripts and styles of their own, get HOPNHAT_ADMIN_CSP, chosen by path prefix."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path_info.startswith(
                tuple(settings.HOPNHAT_ADMIN_CSP_PREFIXES)):
            parts.config = settings.HOPNHAT_ADMIN_CSP
        return parts
