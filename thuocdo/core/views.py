"""Pages that belong to no single app: the home page, and /favicon.ico for browsers that ask
for it before reading the page's icon link."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from thuocdo.accountability import selectors as accountability_selectors
from thuocdo.accounts.choices import Role
from thuocdo.citizens import selectors as citizens_selectors
from thuocdo.core.calendar import work_calendar
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import selectors as evaluations_selectors
from thuocdo.org import selectors as org_selectors
from thuocdo.tasks import selectors as tasks_selectors
from thuocdo.tasks.choices import TaskState


@login_required
@require_GET
def home(request):
    """The user's starting page: who they are, where they work, what they can see."""
    scope = request.scope
    official = None
    if scope.official_id is not None:
        try:
            official = org_selectors.official_get(scope=scope, code=request.user.official.code)
        except ObjectDoesNotExist:  # pragma: no cover - one's own official is always readable
            official = None
    summary = org_selectors.unit_scope_summary(scope=scope)
    lead_or_board = {unit.pk for unit in summary["lead"] + summary["board"]}
    context = {
        "nav": "home",
        "official": official,
        "memberships": official.current_memberships if official else [],
        "roles": [role.label for role in Role if role.value in scope.roles],
        "lead_units": summary["lead"],
        "board_units": summary["board"],
        # Subtrees read but neither led nor managed: an inspector's grants.
        "inspect_units": [u for u in summary["read"] if u.pk not in lead_or_board],
        # Units one belongs to without reading their subtree: staff see these units' lists.
        "member_units": [
            u for u in summary["member"]
            if not any(lft <= u.lft and u.rgt <= rgt for lft, rgt in scope.read_ranges)
        ],
    }
    # The "my work" card renders without JS (htmx only refreshes it).
    my_work_counts = (tasks_selectors.my_work_counts(scope=scope)
                      if scope.official_id is not None else None)
    context["my_work_counts"] = my_work_counts
    context["urgent"] = _urgent_work(scope)
    context["waiting"] = waiting_for(scope, my_work_counts=my_work_counts)
    return render(request, "core/home.html", context)


@dataclass(frozen=True)
class Waiting:
    """One line of the home page's "waiting for you" panel: how many (None for a period
    waiting for a step, which is one thing), what, a note (a due day), and the list that
    shows exactly those items (`url`)."""

    text: str
    url: str
    count: int | None = None
    note: str = ""
    urgent: bool = False


def _url(name: str, *, kwargs: dict | None = None, query: dict | None = None,
         anchor: str = "") -> str:
    url = reverse(name, kwargs=kwargs)
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{anchor}" if anchor else "")


def _period_step(period, step: str) -> str:
    """What a period waits for from the organisation board
    (`evaluations.selectors.PERIOD_STEPS`), in words."""
    values = {"p": period_name(period.label)}
    text = {
        "score": _("%(p)s has ended: compute its cards"),
        "review": _("%(p)s is in self-scoring: start the review when it is time"),
        "publish": _("%(p)s is approved: publish its grades"),
        "lock": _("%(p)s: the appeal window is over and every appeal decided; lock it"),
    }[step]
    return capfirst(text % values)


def waiting_for(scope, *, my_work_counts: dict | None = None) -> list[Waiting]:
    """What waits for the caller's decision or answer, each with how many and the list
    that shows exactly them: explanations asked of them, signals to decide, work escalated
    (S9) to the units they head and still overdue (the accountability dashboard's rule and
    list), appeals, score cards to review and to approve, products handed in and guidance
    requests, extension requests (the "my work" counts, `my_work_counts`, already read),
    citizens' feedback to assign or answer, periods waiting for the organisation board's
    step, for an inspector the overdue explanations in the units they inspect, and the
    caller's own score card to self-score while they may (docs/scoring.md). Only
    what is there; each app counts with its own selectors, in a fixed number of queries."""
    today = timezone.localdate()
    found: list[Waiting] = []
    signals = accountability_selectors.waiting_for(scope=scope, today=today)
    evaluations = evaluations_selectors.waiting_for(scope=scope)
    feedback = citizens_selectors.feedback_waiting(scope=scope)
    work = my_work_counts or {}
    signal_list = "accountability:signal_list"
    if signals.to_explain:
        note = _("the first due by %(d)s") % {"d": signals.explain_by.strftime("%d/%m/%Y")} \
            if signals.explain_by else ""
        if signals.explain_overdue:
            note += ("; " if note else "") + ngettext(
                "%(n)d past its due day", "%(n)d past their due day",
                signals.explain_overdue) % {"n": signals.explain_overdue}
        found.append(Waiting(
            ngettext("explanation asked of you", "explanations asked of you",
                     signals.to_explain),
            _url(signal_list, query={"waiting": "explain"}), signals.to_explain, note,
            urgent=bool(signals.explain_overdue)))
    if signals.to_decide:
        found.append(Waiting(
            ngettext("signal waiting for your decision", "signals waiting for your decision",
                     signals.to_decide),
            _url(signal_list, query={"waiting": "decide"}), signals.to_decide))
    for unit, n in signals.escalated:
        # the dashboard's panel "escalated to this unit and still overdue" and its list
        found.append(Waiting(
            ngettext("escalation to %(u)s (S9) not decided, its work still overdue",
                     "escalations to %(u)s (S9) not decided, their work still overdue", n)
            % {"u": unit.name},
            _url(signal_list, query={"unit": unit.code, "escalated": "on", "code": "S9",
                                     "status": "undecided", "work_overdue": "on"}),
            n, urgent=True))
    for period, n in evaluations.appeals:
        found.append(Waiting(
            ngettext("appeal on the grades of %(p)s waiting for your decision",
                     "appeals on the grades of %(p)s waiting for your decision", n)
            % {"p": period_name(period.label)},
            _url("evaluations:period_detail", kwargs={"label": period.label},
                 anchor="appeals-to-decide"), n))
    for row in evaluations.cards:
        if row.what == evaluations_selectors.WAIT_REVIEW:
            text = ngettext("score card of %(u)s for %(p)s waiting for your review",
                            "score cards of %(u)s for %(p)s waiting for your review",
                            row.count)
        else:
            text = ngettext("score card of %(u)s for %(p)s waiting for your approval",
                            "score cards of %(u)s for %(p)s waiting for your approval",
                            row.count)
        found.append(Waiting(
            text % {"u": row.unit.name, "p": period_name(row.period.label)},
            _url("evaluations:unit_ranking",
                 kwargs={"label": row.period.label, "code": row.unit.code},
                 query={"waiting": row.what}), row.count))
    if work.get("to_review"):
        found.append(Waiting(
            ngettext("product handed in or guidance request waiting for you",
                     "products handed in or guidance requests waiting for you",
                     work["to_review"]),
            _url("tasks:my_work", anchor="section-to_review"), work["to_review"]))
    if work.get("to_decide"):
        found.append(Waiting(
            ngettext("extension request waiting for your decision",
                     "extension requests waiting for your decision", work["to_decide"]),
            _url("tasks:my_work", anchor="section-to_decide"), work["to_decide"]))
    if work.get("opinions"):
        found.append(Waiting(
            ngettext("opinion asked of your unit, to give",
                     "opinions asked of your unit, to give", work["opinions"]),
            _url("tasks:my_work", anchor="section-opinions"), work["opinions"]))
    inbox = "citizens:feedback_inbox"
    if feedback[citizens_selectors.WAIT_ASSIGN]:
        n = feedback[citizens_selectors.WAIT_ASSIGN]
        found.append(Waiting(
            ngettext("citizens' feedback case to assign", "citizens' feedback cases to assign",
                     n), _url(inbox, query={"waiting": citizens_selectors.WAIT_ASSIGN}), n))
    if feedback[citizens_selectors.WAIT_ANSWER]:
        n = feedback[citizens_selectors.WAIT_ANSWER]
        found.append(Waiting(
            ngettext("citizens' feedback case assigned to you to answer",
                     "citizens' feedback cases assigned to you to answer", n),
            _url(inbox, query={"waiting": citizens_selectors.WAIT_ANSWER}), n))
    for period, step in evaluations.periods:
        found.append(Waiting(_period_step(period, step), period.get_absolute_url()))
    for card, _what in evaluations.own:  # their self-score (`OWN_SELF_SCORE`)
        found.append(Waiting(
            _("your self-assessment of your score card for %(p)s")
            % {"p": period_name(card.period.label)},
            _url("evaluations:card_detail", kwargs={"label": card.period.label,
                                                    "official": card.official.code},
                 anchor="self-heading"),
            note=_("until your general criteria are assessed")))
    for unit, n in signals.inspected:
        found.append(Waiting(
            ngettext("explanation overdue in %(u)s, the units you inspect",
                     "explanations overdue in %(u)s, the units you inspect", n)
            % {"u": unit.name},
            _url(signal_list, query={"unit": unit.code, "overdue": "on"}), n))
    return found


#: how many of the caller's tasks the home page names, most urgent first
URGENT_TASKS = 5


def _urgent_work(scope) -> list:
    """The few open tasks the caller holds that are due first (overdue first), each with
    the working days it is overdue: one query for the tasks, one for the calendar.

    "Overdue" is what the "My work" counter counts: work the caller holds past its deadline
    in force, except products submitted to them for review (the delay, if any, was counted
    when the product was handed in): those say whether they were handed in on time."""
    tasks = tasks_selectors.my_urgent_work(scope=scope, limit=URGENT_TASKS)
    today = timezone.localdate()
    for task in tasks:
        task.to_review = task.state == TaskState.SUBMITTED
        task.handed_in_on_time = tasks_selectors.handed_in_on_time(task)
    overdue = [task for task in tasks if task.due_in_force < today and not task.to_review]
    if overdue:
        years = range(min(t.due_in_force for t in overdue).year, today.year + 1)
        calendar = work_calendar(years=years)
        for task in overdue:
            task.workdays_overdue = calendar.workdays_between(task.due_in_force, today)
    return tasks


#: the site's icon (a ruler), linked from base.html
FAVICON = "thuocdo/favicon.svg"


@require_GET
def favicon(request):
    """/favicon.ico: the icon among the static files (no login, nothing behind it)."""
    return redirect(static(FAVICON))


# -- error pages of machine clients ---------------------------------------------------------


def _machine_error(request, status: int, message: str):
    """The error of a machine client's path in its own format (`LanguageMiddleware`'s
    API_PREFIXES): the API's `{"code", "message", "errors"}`, Open311's
    `[{"code", "description"}]`; None for a page's path."""
    from django.http import JsonResponse

    from .middleware import LanguageMiddleware

    path = request.path_info
    if not path.startswith(LanguageMiddleware.API_PREFIXES):
        return None
    if path.startswith("/open311/"):
        from thuocdo.citizens import open311

        return open311.error_reply(status, message)
    code = "not_found" if status == 404 else "server_error"
    # UTF-8 as DRF's replies, not \u escapes
    return JsonResponse({"code": code, "message": message, "errors": {}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def page_not_found(request, exception):
    """404: a page for people; JSON for the API and Open311 (an unknown route answered the
    site's HTML page to a client that reads JSON)."""
    from django.views import defaults

    return (_machine_error(request, 404, _("Not found."))
            or defaults.page_not_found(request, exception))


def server_error(request):
    """500: the site's page for people; JSON for the API and Open311."""
    from django.views import defaults

    return (_machine_error(request, 500, _("A server error occurred: it was recorded; try "
                                           "again later."))
            or defaults.server_error(request))
