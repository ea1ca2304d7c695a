"""The public portal (no login, under /phan-anh/): send feedback, follow it, rate it; follow
an administrative dossier and rate its handling (/phan-anh/ho-so/).

Privacy: a case opens only with its tracking code **and** its access key, given once on
the receipt (reached by a redirect: the key waits in the session, never in the address;
`receipts`). Codes are short, so people can read them over the phone and write them on
papers; the key (10 characters, about 50 bits) is what makes a case unreachable by guessing
codes. Looking a case up by code and contact was rejected: phone numbers are easy to guess
or to know. An unknown code and a wrong key get the same answer. A dossier works the same
way, with the code and the key printed on its receipt (giấy tiếp nhận hồ sơ và hẹn trả kết
quả); its page shows where it stands and its public timeline, never an official's name.

Abuse limits: size limits on every field (the form and the service), at most
`services.RATE_LIMIT_PER_HOUR` submissions an hour from one address (counted in the
database, so every web process sees the same count), at most `LOOKUP_FAILURES_PER_HOUR`
failed look-ups an hour from one address (Django's cache; feedback and dossiers together,
and the official's code of a submission refused: `forms.FeedbackSubmitForm.clean`), and a
honeypot field.
"""

from __future__ import annotations

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.core.errors import ServiceError

from . import receipts, selectors, services
from .forms import (
    DossierLookupForm,
    DossierPublicRateForm,
    FeedbackSubmitForm,
    LookupForm,
    RateForm,
)

LOOKUP_FAILURES_PER_HOUR = 20
FEEDBACK_LOOKUP = "citizens/public/lookup.html"
DOSSIER_LOOKUP = "citizens/public/dossier_lookup.html"
TOO_MANY_LOOKUPS = gettext_lazy("Too many failed look-ups from your connection. Please try "
                                "again in an hour.")
CASE_NOT_FOUND = gettext_lazy("No case matches this code and key. Check both on your "
                              "receipt.")
DOSSIER_NOT_FOUND = gettext_lazy("No dossier matches this code and key. Check both on your "
                                 "receipt.")


def client_address(request) -> str:
    """The address the request came from. Behind a reverse proxy, the proxy must set
    REMOTE_ADDR (e.g. uvicorn/gunicorn's forwarded-allow-ips); X-Forwarded-For is not
    trusted here, since anyone can send it."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _posted(request):
    """The data a form is bound to: a POST's, even an empty one (so it shows the
    required-field errors), else None."""
    return request.POST if request.method == "POST" else None


def _lookup_key(request) -> str:
    return "citizens:lookup-failures:" + services._keyed(f"ip:{client_address(request)}")


def _too_many_lookups(request) -> bool:
    return (cache.get(_lookup_key(request)) or 0) >= LOOKUP_FAILURES_PER_HOUR


def _count_failure(request) -> None:
    key = _lookup_key(request)
    if cache.add(key, 1, timeout=3600):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired meanwhile
        cache.add(key, 1, timeout=3600)


def _too_many(request, form, template: str):
    form.add_error(None, TOO_MANY_LOOKUPS)
    return render(request, template, {"form": form}, status=429)


def _find(request, form, get, not_found):
    """What the bound form's code and key open (`get`: a public selector), or None: a wrong
    code or key counts as a failed look-up and is explained on the form."""
    if not form.is_valid():
        return None
    found = get(code=form.cleaned_data["code"], key=form.cleaned_data["key"])
    if found is None:
        _count_failure(request)
        form.add_error(None, not_found)
    return found


@require_http_methods(["GET", "POST"])
def submit(request):
    """Send feedback or a complaint; the answer is a redirect to the receipt with the code
    and the key (so reloading the receipt never files the case twice)."""
    form = FeedbackSubmitForm(_posted(request))
    if request.method == "POST":
        if form.is_robot():
            form.add_error(None, _("Your message could not be sent. Leave the last field "
                                   "empty and try again."))
        elif (any(request.POST.get(name, "").strip() for name in ("official", "dossier"))
              and _too_many_lookups(request)):
            # an official's or a dossier's code refused counts as a failed look-up, so codes
            # cannot be tried one after the other; no code is checked (nor kept) past the
            # limit
            posted = request.POST.copy()
            posted["official"] = posted["dossier"] = ""
            return _too_many(request, FeedbackSubmitForm(posted),
                             "citizens/public/submit.html")
        elif not form.is_valid():
            if form.lookup_refused:
                _count_failure(request)
        else:
            data = form.cleaned_data
            try:
                feedback, key = services.feedback_submit(
                    kind=data["kind"], category=data["category"], unit=data["unit"],
                    text=data["text"], contact_name=data["contact_name"],
                    contact=data["contact"], official=data["official"],
                    dossier=data["dossier"], source_address=client_address(request))
            except ServiceError as exc:
                if exc.field in ("official", "dossier"):
                    _count_failure(request)
                form.add_error(exc.field if exc.field in form.fields else None,
                               exc.service_message)
            else:
                return receipts.redirect_to_receipt(
                    request, slot=receipts.FEEDBACK_SLOT, code=feedback.code, key=key,
                    url_name="portal:receipt")
        return render(request, "citizens/public/submit.html", {"form": form}, status=400)
    return render(request, "citizens/public/submit.html", {"form": form})


@require_GET
@never_cache
def receipt(request, code: str):
    """The receipt of feedback just sent: the code, the key (once, from the session), the
    unit responsible and the date of the answer. Without the key (a reload, another browser)
    the page says only that the key was shown once: the code alone opens nothing."""
    key = receipts.take_key(request, slot=receipts.FEEDBACK_SLOT, code=code)
    feedback = selectors.feedback_public_get(code=code, key=key) if key else None
    return render(request, "citizens/public/receipt.html", {"feedback": feedback, "key": key})


def _case_page(request, feedback, key: str, *, rate_form=None, refusal: str = "",
               thanked: bool = False, status: int = 200):
    """The case's public page; its rating form only while the case can be rated
    (`services.feedback_rate_refusal`), else `refusal`, why a rating was not taken. A case
    not closed yet says it can be rated once closed; `thanked`: a rating was just taken."""
    cannot_rate = services.feedback_rate_refusal(feedback)
    rate_later = cannot_rate is not None and cannot_rate.service_code == "not_closed"
    return render(request, "citizens/public/case.html", {
        "feedback": feedback, "key": key, "refusal": refusal, "thanked": thanked,
        "timeline": selectors.feedback_public_timeline(feedback=feedback),
        "rate_form": (rate_form or RateForm(initial={"code": feedback.code, "key": key}))
        if cannot_rate is None else None,
        "rate_note": _("You can rate the handling once the unit closes the %(case)s.")
        % {"case": feedback.noun} if rate_later and not refusal else "",
    }, status=status)


@require_http_methods(["GET", "POST"])
def lookup(request):
    """Follow a case: code and key in, status and public timeline out (POST, so the key
    does not end up in addresses, logs or browser history)."""
    return _follow(request, LookupForm(_posted(request)), FEEDBACK_LOOKUP,
                   selectors.feedback_public_get, CASE_NOT_FOUND, _case_page)


def _follow(request, form, template: str, get, not_found: str, page):
    """A look-up, for a case or a dossier: the form (`template`) on GET; on POST, within
    the rate limit, the record `get` finds by code and key shown by `page`, else the form
    again with `not_found`."""
    if request.method == "POST":
        if _too_many_lookups(request):
            return _too_many(request, form, template)
        found = _find(request, form, get, not_found)
        if found is not None:
            return page(request, found, form.cleaned_data["key"])
        return render(request, template, {"form": form}, status=400)
    return render(request, template, {"form": form})


@require_POST
def rate(request):
    """Rate a closed case (code and key again: the page holds them in hidden fields)."""
    lookup_form = LookupForm(request.POST)
    if _too_many_lookups(request):
        return _too_many(request, lookup_form, FEEDBACK_LOOKUP)
    feedback = _find(request, lookup_form, selectors.feedback_public_get, CASE_NOT_FOUND)
    if feedback is None:
        if not lookup_form.non_field_errors():  # a malformed code
            lookup_form.add_error(None, CASE_NOT_FOUND)
        return render(request, FEEDBACK_LOOKUP, {"form": lookup_form}, status=400)
    key = lookup_form.cleaned_data["key"]
    return _rated(request, feedback, key, form=RateForm(request.POST),
                  refusal=services.feedback_rate_refusal, page=_case_page,
                  rate=lambda rating: services.feedback_rate(feedback=feedback, rating=rating))


def _rated(request, record, key: str, *, form, refusal, page, rate):
    """A rating sent for `record` (a case or a dossier, found by its code and key): taken
    by `rate`, then the page. When the record cannot be rated (`refusal`: not done yet,
    rated already, also by a rating sent meanwhile) the page says why, without the form, so
    nothing invites sending it again; a rating not chosen is shown on the form. A rating
    taken is thanked for on the page (`thanked`).

    No POST/redirect/GET here: the page opens only with the code and the key, which the
    GET after a redirect would need in its address (which the key must never be in) or
    kept in the session past the one showing `receipts` allows. So a reload sends the
    rating again: the same rating as the one recorded is thanked for again, not refused
    (only a different one is told that the record was rated already)."""
    refused = refusal(record)
    if refused is None and form.is_valid():
        try:
            record = rate(form.cleaned_data["rating"])
        except ServiceError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.service_message)
            else:
                record.refresh_from_db()
                refused = exc
        else:
            return page(request, record, key, thanked=True)
    if (refused is not None and refused.service_code == "already_rated" and form.is_valid()
            and form.cleaned_data["rating"] == record.rating):
        return page(request, record, key, thanked=True)  # sent again (a reload)
    if refused is not None:
        return page(request, record, key, refusal=refused.service_message, status=400)
    return page(request, record, key, rate_form=form, status=400)


# -- dossiers ------------------------------------------------------------------------------


def _dossier_page(request, dossier, key: str, *, rate_form=None, refusal: str = "",
                  thanked: bool = False, status: int = 200):
    """The dossier's public page; its rating form only while the dossier can be rated
    (`services.dossier_rate_refusal`), else `refusal`, why a rating was not taken;
    `thanked`: a rating was just taken."""
    view = selectors.dossier_public_view(dossier=dossier)
    can_rate = services.dossier_rate_refusal(dossier) is None
    return render(request, "citizens/public/dossier.html", {
        "dossier": view, "key": key, "refusal": refusal, "thanked": thanked,
        "rate_form": (rate_form or DossierPublicRateForm(initial={"code": view.code,
                                                                   "key": key}))
        if can_rate else None,
    }, status=status)


@require_http_methods(["GET", "POST"])
def dossier_lookup(request):
    """Follow a dossier: code and key in (POST, so the key stays out of addresses and
    logs), where it stands and its public timeline out."""
    return _follow(request, DossierLookupForm(_posted(request)), DOSSIER_LOOKUP,
                   selectors.dossier_public_get, DOSSIER_NOT_FOUND, _dossier_page)


@require_POST
def dossier_rate(request):
    """The applicant rates the handling of a returned dossier, once (code and key again,
    from the page's hidden fields)."""
    lookup_form = DossierLookupForm(request.POST)
    if _too_many_lookups(request):
        return _too_many(request, lookup_form, DOSSIER_LOOKUP)
    dossier = _find(request, lookup_form, selectors.dossier_public_get, DOSSIER_NOT_FOUND)
    if dossier is None:
        return render(request, DOSSIER_LOOKUP, {"form": lookup_form}, status=400)
    key = lookup_form.cleaned_data["key"]
    return _rated(request, dossier, key, form=DossierPublicRateForm(request.POST),
                  refusal=services.dossier_rate_refusal, page=_dossier_page,
                  rate=lambda rating: services.dossier_rate(dossier=dossier, rating=rating,
                                                            public=True))
