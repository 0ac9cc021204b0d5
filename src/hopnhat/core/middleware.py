"""Vietnamese first: the language is the one the visitor picked with the switch, else Vietnamese.

Django's LocaleMiddleware also follows the browser's Accept-Language, which would serve English to everyone
whose phone or computer is set to English; a public-service site in Vietnam answers in Vietnamese until asked.
"""

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
