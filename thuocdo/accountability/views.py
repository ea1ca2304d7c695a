"""Pages of accountability: the dashboard (and its xlsx), signals and their answer, the
holders' delays behind the dashboard, and a directive's cascade."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from thuocdo.citizens import selectors as citizen_selectors
from thuocdo.citizens.choices import group_labels, rate_labels
from thuocdo.core import xlsx
from thuocdo.core.calendar import work_calendar
from thuocdo.core.charts import Series, horizontal_stacked_bars, vertical_stacked_bars
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.filters import refuse_export
from thuocdo.core.htmx import render_page
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.history import Bucket
from thuocdo.org import selectors as org_selectors
from thuocdo.tasks import selectors as task_selectors
from thuocdo.tasks.forms import BUCKET_LABELS

from . import selectors, services
from .choices import PROTECTED_INITIATIVE, SIGNAL_NAMES, SignalStatus, status_label
from .forms import (
    CountedTasksForm,
    DashboardForm,
    DelayFilterForm,
    SignalFilterForm,
    SignalRecordForm,
    SignalStepForm,
)

PAGE_SIZE = 50

#: the columns of the dashboard's signals by code after "All", one per status in the order
#: of `SignalStatus` (as `selectors.signal_counts` gives them: the row adds up to all),
#: each with its header
_STATUS_HEADERS = {
    SignalStatus.OPEN: gettext_lazy("Open"),
    SignalStatus.REQUESTED: gettext_lazy("Explanation requested"),
    SignalStatus.EXPLAINED: gettext_lazy("Explained"),
    SignalStatus.ACCEPTED: gettext_lazy("Accepted (S15: protected)"),
    SignalStatus.CONFIRMED: gettext_lazy("Confirmed (S15: not protected)"),
    SignalStatus.WITHDRAWN: gettext_lazy("Withdrawn (recorded by mistake)"),
}
SIGNAL_STATUS_COLUMNS = tuple((status.value, _STATUS_HEADERS[status]) for status in SignalStatus)
COLOURS = {Bucket.DONE_ON_TIME: "#2e7d32", Bucket.DONE_LATE: "#ef8f00",
           Bucket.OPEN_WITHIN_DEADLINE: "#1f6fb2", Bucket.OPEN_OVERDUE: "#a4141c"}


def _series() -> list[Series]:
    return [Series(b.value, str(BUCKET_LABELS[b.value]), COLOURS[b]) for b in Bucket]


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def _tasks_url(query: dict, bucket: str) -> str:
    """The work list of one bucket behind a dashboard number."""
    params = {k: v for k, v in query.items() if v}
    params["bucket"] = bucket
    return f"{reverse('tasks:task_list')}?{urlencode(params)}"


def _counted_url(query: dict) -> str:
    """The list behind a dashboard total: the tasks in the four buckets. Not the work list,
    which also lists cancelled tasks (in no bucket, so in no total) and cannot leave them
    out."""
    params = {k: v for k, v in query.items() if v}
    return f"{reverse('accountability:counted_tasks')}?{urlencode(params)}"


def _dashboard_form(request):
    """The dashboard's form over the query and the unit it shows; 404 unless the caller may
    see that unit's dashboard (a unit they may not see answers as one that does not exist,
    so that neither the page nor its export tells them apart). The month may be wrong: the
    page shows the current month with the error, the export refuses."""
    form = DashboardForm(request.GET, scope=request.scope)
    unit = form.chosen_unit
    if (unit is None or "unit" in form.errors
            or not selectors.may_see_dashboard(request.scope, unit)):
        raise Http404(_("Not found."))
    return form, unit


def _board(request, form, unit):
    return selectors.dashboard(scope=request.scope, unit=unit, period=form.chosen_period,
                               today=timezone.localdate())


def _dashboard_data(request):
    form, unit = _dashboard_form(request)
    return form, _board(request, form, unit)


@login_required
@require_GET
def dashboard(request):
    """A unit's month: buckets per sub-unit and person, delay per holder, signals by code,
    the 12-month trend, the oldest overdue work, escalations; every number links to its
    list."""
    form, board = _dashboard_data(request)
    series = _series()
    for row in [board.totals, *board.subunits, *board.people]:
        row.links = {b: _tasks_url(row.query, b) for b in row.counts}
        row.link = _counted_url(row.query)
    context = {
        "nav": "accountability",
        "form": form,
        "board": board,
        "buckets": [(b.value, BUCKET_LABELS[b.value]) for b in Bucket],
        "signal_names": SIGNAL_NAMES,
        "signal_statuses": SIGNAL_STATUS_COLUMNS,
        "subunit_chart": horizontal_stacked_bars(
            rows=[(r.label, r.counts) for r in board.subunits], series=series,
            title=_("Tasks of %(period)s by sub-unit and bucket")
            % {"period": period_name(board.period)}),
        "trend_chart": vertical_stacked_bars(
            columns=[(t["period"][5:] + "/" + t["period"][:4], t["counts"])  # mm/yyyy
                     for t in board.trend], series=series,
            title=_("Tasks by month of their original deadline, last 12 months")),
        "service_index": _service_index(request, board),
        "export_query": urlencode({"unit": board.unit.code, "period": board.period}),
        "overdue_url": _overdue_url(board.unit),
    }
    return render_page(request, "accountability/dashboard.html", context)


def _overdue_url(unit) -> str:
    """The signal list behind the number of overdue explanations."""
    return (f"{reverse('accountability:signal_list')}?"
            f"{urlencode({'unit': unit.code, 'overdue': 'on'})}")


def _service_index(request, board):
    """The unit's service index (Decision 766), from the citizens app."""
    return citizen_selectors.service_index(scope=request.scope, unit=board.unit,
                                           period_start=board.start, period_end=board.end)


def _cell(ws, value):
    """A value as written to the export: numbers as numbers, dates as dates shown
    dd/mm/yyyy, everything else as text (never a formula)."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return xlsx.date(ws, value)
    return xlsx.text(ws, str(value))


def _signal_rows(signals) -> list[list]:
    return [[s.code, s.subject, s.official.name if s.official else None, s.unit.name,
             s.raised_on, s.get_status_display(), s.explanation] for s in signals]


def _service_index_rows(index) -> list[list]:
    """The service index as the page shows it: each group's points and maximum, the total,
    then each rate in percent ("no data" where the page says so)."""
    no_data = _("no data")
    groups = group_labels()
    rates = rate_labels()
    rows: list[list] = [[groups[g.key], no_data if g.points is None else float(g.points),
                         g.maximum] for g in index.groups]
    total = index.index.total
    rows.append([_("Total"), no_data if total is None else float(total),
                 index.index.total_maximum])
    rows.append([])
    rows.append([_("Rate"), _("Percent")])
    rows.extend([rates[key], no_data if value is None else float(value)]
                for key, value in index.rate_rows())
    return rows


@login_required
@require_GET
def dashboard_export(request):
    """The dashboard's tables and lists as an xlsx workbook, one sheet each, in the page's
    order. A unit the caller may not see answers 404, as the page does; a month that is not
    valid exports nothing: back to the dashboard, which shows the error on its field, with
    a message naming it (core/filters.py)."""
    form, unit = _dashboard_form(request)
    if form.errors:
        return refuse_export(request, form, list_url=reverse("accountability:dashboard"))
    board = _board(request, form, unit)
    book = Workbook(write_only=True)

    def sheet(title, headers, rows):
        ws = book.create_sheet(title=str(title)[:31])
        xlsx.header(ws, headers)
        for values in rows:
            ws.append([_cell(ws, v) for v in values])

    labels = [BUCKET_LABELS[b.value] for b in Bucket]
    # "Signal status", not "Status": the S9 sheet also has the task's status
    signal_headers = [_("Signal"), _("About"), _("Official"), _("Unit"), _("Raised on"),
                      _("Signal status"), _("What was seen")]
    # what the workbook covers, first: a sheet copied alone still says it
    sheet(pgettext("xlsx sheet", "About this export"), [_("Item"), _("Value")], [
        [_("Unit code"), board.unit.code], [_("Unit"), board.unit.name],
        [_("Month"), period_name(board.period)], [_("First day"), board.start],
        [_("Last day"), board.end],
        [_("Buckets, escalations and overdue explanations as of"), board.today],
        [_("Exported at"), timezone.localtime().strftime("%d/%m/%Y %H:%M")]])
    # the sub-units, then the page's "month at a glance": the unit and every unit below it
    sheet(_("Sub-units"), [_("Unit code"), _("Unit"), *labels, _("Total")],
          [*([r.code, r.label, *r.counts.values(), r.total] for r in board.subunits),
           [None, _("All of %(unit)s") % {"unit": board.unit.name},
            *board.totals.counts.values(), board.totals.total]])
    sheet(_("People"), [_("Official code"), _("Official"), *labels, _("Total")],
          [[r.code, r.label, *r.counts.values(), r.total] for r in board.people])
    # every holder, not only the page's first ones
    sheet(_("Delay by holder"), [_("Unit code"), _("Unit"), _("Official code"), _("Official"),
                                 _("Working days late"), _("Tasks")],
          [[d["unit__code"], d["unit__name"], d["official__code"], d["official__name"],
            d["days"], d["tasks"]]
           for d in selectors.holder_delays(scope=request.scope, unit=board.unit,
                                            period=board.period, limit=None)])
    sheet(_("Signals"), [_("Signal"), _("Name"), _("All"),
                         *(label for _status, label in SIGNAL_STATUS_COLUMNS)],
          [[s["code"], SIGNAL_NAMES.get(s["code"], ""), s["total"],
            *(s[status] for status, _label in SIGNAL_STATUS_COLUMNS)] for s in board.signals])
    # months in words, as the page shows them ("tháng 11/2025")
    sheet(_("12 months"), [_("Month"), *labels, _("Signals")],
          [[period_name(t["period"]), *t["counts"].values(), t["signals"]]
           for t in board.trend])
    sheet(_("Oldest overdue"), [_("Code"), _("Task"), _("Deadline in force"), _("Official"),
                                _("Unit")],
          [[t.code, t.title, t.due_in_force,
            t.holder_official.name if t.holder_official else None, t.holder_unit.name]
           for t in board.oldest])
    escalated = list(selectors.escalated_overdue(scope=request.scope, unit=board.unit,
                                                 today=board.today))
    sheet(_("Escalated (S9)"), [*signal_headers, _("Task status"), _("Deadline in force"),
                                _("Held by (official)"), _("Held by (unit)")],
          [[*row, s.task.get_state_display(), s.task.due_in_force,
            s.task.holder_official.name if s.task.holder_official else None,
            s.task.holder_unit.name]
           for row, s in zip(_signal_rows(escalated), escalated, strict=True)])
    sheet(_("Bounced (S3)"), [_("About"), _("Task"), _("Times it came back"),
                              _("Who sent it back, to whom"), _("Threshold of moves reached"),
                              _("Moves up to the threshold")],
          [[w.subject, w.task.title if w.task else None, w.bounces,
            "; ".join(r.text for r in w.returns), len(w.handed_on) or None, w.moves or None]
           for w in selectors.bounced_work(scope=request.scope, unit=board.unit,
                                           period=board.period, limit=None)])
    overdue = selectors.overdue_explanations(scope=request.scope, unit=board.unit,
                                             today=board.today)
    sheet(_("Explanations overdue"), [*signal_headers, _("Explanation due by")],
          [[*row, s.explanation_due] for row, s in zip(_signal_rows(overdue), overdue,
                                                       strict=True)])
    sheet(pgettext("xlsx sheet", "Service index"), [_("Group"), _("Points"), _("Maximum")],
          _service_index_rows(_service_index(request, board)))
    return xlsx.response(book, f"accountability-{board.unit.code}-{board.period}.xlsx")


# -- signals -----------------------------------------------------------------------------


def _filtered_signals(request) -> tuple[SignalFilterForm, QuerySet]:
    """The signal list's form over the query and the signals it lists, in its order: none
    while a filter is not valid (its error says why), never all as if it were unset."""
    form = SignalFilterForm(request.GET, scope=request.scope)
    signals = selectors.signal_list(scope=request.scope, filters=form.filters(),
                                    ordering=form.ordering)
    if not form.is_valid():
        signals = signals.none()
    return form, signals


@login_required
@require_GET
def signal_list(request):
    """Signals the caller may read: filters, sorting, pages, the xlsx export of the same;
    htmx refreshes the results."""
    form, signals = _filtered_signals(request)
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "signals",
        "form": form,
        "sort": form.ordering,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "signal_names": SIGNAL_NAMES,
        "waiting": selectors.my_open_signals(scope=request.scope)[:20],
        "today": timezone.localdate(),
        "may_record": services.may_record(request.user),
    }
    return render_page(request, "accountability/signal_list.html", context, partial="results")



@login_required
@require_GET
def signal_export(request):
    """The signal list as an xlsx sheet: the same filters, scope and order as the page, every
    signal (not one page), one query. A filter that is not valid exports nothing: back to
    the list, which names it (core/filters.py). Set-based: the rows come as tuples, every
    label is translated once and every link is made from one, not once per row (a city's
    15,000 signals took 9 s)."""
    form, signals = _filtered_signals(request)
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("accountability:signal_list"))
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=_("Signals")[:31])
    headers = [(_("Signal"), 8), (_("Name"), 28), (_("About"), 18), (_("Task"), 40),
               (_("Official code"), 14), (_("Official"), 24), (_("Unit"), 30),
               (_("Month"), 16), (_("Raised on"), 12), (_("Status"), 20),
               (_("Still raised"), 10), (_("What was seen"), 60), (_("Link"), 50)]
    xlsx.columns(ws, headers)
    text = xlsx.text
    date = xlsx.date_cells(ws, [xlsx.DATE])
    yes, no = _("Yes"), _("No")
    names = {code: str(name) for code, name in SIGNAL_NAMES.items()}
    statuses: dict[tuple[str, str], str] = {}
    months: dict[str, str] = {}
    # the link of signal 0, whose "0" each row replaces with its own id
    link = request.build_absolute_uri(reverse("accountability:signal_detail",
                                              kwargs={"pk": 0}))
    head, tail = link.rsplit("/0/", 1)
    rows = signals.values_list("pk", "code", "subject", "task__title", "official__code",
                               "official__name", "unit__name", "period", "raised_on",
                               "status", "present", "explanation")
    for (pk, code, subject, task, official_code, official, unit, period, raised_on, status,
         present, explanation) in rows.iterator(chunk_size=2000):
        status_text = statuses.get((code, status))
        if status_text is None:
            status_text = statuses[code, status] = status_label(code, status)
        month = months.get(period)
        if month is None:
            month = months[period] = period_name(period)
        ws.append([
            code, names.get(code, ""), text(ws, subject) if subject else None,
            text(ws, task), text(ws, official_code), text(ws, official), text(ws, unit),
            month, date(0, raised_on), status_text, yes if present else no,
            text(ws, explanation), f"{head}/{pk}/{tail}",
        ])
    return xlsx.response(book, f"signals-{timezone.localdate():%Y-%m-%d}.xlsx")


#: the steps of a signal's answer, each with its own form on the signal's page
STEP_ACTIONS = ("request", "explain", "decide", "withdraw")


def _step_form(action: str, data=None, *, signal=None, due=None) -> SignalStepForm:
    """The form of one step; its own element ids, so that the page's forms (and their
    errors) never share one. `due`: the default due day shown in the request form."""
    initial = {"version": signal.version} if signal is not None else {}
    if due is not None:
        initial["due"] = due
    return SignalStepForm(data, initial=initial, auto_id=f"id_{action}_%s",
                          code=signal.code if signal is not None else "")


def _signal_context(request, signal, *, bound: dict | None = None):
    """The signal's page; `bound` holds the form just posted (by action), shown with its
    errors while the other forms stay blank."""
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    can_request = services.can_request(user, signal)
    decider = services.may_decide(user, signal)
    awaits = services.awaits_explanation(signal, today=today)
    due = (services.explanation_due_default(on=today)
           if can_request and "request" not in bound else None)
    return {
        "nav": "signals",
        "signal": signal,
        "name": SIGNAL_NAMES.get(signal.code, ""),
        # an S15 is decided as protected or not, never as a breach
        "initiative": signal.code == PROTECTED_INITIATIVE,
        "steps": selectors.signal_steps(signal=signal),
        "evidence": selectors.signal_evidence(scope=request.scope, signal=signal),
        "can_request": can_request,
        "can_explain": services.can_explain(user, signal),
        "can_decide": decider and not awaits,
        # a leader who decides once the explanation is given or its due day has passed
        "waits_for_explanation": decider and awaits,
        "decides_elsewhere": services.decides_elsewhere(user, signal),
        # an S14 or S15 recorded by mistake, before a leader decides it
        "can_withdraw": services.can_withdraw(user, signal),
        "overdue": services.explanation_overdue(signal, today=today),
        # an S14 about an official makes their grade KHT once confirmed (evaluations:
        # `adapters.signal_grounds`), without a ground recorded by the board
        "kht": _kht_effect(signal),
        "forms": {action: bound.get(action) or _step_form(
            action, signal=signal, due=due if action == "request" else None)
            for action in STEP_ACTIONS},
    }


#: the signal that makes the grade KHT whatever the score once a leader confirms it
#: (Decree 335/2025; the scoring rubric's `kht_signals`)
KHT_SIGNAL = "S14"


def _kht_effect(signal) -> str:
    """What the signal does to its official's grade: "confirmed" (it makes it KHT),
    "pending" (it will if the breach is confirmed), or "" (nothing: another signal, one
    about a unit, an explanation accepted, a record withdrawn)."""
    if signal.code != KHT_SIGNAL or signal.official_id is None:
        return ""
    if signal.status == SignalStatus.CONFIRMED:
        return "confirmed"
    return "" if signal.status in (SignalStatus.ACCEPTED, SignalStatus.WITHDRAWN) \
        else "pending"


@login_required
@require_GET
def signal_detail(request, pk: int):
    signal = _get_or_404(selectors.signal_get, scope=request.scope, pk=pk)
    return render(request, "accountability/signal_detail.html", _signal_context(request, signal))


def _step_done(action: str, *, initiative: bool) -> str:
    """What the page says once a step is recorded: an S15 is reported on, not explained."""
    if action == "request":
        return (_("The report on the initiative was requested.") if initiative
                else _("The explanation was requested."))
    if action == "explain":
        return (_("Your report on the initiative was sent.") if initiative
                else _("Your explanation was sent."))
    if action == "withdraw":
        return _("The record was withdrawn: it makes no grade KHT and protects nothing.")
    return _("The decision was recorded.")


@login_required
@require_POST
def signal_act(request, pk: int, action: str):
    """Request an explanation, explain, decide (accept / confirm), or withdraw a record by
    hand."""
    signal = _get_or_404(selectors.signal_get, scope=request.scope, pk=pk)
    if action not in STEP_ACTIONS:
        raise Http404(_("Not found."))
    form = _step_form(action, request.POST, signal=signal)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "request":
                services.signal_request_explanation(
                    signal=signal, user=request.user, text=data["text"],
                    due=data.get("due"), expected_version=data.get("version"))
            elif action == "explain":
                services.signal_explain(signal=signal, user=request.user, text=data["text"],
                                        expected_version=data.get("version"))
            elif action == "withdraw":
                services.signal_withdraw(signal=signal, user=request.user, text=data["text"],
                                         expected_version=data.get("version"))
            else:
                services.signal_decide(signal=signal, user=request.user,
                                       decision=data.get("decision") or "",
                                       text=data["text"], expected_version=data.get("version"))
            messages.success(request, _step_done(action, initiative=signal.code
                                                 == PROTECTED_INITIATIVE))
            return redirect(signal.get_absolute_url())
        except ServiceError as exc:
            if getattr(exc, "service_code", "").startswith("cannot_"):
                # refused for who they are: the signal's page, saying why
                messages.error(request, exc.service_message)
                signal.refresh_from_db()
                return render(request, "accountability/signal_detail.html",
                              _signal_context(request, signal), status=403)
            form.add_error(exc.field if exc.field in form.fields else None, exc.service_message)
    signal.refresh_from_db()
    context = _signal_context(request, signal, bound={action: form})
    if not context[f"can_{action}"]:
        # the page does not offer this step now, so its form cannot show why it failed
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
    return render(request, "accountability/signal_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def signal_record(request):
    """Record an S14 or S15 signal by hand: for an inspector or the organisation board
    (within the units granted to them) and administrators; 403 for anyone else. An error
    names its field and nothing is written."""
    user = request.user
    if not services.may_record(user):
        raise PermissionDenied(_("Only an inspector, the organisation board or an "
                                 "administrator records S14 and S15 signals."))
    units = services.recording_units(user)
    if request.method == "POST":
        form = SignalRecordForm(request.POST, scope=request.scope, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                signal = services.signal_record(
                    user=user, code=data["code"], official=data["official"], on=data["on"],
                    text=data["text"], task=data.get("task"), unit=data.get("unit"))
            except ServiceError as exc:
                if isinstance(exc, PermissionDeniedError):
                    raise PermissionDenied(exc.service_message) from exc
                form.add_error(exc.field if exc.field in form.fields else None,
                               exc.service_message)
            else:
                messages.success(request, _("The signal was recorded."))
                return redirect(signal.get_absolute_url())
        status = 400
    else:
        initial = {"on": timezone.localdate()}
        for name in ("code", "official", "task"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        form = SignalRecordForm(scope=request.scope, units=units, initial=initial)
        status = 200
    context = {"nav": "signals", "form": form, "signal_names": SIGNAL_NAMES}
    return render(request, "accountability/signal_record.html", context, status=status)


# -- the drill-downs of totals and delays, the cascade -------------------------------------


def _dashboard_query(request, unit) -> str:
    """The dashboard of a drill-down's unit and month (as given, valid or not: the dashboard
    shows a month's error on its field, which a drill-down has not)."""
    query = {"unit": unit.code}
    if request.GET.get("period"):
        query["period"] = request.GET["period"]
    return urlencode(query)


def _back(request, unit):
    """Back to the unit's dashboard with the drill-down's month, whose field says why."""
    return redirect(f"{reverse('accountability:dashboard')}?{_dashboard_query(request, unit)}")


def _drill_down_form(request, form_class):
    """`form_class` over the query and the dashboard's unit it names: 404 unless that unit
    is given and the caller may see its dashboard (one they may not see answers as one that
    does not exist). The form's other errors are left to the caller."""
    form = form_class(request.GET)
    form.is_valid()
    code = form.cleaned_data.get("unit")
    if not code:
        raise Http404(_("Not found."))
    unit = _get_or_404(org_selectors.unit_get, scope=request.scope, code=code)
    if not selectors.may_see_dashboard(request.scope, unit):
        raise Http404(_("Not found."))
    return form, unit


@login_required
@require_GET
def counted_tasks(request):
    """The tasks behind a total of the dashboard ("all" of a unit, sub-unit or person): the
    tasks of the month in one of the four buckets, each with its bucket; every bucket opens
    its work list. A month that is not valid sends back to the unit's dashboard."""
    scope = request.scope
    form, unit = _drill_down_form(request, CountedTasksForm)
    if set(form.errors) - {"period"}:
        raise Http404(_("Not found."))
    if form.errors:
        return _back(request, unit)
    data = form.cleaned_data
    official = (_get_or_404(org_selectors.official_get, scope=scope,
                            code=data["lead_official"])
                if data.get("lead_official") else None)
    subunits = data.get("subunits") != "0"
    period = data["period"]
    today = timezone.localdate()
    tasks = selectors.counted_tasks(scope=scope, unit=unit, period=period, subunits=subunits,
                                    lead_official=official)
    counts = task_selectors.task_bucket_counts(tasks=tasks, on=today)
    query = {"unit": unit.code, "period": period, "subunits": "1" if subunits else "0",
             "lead_official": official.code if official else ""}
    page = _page_with_buckets(tasks, request, on=today)
    context = {
        "nav": "accountability", "unit": unit, "period": period, "subunits": subunits,
        "official": official, "today": today, "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "chips": [{"key": b, "label": BUCKET_LABELS[b], "count": n,
                   "link": _tasks_url(query, b)} for b, n in counts.items()],
    }
    return render(request, "accountability/counted_tasks.html", context)


def _delay_form(request) -> tuple[DelayFilterForm, dict]:
    """The delay drill-down's form over the query and what it names (unit, period, holder
    unit, official); 404 for a unit or official the caller cannot see (as for one that does
    not exist), so that only the month may be in error."""
    scope = request.scope
    form, unit = _drill_down_form(request, DelayFilterForm)
    if set(form.errors) - {"period"}:
        raise Http404(_("Not found."))
    data = form.cleaned_data
    holder_unit = (_get_or_404(org_selectors.unit_get, scope=scope, code=data["holder_unit"])
                   if data.get("holder_unit") else None)
    official = (_get_or_404(org_selectors.official_get, scope=scope, code=data["official"])
                if data.get("official") else None)
    return form, {"unit": unit, "period": data.get("period"), "holder_unit": holder_unit,
                  "official": official}


def _with_delay_rows(request, found: dict) -> dict:
    holder_unit = found["holder_unit"]
    found["rows"] = selectors.delay_rows(
        scope=request.scope, unit=found["unit"], period=found["period"],
        holder_unit=holder_unit, official=found["official"],
        no_official=holder_unit is not None and found["official"] is None)
    return found


@login_required
@require_GET
def delay_list(request):
    """The tasks behind a row of "delay by holder": each with its working days late. A
    month that is not valid sends back to the unit's dashboard, which says why on its
    field."""
    form, found = _delay_form(request)
    if form.errors:
        return _back(request, found["unit"])
    rows = _with_delay_rows(request, found).pop("rows")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "accountability", **found, "page": page,
               "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
               "total": sum(r.workdays for r in rows)}
    return render(request, "accountability/delay_list.html", context)


@login_required
@require_GET
def delay_export(request):
    """The delay drill-down as an xlsx sheet: one row per task and holder, with the same
    filters and order as the page, every row (not one page). A unit or official the caller
    cannot see answers 404, as the page does; a month that is not valid exports nothing:
    back to the dashboard of the unit, which shows the month's error on its field (the
    drill-down has none to show), with a message naming it (core/filters.py)."""
    form, found = _delay_form(request)
    if form.errors:
        return refuse_export(request, form, list_url=reverse("accountability:dashboard"),
                             query=_dashboard_query(request, found["unit"]))
    found = _with_delay_rows(request, found)
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=_("Working days late")[:31])
    # who held the work while it was late, as the page says (not who holds it now)
    headers = [(_("Code"), 16), (_("Task"), 40), (_("Deadline in force"), 12),
               (_("Task status"), 20), (_("Official code"), 14),
               (pgettext("delay", "Held by"), 24), (_("Unit code"), 14), (_("Unit"), 30),
               (_("Month"), 16), (_("Working days late"), 10), (_("Link"), 50)]
    xlsx.columns(ws, headers)
    month = period_name(found["period"])
    for row in found["rows"].iterator(chunk_size=2000):
        task = row.task
        ws.append([
            _cell(ws, task.code), _cell(ws, task.title), _cell(ws, task.due_in_force),
            _cell(ws, task.get_state_display()),
            _cell(ws, row.official.code if row.official else None),
            _cell(ws, row.official.name if row.official else _("(nobody named)")),
            _cell(ws, row.unit.code), _cell(ws, row.unit.name), _cell(ws, month),
            row.workdays, _cell(ws, request.build_absolute_uri(task.get_absolute_url())),
        ])
    return xlsx.response(
        book, f"delays-{found['unit'].code}-{found['period']}.xlsx")


@login_required
@require_GET
def directive_cascade(request, code: str):
    """Which lower units answered a directive, with a plan or tasks, after how long."""
    directive = _get_or_404(task_selectors.directive_get, scope=request.scope, code=code)
    today = timezone.localdate()
    calendar = work_calendar(years=range(directive.issued_on.year, today.year + 2))
    rows = selectors.directive_cascade(scope=request.scope, directive=directive,
                                       calendar=calendar)
    context = {"nav": "directives", "directive": directive, "rows": rows,
               "silent": [r for r in rows if r.answered_on is None],
               # none below the issuing unit, or none of them in the caller's view
               "units_below": selectors.units_below(directive=directive) if not rows else None}
    return render(request, "accountability/directive_cascade.html", context)


def _page_with_buckets(tasks, request, *, on):
    """The requested page of `tasks`, each with its reporting bucket on `on` (the list's
    second line: done on time, overdue...)."""
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for task in page.object_list:
        bucket = task_selectors.bucket_of(task, on=on)
        task.bucket = bucket.value if bucket else None
        task.bucket_label = BUCKET_LABELS.get(task.bucket, "")
    return page


@login_required
@require_GET
def cascade_tasks(request):
    """The tasks behind a cascade row's number: assigned under the directive by the unit or
    a unit below it, those the caller may read."""
    directive = _get_or_404(task_selectors.directive_get, scope=request.scope,
                            code=request.GET.get("directive", ""))
    unit = _get_or_404(org_selectors.unit_get, scope=request.scope,
                       code=request.GET.get("unit", ""))
    tasks = selectors.cascade_tasks(scope=request.scope, directive=directive, unit=unit)
    page = _page_with_buckets(tasks, request, on=timezone.localdate())
    context = {"nav": "directives", "directive": directive, "unit": unit, "page": page,
               "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2)}
    return render(request, "accountability/cascade_tasks.html", context)


