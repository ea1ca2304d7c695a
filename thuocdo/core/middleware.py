"""Request middleware: the UI language, and the caller's scope (`request.scope`)."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .scope import get_scope


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(lambda: get_scope(request))
        return self.get_response(request)


class LanguageMiddleware(LocaleMiddleware):
    """Pages are in Vietnamese unless the person chose English with the language switch.

    Django's own middleware would follow the browser's Accept-Language, so an official whose
    browser happens to be set to English would get the English UI without asking. Here only
    the language cookie (set by the switch) changes the page language. API clients, under
    /api/ and Open311's /open311/ (`API_PREFIXES`), may still ask with Accept-Language.
    """

    #: the paths of machine clients, which choose their language with Accept-Language
    API_PREFIXES = ("/api/", "/open311/")

    def process_request(self, request):
        if request.path_info.startswith(self.API_PREFIXES):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None
