"""Request middleware: the UI language, the caller's scope (`request.scope`), and a page
for a form's address opened as a page (405)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

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


class MethodNotAllowedPage:
    """A form's address (a view that takes POST only) opened as a page: reloaded, opened in
    a new tab, or the language switched on the page a refused form left there. Django
    answers 405 with an empty body, which a browser shows as its own bare error page; the
    site's page says what happened instead, in the person's language, with a way back (the
    405 status and its Allow header kept). Machine clients (`LanguageMiddleware.API_PREFIXES`)
    get their 405 as it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 405 and not response.content
                and request.method in ("GET", "HEAD")
                and not request.path_info.startswith(LanguageMiddleware.API_PREFIXES)):
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()) \
                    or urlsplit(back).path == request.path:
                back = ""  # only back into the site, and not to this same address
            page = render(request, "405.html", {"back": back}, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
