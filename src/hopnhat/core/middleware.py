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
