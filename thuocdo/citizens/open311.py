"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /open311/v2/, mapped onto
feedback, so existing civic apps can submit cases and follow them.

- `services.json`: the feedback categories (service_code = the category).
- `requests.json` GET: public facts of cases; POST: a new case. `jurisdiction_id` names the
  unit concerned (its code) and is required on POST.
- `requests/{id}.json`: one case by its tracking code.

Privacy, as on the portal: nobody sees another submitter's data, so `description`,
`address`, `lat`, `long` and `media_url` are always null in answers (the fields are there,
as the specification lists them); `status_notes` holds only what the public timeline shows
(the unit a case was forwarded to and why). A POST answers with the tracking code and,
as an extension, the `access_key` that opens the case on the portal. No API key is required;
the portal's rate limit per address applies. `email` must be an e-mail address and `phone`
a Vietnamese phone number (`contacts.clean_contact`; the case keeps the e-mail address when
both are given). Only JSON is served: any other format (`services.xml`, `requests/X.xml`) is
a 400 in the error format. Errors are `[{"code": <HTTP status>, "description": "..."}]`,
and a description names the request's parameter, never a field of the database.

`requests.json` GET without `start_date` and `end_date` lists the cases received in the
last `DEFAULT_DAYS` (90) days, the specification's default; with one of them, the window is
the 90 days before `end_date` or from `start_date` to now. An unknown `jurisdiction_id` or
`service_code`, and a `start_date` after `end_date`, are refused (400) rather than ignored:
an answer of everything, or of nothing, would be mistaken for the answer to the question.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from thuocdo.core.errors import ServiceError
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.org.models import Unit

from . import contacts, services
from .choices import FeedbackCategory, FeedbackEventKind, FeedbackStatus
from .models import Feedback
from .portal import client_address

#: the most requests one GET returns, and the default window (the specification's 90 days)
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
#: the longest text a number parameter (lat, long) may be
NUMBER_MAX = 32


def error_reply(status: int, description: str) -> JsonResponse:
    """GeoReport v2's error: `[{"code": <HTTP status>, "description": "..."}]`, UTF-8 as
    the API's replies (the site's 404 and 500 under /open311/ answer it too)."""
    return JsonResponse([{"code": status, "description": description}], status=status,
                        safe=False, json_dumps_params={"ensure_ascii": False})


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def service_list() -> list[dict]:
    return [{
        "service_code": value, "service_name": str(label), "description": str(label),
        "metadata": False, "type": "realtime", "keywords": "", "group": "",
    } for value, label in FeedbackCategory.choices]


def _status_notes(feedback: Feedback, forwards: list) -> str:
    if forwards:
        last = forwards[-1].data
        notes = _("Forwarded to %(unit)s: %(reason)s") % {
            "unit": last.get("to_unit_name") or last.get("to_unit"), "reason": last.get("reason")}
        deadline = forwards[-1].forward_deadline
        return notes if deadline is None else f"{notes} {deadline}"
    return str(feedback.get_status_display())


def request_record(feedback: Feedback, forwards: list | None = None) -> dict:
    """One case as GeoReport v2's service request (public facts only)."""
    if forwards is None:
        forwards = list(feedback.events.filter(kind=FeedbackEventKind.FORWARD).order_by("seq"))
    due = dt.datetime.combine(feedback.reply_due, dt.time(23, 59, 59),
                              tzinfo=timezone.get_current_timezone())
    updated = feedback.last_event_at
    return {
        "service_request_id": feedback.code,
        "status": "closed" if feedback.status == FeedbackStatus.CLOSED else "open",
        "status_notes": _status_notes(feedback, forwards),
        "service_name": str(feedback.get_category_display()),
        "service_code": feedback.category,
        "description": None,
        "agency_responsible": feedback.unit.name,
        "service_notice": "",
        "requested_datetime": _iso(feedback.submitted_at),
        "updated_datetime": _iso(updated),
        "expected_datetime": _iso(due),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


#: the request's parameter that a field of `services.feedback_submit` comes from, to name
#: it in an error
PARAMETERS = {
    "text": "description", "address": "address_string", "contact_name": "first_name, last_name",
    "contact": "email, phone", "category": "service_code", "unit": "jurisdiction_id",
}


def _jurisdiction(request) -> tuple[Unit | None, JsonResponse | None]:
    """The unit `jurisdiction_id` names on a GET (None when absent), or the error naming
    it: an unknown one is refused, not ignored (the answer would be every case)."""
    code = request.GET.get("jurisdiction_id", "").strip()
    if not code:
        return None, None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        return None, error_reply(400, _("jurisdiction_id: no unit has this code."))
    return unit, None


@require_GET
def services_json(request):
    if _has_nul(request):
        return _nul_error()
    _unit, error = _jurisdiction(request)
    if error is not None:
        return error
    return JsonResponse(service_list(), safe=False)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsupported_format(request, fmt: str, code: str = ""):
    """`services.xml`, `requests.xml`, `requests/{id}.xml` and any other format than JSON:
    a 400 in the error format, rather than the site's HTML page of a missing address."""
    return error_reply(400, _("Only JSON is served: use the .json address (the format “%(fmt)s” "
                         "is not supported).") % {"fmt": fmt[:16]})


def _parse_datetime(value: str) -> dt.datetime | None:
    """A W3C date and time with a time zone, of a year a record may have
    (`core.periods.year_in_range`: 0001 or 9999 would overflow when moved to UTC or by the
    default window); None for anything else."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo and year_in_range(moment.year) else None


def _list(request) -> JsonResponse:
    rows = Feedback.objects.select_related("unit")
    unit, error = _jurisdiction(request)
    if error is not None:
        return error
    if unit is not None:  # the cases now with the unit or a unit under it
        rows = rows.filter(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt)
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        rows = rows.filter(code__in=ids[:MAX_REQUESTS])
    else:
        dates = {}
        for name in ("start_date", "end_date"):
            text = request.GET.get(name)
            dates[name] = _parse_datetime(text) if text else None
            if text and dates[name] is None:
                return error_reply(400, _("%(name)s is a date and time in W3C format with a time "
                                     "zone, of a year from %(first)s to %(last)s.")
                              % {"name": name, "first": FIRST_YEAR, "last": LAST_YEAR})
        start, end = dates["start_date"], dates["end_date"]
        if start is not None and end is not None and start > end:
            return error_reply(400, _("start_date is after end_date."))
        # GeoReport v2's default: the last 90 days (or the 90 days before end_date)
        end = end or timezone.now()
        start = start or end - dt.timedelta(days=DEFAULT_DAYS)
        rows = rows.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        unknown = [c for c in codes if c not in FeedbackCategory.values]
        if unknown:
            return error_reply(400, _("service_code: %(code)s is not a service code (see "
                                 "services.json).") % {"code": unknown[0][:64]})
        if codes:
            rows = rows.filter(category__in=codes)
        status = request.GET.get("status", "").strip()
        if status == "open":
            rows = rows.exclude(status=FeedbackStatus.CLOSED)
        elif status == "closed":
            rows = rows.filter(status=FeedbackStatus.CLOSED)
        elif status:
            return error_reply(400, _("status is open or closed."))
    rows = list(rows.order_by("-submitted_at")[:MAX_REQUESTS])
    forwards: dict[int, list] = {}
    from .models import FeedbackEvent

    for event in FeedbackEvent.objects.filter(feedback__in=rows,
                                              kind=FeedbackEventKind.FORWARD).order_by("seq"):
        forwards.setdefault(event.feedback_id, []).append(event)
    return JsonResponse([request_record(f, forwards.get(f.pk, [])) for f in rows], safe=False)


def _degrees(value: str | None, *, limit: int) -> Decimal | None:
    """Decimal degrees from -`limit` to `limit`, to the 6 places a case keeps; None when
    the parameter is absent or empty. Anything else is a ValueError: text, NaN, infinities,
    numbers out of range whatever their exponent (1e30 once failed in `quantize` with a
    500), and text longer than any number of degrees."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > NUMBER_MAX:
        raise ValueError(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    # NaN first: comparing it raises; within ±180, quantize always fits the precision
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValueError(text)
    return number.quantize(Decimal("0.000001"))


def _create(request) -> JsonResponse:
    data = request.POST
    code = data.get("service_code", "").strip()
    if code not in FeedbackCategory.values:
        return error_reply(400, _("service_code is missing or unknown (see services.json)."))
    unit = Unit.objects.filter(code=data.get("jurisdiction_id", "").strip(), is_active=True).first()
    if unit is None:
        return error_reply(400, _("jurisdiction_id must be the code of the unit concerned."))
    degrees = {}
    for name, limit in (("lat", 90), ("long", 180)):
        try:
            degrees[name] = _degrees(data.get(name), limit=limit)
        except ValueError:
            return error_reply(400, _("%(name)s is a number of decimal degrees from -%(limit)s to "
                                 "%(limit)s.") % {"name": name, "limit": limit})
    lat, long = degrees["lat"], degrees["long"]
    if (lat is None) != (long is None):  # half a position is no location
        given, missing = ("lat", "long") if long is None else ("long", "lat")
        return error_reply(400, _("%(missing)s is required with %(given)s.")
                      % {"missing": missing, "given": given})
    address = data.get("address_string", "")
    if lat is None and not address.strip():
        return error_reply(400, _("A location is required: lat and long, or address_string."))
    name = " ".join(p for p in (data.get("first_name", "").strip(),
                                data.get("last_name", "").strip()) if p)
    try:
        # Each parameter is checked as what it says it is; the case keeps one contact.
        email = contacts.clean_contact(data.get("email"), label="email", kind=contacts.EMAIL)
        phone = contacts.clean_contact(data.get("phone"), label="phone", kind=contacts.PHONE)
    except ValidationError as exc:
        return error_reply(400, exc.messages[0])
    contact = email or phone
    try:
        feedback, key = services.feedback_submit(
            category=code, unit=unit, text=data.get("description", ""), contact_name=name,
            contact=contact, address=address, lat=lat, long=long,
            source_address=client_address(request), via="open311")
    except ServiceError as exc:
        status = 429 if exc.service_code == "rate_limited" else 400
        parameter = PARAMETERS.get(exc.field or "")
        return error_reply(status, f"{parameter}: {exc.service_message}" if parameter
                      else exc.service_message)
    return JsonResponse([{
        "service_request_id": feedback.code,
        "service_notice": _("Keep the tracking code and the access key to follow the case."),
        "account_id": None,
        "access_key": key,
    }], status=201, safe=False)


def _has_nul(request, *values: str) -> bool:
    """Whether a parameter (its name or a value) or one of `values` holds a NUL character,
    which PostgreSQL can neither store nor compare (a 500 there before)."""
    for query in (request.GET, request.POST):
        for name, items in query.lists():
            if "\x00" in name or any("\x00" in item for item in items):
                return True
    return any("\x00" in value for value in values)


def _nul_error() -> JsonResponse:
    return error_reply(400, _("Parameters may not contain NUL characters."))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_json(request):
    if _has_nul(request):
        return _nul_error()
    if request.method == "POST":
        return _create(request)
    return _list(request)


@require_GET
def request_json(request, code: str):
    if _has_nul(request, code):
        return _nul_error()
    unit, error = _jurisdiction(request)
    if error is not None:
        return error
    feedback = Feedback.objects.select_related("unit").filter(code=code).first()
    if feedback is not None and unit is not None and not (
            unit.lft <= feedback.unit.lft and feedback.unit.rgt <= unit.rgt):
        feedback = None  # not a case of that jurisdiction
    if feedback is None:
        return error_reply(404, _("No service request has this id."))
    return JsonResponse([request_record(feedback)], safe=False)
