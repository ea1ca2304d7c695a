"""Pages of tasks and directives: "Việc của tôi", a unit's work list (and its xlsx export),
the task page with its "5 rõ", timeline and actions, assigning a task, directives.

Views are thin: reads go through `selectors` with the caller's scope (anything outside it is
404), writes through `services` (`task_assign`, `task_act`), whose refusals are shown next
to the field they name. Who acts is `request.user.official`; an account without an official
reads but cannot act, and inspectors (`scope.is_read_only`) never see a form: any POST from
them is 403. Every action works as a plain POST (redirect and a message) and, with htmx, as a
fragment (the actions panel, the status and the timeline re-rendered in place).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from thuocdo.core import xlsx
from thuocdo.core.calendar import work_calendar
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.filters import refuse_export
from thuocdo.core.htmx import is_htmx, render_page
from thuocdo.measure.history import delays, done_event, holder_intervals
from thuocdo.org import selectors as org_selectors

from . import selectors, services
from .adapters import history_for
from .choices import EXTENSION_KINDS, OPEN_STATES, EventKind, Priority, TaskState
from .forms import (
    ACTION_FORMS,
    ACTION_LABELS,
    BUCKET_LABELS,
    CoordinationFormSet,
    StepFormSet,
    TaskAssignForm,
    TaskFilterForm,
    pending_extension,
)
from .models import Task, TaskEvent
from .selectors import TaskFilters
from .workflow import DbDirectory, TaskSnapshot, allowed_actions, may_act, next_workday

#: tasks per page of a list
PAGE_SIZE = 25
#: tasks shown on a directive's page (the rest: its work list)
DIRECTIVE_TASKS = 50
#: actions "Việc của tôi" offers on a row, by the task's state: only those that need no
#: payload and nothing to read first (submitting and approving are done on the task page)
QUICK_ACTIONS = {TaskState.ASSIGNED: EventKind.ACCEPT}


def _get_or_404(getter, **kwargs):
    """Call a selector's getter; out of scope and missing look the same: 404."""
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def _official(request):
    """The official the user acts as (None: the account is not linked to one)."""
    return request.user.official if request.user.official_id else None


def _calendar(*days: dt.date):
    return work_calendar(years=range(min(days).year, max(days).year + 1))


def _bucket_chips(counts: dict[str, int], selected: str | None) -> list[dict]:
    """The four buckets, then the cancelled tasks (in none of them) when there are any or
    they are the ones shown: the chips add up to every task listed."""
    labels = dict(BUCKET_LABELS)
    if counts.get(selectors.CANCELLED) or selected == selectors.CANCELLED:
        labels[selectors.CANCELLED] = TaskState.CANCELLED.label
    return [{"key": key, "label": label, "count": counts.get(key, 0), "selected": key == selected}
            for key, label in labels.items()]


def _decorate(tasks, *, today: dt.date) -> list[Task]:
    """Give each loaded task its bucket (for the badge)."""
    tasks = list(tasks)
    for task in tasks:
        bucket = selectors.bucket_of(task, on=today)
        task.bucket = bucket.value if bucket else None
        task.bucket_label = BUCKET_LABELS.get(task.bucket, "")
    return tasks


# -- Việc của tôi ----------------------------------------------------------------------


def _my_work_context(request) -> dict:
    scope = request.scope
    official = _official(request)
    today = timezone.localdate()
    work = selectors.my_work(scope=scope, on=today)
    everything = [*work.overdue, *work.to_accept, *work.in_progress, *work.to_review,
                  *work.waiting, *work.to_decide, *work.opinions]
    _decorate(everything, today=today)
    if work.overdue:
        calendar = _calendar(today, *(t.due_in_force for t in work.overdue))
        for task in work.overdue:
            task.workdays_overdue = calendar.workdays_between(task.due_in_force, today)
    can_act = official is not None and not scope.is_read_only
    directory = DbDirectory()
    for task in everything:
        task.quick_actions = []
        kind = QUICK_ACTIONS.get(task.state)
        if can_act and kind and may_act(TaskSnapshot.of(task), kind, official, today, directory):
            task.quick_actions = [{"kind": kind, "label": ACTION_LABELS[kind]}]
    sections = [
        ("overdue", _("Overdue"), work.overdue,
         _("Past the deadline in force: most pressing first.")),
        ("to_accept", _("To accept"), work.to_accept,
         _("Assigned or passed to you: accept the work or pass it on, with a reason.")),
        ("in_progress", _("In progress"), work.in_progress, ""),
        ("to_review", _("To review"), work.to_review,
         _("Products submitted to you, and guidance asked of you.")),
        ("to_decide", _("Extension requests to decide"), work.to_decide,
         _("Work you assigned whose holder asks for a later deadline: grant or refuse it.")),
        ("opinions", _("Opinions asked of your unit"), work.opinions,
         _("Another unit's work on which your unit's opinion was asked, or that names your "
           "unit to coordinate (a unit you lead, or one with no head or deputy): give the "
           "opinion by the reply deadline, or the delay is counted against your unit (S5); "
           "give the input by the deadline of your unit's part.")),
        ("waiting", _("Waiting on others"), work.waiting,
         _("Work you lead that waits for guidance or for approval.")),
    ]
    return {
        "nav": "my_work",
        "official": official,
        # opinions only when some are asked: most officials answer for no unit
        "sections": [{"key": key, "title": title, "tasks": tasks, "help": help_text}
                     for key, title, tasks, help_text in sections
                     if tasks or key != "opinions"],
        "total": work.count,
    }


@login_required
@require_GET
def my_work(request):
    """"Việc của tôi": the caller's open work, overdue first."""
    return render_page(request, "tasks/my_work.html", _my_work_context(request),
                       partial="sections")


@login_required
@require_GET
def my_work_summary(request):
    """The counts of "Việc của tôi" for the home page's card (htmx); a plain visit goes to
    the page itself."""
    if not is_htmx(request):
        return redirect("tasks:my_work")
    return render(request, "tasks/includes/my_work_summary.html",
                  {"counts": selectors.my_work_counts(scope=request.scope)})


# -- the work list ---------------------------------------------------------------------


def _default_unit(scope):
    """The list opens on the caller's first led unit, else their own unit."""
    summary = org_selectors.unit_scope_summary(scope=scope)
    for unit in (*summary["lead"], *summary["member"]):
        return unit
    return None


def _filter_form(request) -> TaskFilterForm:
    return TaskFilterForm(request.GET, scope=request.scope,
                          default_unit=_default_unit(request.scope))


@login_required
@require_GET
def task_list(request):
    """A unit's work list: filters, the four bucket counts, sorting, pages; htmx refreshes
    the results."""
    scope = request.scope
    form = _filter_form(request)
    filters = form.filters()
    today = timezone.localdate()
    tasks = selectors.task_list(scope=scope, filters=filters, ordering=form.ordering)
    counted = selectors.task_list(scope=scope, filters=replace(filters, bucket=None))
    if not form.is_valid():  # never more than was asked for (core/filters.py)
        tasks, counted = tasks.none(), counted.none()
    counts = selectors.task_list_counts(tasks=counted, on=today)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _decorate(page.object_list, today=today)
    context = {
        "nav": "tasks",
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "sort": form.ordering,
        "chips": _bucket_chips(counts, filters.bucket),
        # what the count says when cancelled tasks are listed: which total is which
        "in_buckets": counts["total"] - counts[selectors.CANCELLED],
        "cancelled": counts[selectors.CANCELLED] if not filters.bucket else 0,
        "can_assign": _may_assign(scope),
    }
    return render_page(request, "tasks/task_list.html", context, partial="results")


def _tasks_workbook(tasks, *, today: dt.date) -> Workbook:
    """One row per task, the columns of the work list and a few more; dates are real dates
    shown dd/mm/yyyy. Set-based: the rows come as tuples from one query (`task_rows`) and
    every label is translated once, not once per row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Tasks")[:31])
    headers = [
        (_("Code"), 16), (_("Title"), 40), (_("Directive"), 16), (_("Product"), 24),
        (_("Quantity"), 9), (_("Coefficient"), 11), (_("Lead unit"), 30),
        (_("Lead official"), 24), (_("Held by"), 24), (_("Assigned by"), 24),
        (_("Assigned at"), 16), (_("Original deadline"), 12), (_("Deadline in force"), 12),
        (_("Priority"), 14), (_("State"), 20), (_("Bucket"), 20), (_("Done at"), 16),
        (_("Last event"), 16),
    ]
    xlsx.columns(sheet, headers)
    text = xlsx.text
    date = xlsx.date_cells(sheet, [xlsx.DATETIME, xlsx.DATE, xlsx.DATE, xlsx.DATETIME,
                               xlsx.DATETIME])
    priorities = {value: str(label) for value, label in Priority.choices}
    states = {value: str(label) for value, label in TaskState.choices}
    buckets = {key: str(label) for key, label in BUCKET_LABELS.items()}
    for (code, title, directive, product, quantity, coefficient, lead_unit, lead_official,
         holder_official, holder_unit, assigned_by, assigned_at, due, due_in_force, priority,
         state, bucket, done_at, last_event_at) in selectors.task_rows(
            tasks=tasks, on=today).iterator(chunk_size=2000):
        sheet.append([
            text(sheet, code), text(sheet, title),
            text(sheet, directive) if directive is not None else None,
            text(sheet, product), quantity, coefficient,
            text(sheet, lead_unit), text(sheet, lead_official),
            # nobody holds work that is over (the page says so); its last holder is in the
            # log, not in a column people filter by who holds what
            (text(sheet, holder_official or holder_unit) if state in OPEN_STATES else None),
            text(sheet, assigned_by),
            date(0, assigned_at), date(1, due), date(2, due_in_force),
            priorities.get(priority, priority), states.get(state, state),
            buckets[bucket] if bucket else None,
            date(3, done_at), date(4, last_event_at),
        ])
    return workbook


@login_required
@require_GET
def task_export(request):
    """The filtered work list as an xlsx workbook (the same filters and order as the page).
    A filter that is not valid exports nothing (never a wider list than asked for): back to
    the list, which shows each error next to its filter, with a message naming them."""
    form = _filter_form(request)
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("tasks:task_list"))
    tasks = selectors.task_list(scope=request.scope, filters=form.filters(),
                                ordering=form.ordering)
    return xlsx.response(_tasks_workbook(tasks, today=timezone.localdate()),
                         f"tasks-{timezone.localdate():%Y-%m-%d}.xlsx")


# -- the task page ---------------------------------------------------------------------

#: The payload fields shown on the timeline, in this order, and how to show their values.
#: a day of an event's data (ISO text), or None (`selectors.iso_day`)
_as_date = selectors.iso_day

PAYLOAD_FIELDS = [
    ("to_unit", "unit"), ("to_official", "official"), ("unit", "unit"),
    ("lead_unit", "unit"), ("lead_official", "official"), ("product", "product"),
    ("quantity", "text"), ("priority", "priority"), ("due", "date"), ("old_due", "date"),
    ("new_due", "date"), ("reply_due", "date"), ("question", "text"), ("answer", "text"),
    ("clear_position", "bool"), ("major_error", "bool"), ("excused", "bool"),
    ("reason", "text"), ("note", "text"), ("coordinating", "coordinating"),
    ("steps", "steps"),
]


def _payload_labels() -> dict[str, str]:
    return {
        "to_unit": _("To unit"), "to_official": _("To official"), "unit": _("Unit"),
        "lead_unit": _("Lead unit"), "lead_official": _("Lead official"),
        "product": _("Product"), "quantity": _("Quantity"), "priority": _("Priority"),
        "due": _("Deadline"), "old_due": _("Previous deadline"), "new_due": _("New deadline"),
        "reply_due": _("Reply deadline"), "question": _("Question"), "answer": _("Answer"),
        "clear_position": _("Clear position"), "major_error": _("Major error"),
        "excused": _("Objective cause confirmed"), "reason": _("Reason"), "note": _("Note"),
        "coordinating": _("Coordinating units"), "steps": _("Steps"),
    }


class _Names:
    """Names of the units and officials a task's log mentions, by code (from the rows
    already loaded; codes not found are shown as they are)."""

    def __init__(self, task: Task, events) -> None:
        self.task = task
        self.units = {task.lead_unit.code: task.lead_unit,
                      task.assigner_unit.code: task.assigner_unit}
        self.officials = {task.lead_official.code: task.lead_official,
                          task.assigned_by.code: task.assigned_by}
        for event in events:
            for unit in (event.holder_unit_before, event.holder_unit_after):
                if unit is not None:
                    self.units[unit.code] = unit
            for official in (event.actor, event.holder_official_before,
                             event.holder_official_after):
                if official is not None:
                    self.officials[official.code] = official
        # units named in the payloads only (a consultation, its reply): unit names are
        # public (`selectors.unit_options`), read in one query
        named = ({str(code) for event in events for key in ("to_unit", "unit")
                  if (code := (event.data or {}).get(key))}
                 | {str(row[0]) for event in events
                    for row in (event.data or {}).get("coordinating") or ()}) - self.units.keys()
        if named:
            from thuocdo.org.models import Unit

            self.units.update((u.code, u) for u in Unit.objects.filter(code__in=named))

    def product(self, code):
        product = self.task.product
        return f"{product.name} ({code})" if code == product.code else code

    def unit(self, code):
        found = self.units.get(code)
        return found.name if found else code

    def official(self, code):
        """Name and code: two officials may share a name."""
        found = self.officials.get(code)
        return f"{found.name} ({code})" if found else code


def _payload(event, names: _Names, labels: dict[str, str]) -> list[dict]:
    rows = []
    for key, how in PAYLOAD_FIELDS:
        value = event.data.get(key)
        if value in (None, "", []) or (how == "bool" and key == "excused" and not value):
            continue
        if how == "unit":
            value = names.unit(value)
        elif how == "official":
            value = names.official(value)
        elif how == "date":
            value = _as_date(value) or value
        elif how == "bool":
            value = _("Yes") if value else _("No")
        elif how == "product":
            value = names.product(value)
        elif how == "priority":
            value = Priority(value).label if value in Priority.values else value
        elif how == "coordinating":  # [[unit code, deadline], ...] as the first event has them
            value = "; ".join(
                _("%(unit)s, input by %(due)s") % {
                    "unit": names.unit(code),
                    "due": date_format(_as_date(due), "SHORT_DATE_FORMAT") if _as_date(due)
                    else due}
                for code, due in value)
        elif how == "steps":  # [[name, allowance], ...] in order
            value = "; ".join(
                ngettext("%(name)s (%(days)s working day)", "%(name)s (%(days)s working days)",
                         int(days)) % {"name": name, "days": days}
                for name, days in value)
        rows.append({"label": labels[key], "value": value, "is_date": how == "date"})
    return rows


def _extension_rows(events) -> list[dict]:
    """The extensions asked for, granted and refused, each in words: the deadline asked for,
    the deadline moved from and to, and whether the grant came after the deadline it moved
    had passed (domain.md: missing that deadline is still a delay, and the new one can be
    missed again)."""
    rows = []
    for event in events:
        if event.kind not in EXTENSION_KINDS:
            continue
        old_due = _as_date(event.data.get("old_due"))
        rows.append({
            "event": event, "kind": event.kind, "reason": event.data.get("reason", ""),
            "old_due": old_due, "new_due": _as_date(event.data.get("new_due")),
            # a deadline passes at the end of its day
            "after_deadline": old_due is not None
            and timezone.localtime(event.at).date() > old_due,
        })
    return rows


def _coordination_rows(coordinations, events, today: dt.date) -> list[dict]:
    """Each coordinating unit with its deadline and its input: the unit's first opinion
    given (`consult_reply`: `workflow.coordination_asks`), whether it came after the
    unit's deadline, and whether it is still awaited past that deadline."""
    given: dict[str, TaskEvent] = {}
    for event in events:
        if event.kind == EventKind.CONSULT_REPLY:
            given.setdefault(str(event.data.get("unit") or ""), event)
    rows = []
    for coordination in coordinations:
        event = given.get(coordination.unit.code)
        rows.append({
            "unit": coordination.unit, "due": coordination.due, "input": event,
            # a deadline passes at the end of its day
            "late": event is not None
            and timezone.localtime(event.at).date() > coordination.due,
            "overdue": event is None and coordination.due < today,
        })
    return rows


def _final_review_row(history, events, calendar, names: _Names) -> list[dict]:
    """Work done: who reviewed the product from its accepted hand-in to the approval, a row
    the engine's intervals leave out (they stop at the hand-in: the review's days are
    nobody's delay, `holder_intervals`), so that the table says who held the work at every
    moment. None for work not done."""
    index = done_event(history)
    approve = next((e for e in reversed(events) if e.kind == EventKind.APPROVE), None)
    if index is None or approve is None:
        return []
    submit = events[index + 1]  # the engine's log leaves out the creation event (#1)
    start, end = submit.at, approve.at
    return [{
        "unit": submit.holder_unit_after.name,
        "official": names.official(submit.holder_official_after.code)
        if submit.holder_official_after else None,
        "start": start, "end": end,
        "workdays": calendar.workdays_between(timezone.localtime(start).date(),
                                              timezone.localtime(end).date()),
        "workdays_overdue": 0, "review": True, "event_seq": submit.seq,
    }]


def _pending_submit(task: Task, events):
    """The submit under review while the task is submitted (None otherwise)."""
    if task.state != TaskState.SUBMITTED:
        return None
    return next((e for e in reversed(events) if e.kind == EventKind.SUBMIT), None)


def _task_context(request, task: Task, *, bound: dict | None = None, notice: str = "",
                  alert: str = "") -> dict:
    """Everything the task page shows; `bound` maps an action kind to its submitted form."""
    scope = request.scope
    official = _official(request)
    now = timezone.now()
    today = timezone.localdate()
    events = list(selectors.task_events(task=task))
    names = _Names(task, events)
    snapshot = TaskSnapshot.of(task, events)
    history = history_for(task, events)
    calendar = _calendar(timezone.localtime(task.assigned_at).date(), today,
                         task.due_in_force)
    intervals = holder_intervals(history, calendar, now)
    # Work under review counts as of its hand-in: the review's days are nobody's delay.
    found_delays = delays(history, calendar, now)
    handed_in = _pending_submit(task, events)
    labels = _payload_labels()
    answering = selectors.grants_answering(events)
    timeline = [{
        "event": event,
        "label": selectors.event_label(event, answering=event.seq in answering),
        "moved": (event.holder_unit_before_id, event.holder_official_before_id)
        != (event.holder_unit_after_id, event.holder_official_after_id)
        and event.holder_unit_before_id is not None,
        "payload": _payload(event, names, labels),
    } for event in events]
    holder_rows = [{
        "unit": names.unit(interval.holder.unit),
        "official": names.official(interval.holder.official) if interval.holder.official
        else None,
        "start": interval.start,
        "end": interval.end,
        "workdays": interval.workdays,
        "workdays_overdue": interval.workdays_overdue,
        # the engine counts the log without the creation event (#1)
        "event_seq": interval.started_by + 2 if interval.started_by is not None else 1,
    } for interval in intervals]
    holder_rows += _final_review_row(history, events, calendar, names)
    extensions = _extension_rows(events)

    why_not = ""
    allowed: list[str] = []
    if scope.is_read_only and "inspector" in scope.roles:
        why_not = _("You read this task as an inspector: you cannot act on it.")
    elif official is None:
        why_not = _("Your account is not linked to an official, so you cannot act on tasks. "
                    "Ask an administrator to link it.")
    elif scope.is_read_only:
        why_not = _("You hold no position at the moment, so you cannot act on tasks.")
    else:
        # Only what makes sense now: the workflow also checks the log's facts (a pending
        # request to refuse, a previous holder to return to, a delay to excuse).
        allowed = allowed_actions(task, official, today)
        if not allowed:
            why_not = _("There is nothing you can do on this task at the moment.")
    bound = bound or {}
    action_forms = []
    for kind in allowed:
        form = bound.get(kind) or ACTION_FORMS[kind](
            task=task, official=official, snapshot=snapshot, scope=scope, day=today,
            events=events,
        )
        action_forms.append({"kind": kind, "form": form, "open": kind in bound})
    bucket = selectors.bucket_of(task, on=today)
    return {
        "nav": "tasks",
        "task": task,
        "coordinations": _coordination_rows(selectors.task_coordinations(task=task), events,
                                            today),
        "steps": list(selectors.task_steps(task=task)),
        "bucket": bucket.value if bucket else None,
        "bucket_label": BUCKET_LABELS.get(bucket.value, "") if bucket else "",
        "timeline": timeline,
        "intervals": holder_rows,
        "delays": found_delays,
        "handed_in": handed_in,
        "handed_in_late": bool(found_delays) and handed_in is not None,
        "extensions": extensions,
        "pending_extension": _as_date((pending_extension(snapshot) or {}).get("new_due")),
        "actions": action_forms,
        "why_not": why_not,
        "notice": notice,
        "alert": alert,
        "now": now,
    }


@login_required
@require_GET
def task_detail(request, code: str):
    task = _get_or_404(selectors.task_get, scope=request.scope, code=code)
    return render(request, "tasks/task_detail.html", _task_context(request, task))


def _act_response(request, task: Task, *, return_to: str, bound=None, notice="", alert=""):
    """The answer to an htmx action: the part of the page it came from, re-rendered."""
    if return_to == "my_work":
        context = _my_work_context(request)
        context.update({"notice": notice, "alert": alert})
        return render(request, "tasks/my_work.html#sections", context)
    task.refresh_from_db()
    context = _task_context(request, task, bound=bound, notice=notice, alert=alert)
    context["oob"] = True
    return render(request, "tasks/task_detail.html#actions", context)


def _person(official, unit) -> str:
    """An official by name and code (two people may share a name), else the unit's name."""
    if official is not None:
        return f"{official.name} ({official.code})"
    return unit.name if unit is not None else "—"


def _done_message(event, before) -> str:
    """What the action just taken did, in words, with its event's number; `before` is the
    log before it (whether a grant answered a request)."""
    holder = _person(event.holder_official_after, event.holder_unit_after)
    values = {"number": event.seq, "holder": holder,
              "new_due": date_format(_as_date(event.data.get("new_due")), "SHORT_DATE_FORMAT")
              if event.data.get("new_due") else ""}
    messages_by_kind = {
        EventKind.ACCEPT: _("You accepted the task (event #%(number)s)."),
        EventKind.TRANSFER: _("Task transferred to %(holder)s (event #%(number)s)."),
        EventKind.RETURN: _("Task returned to %(holder)s (event #%(number)s)."),
        EventKind.EXTENSION_REQUEST: _("Extension to %(new_due)s requested; it waits for "
                                       "the decision of whoever assigned the task "
                                       "(event #%(number)s)."),
        EventKind.EXTENSION_GRANT: _("Extension granted: the new deadline is %(new_due)s "
                                     "(event #%(number)s)."),
        EventKind.EXTENSION_REFUSE: _("Extension refused; the deadline stays "
                                      "(event #%(number)s)."),
        EventKind.GUIDANCE_REQUEST: _("Guidance asked of %(holder)s (event #%(number)s)."),
        EventKind.GUIDANCE_REPLY: _("Guidance given; the work is back with %(holder)s "
                                    "(event #%(number)s)."),
        EventKind.CONSULT: _("Opinion requested from the unit (event #%(number)s)."),
        EventKind.CONSULT_REPLY: _("The unit's opinion was recorded (event #%(number)s)."),
        EventKind.REMIND: _("Reminder sent to %(holder)s (event #%(number)s)."),
        EventKind.SUBMIT: _("Submitted to %(holder)s for approval (event #%(number)s)."),
        EventKind.APPROVE: _("Approved: the task is done (event #%(number)s)."),
        EventKind.REWORK: _("Sent back to %(holder)s for rework (event #%(number)s)."),
        EventKind.EXCUSE_DELAY: _("Delay excused (event #%(number)s)."),
        EventKind.CANCEL: _("Task cancelled (event #%(number)s)."),
    }
    if (event.kind == EventKind.EXTENSION_GRANT
            and event.seq not in selectors.grants_answering([*before, event])):
        messages_by_kind[EventKind.EXTENSION_GRANT] = _(
            "Deadline extended: the new deadline is %(new_due)s (event #%(number)s).")
    message = messages_by_kind.get(event.kind)
    if message is None:
        return _("%(action)s: recorded as event #%(number)s.") % {
            "action": EventKind(event.kind).label, "number": event.seq}
    return message % values


@require_POST
@login_required
def task_act(request, kind: str, code: str):
    """Take one workflow action on a task (POST only). Refused before anything is written:
    an inspector or an account without an official (403), a task outside the scope (404), an
    action this person may not take now (403), a stale page (back, with the reason), a
    payload the rules refuse (the form again, with the reason next to the field: 400, as
    every other form of the site refused; 200 to htmx, which swaps only a success)."""
    scope = request.scope
    if scope.is_read_only:
        raise PermissionDenied
    task = _get_or_404(selectors.task_get, scope=scope, code=code)
    official = _official(request)
    form_class = ACTION_FORMS.get(kind)
    if form_class is None:
        raise Http404(_("Not found."))
    if official is None:
        raise PermissionDenied
    return_to = "my_work" if request.POST.get("return_to") == "my_work" else "task"
    back = reverse("tasks:my_work") if return_to == "my_work" else task.get_absolute_url()
    htmx = is_htmx(request)
    stale = _("The task changed since you opened it; reload and try again.")
    try:
        version = int(request.POST.get("expected_version", ""))
    except ValueError:
        version = None
    if version is not None and version != task.version:
        # Checked before the person's right: what they saw may no longer apply.
        if htmx:
            return _act_response(request, task, return_to=return_to, alert=stale)
        messages.error(request, stale)
        return redirect(back)
    today = timezone.localdate()
    if kind not in allowed_actions(task, official, today):
        raise PermissionDenied
    events = list(selectors.task_events(task=task))
    form = form_class(request.POST, task=task, official=official,
                      snapshot=TaskSnapshot.of(task, events), scope=scope, day=today,
                      events=events)
    if form.is_valid():
        try:
            event = services.task_act(
                task=task, kind=kind, actor=official, user=request.user,
                data=form.service_data(), expected_version=form.cleaned_data["expected_version"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.service_message) from exc
        except ServiceError as exc:
            if exc.service_code == "task_changed":
                if htmx:
                    return _act_response(request, task, return_to=return_to, alert=stale)
                messages.error(request, stale)
                return redirect(back)
            for problem in exc.problems:  # each refusal beside its own input
                form.add_error(problem.field if problem.field in form.fields else None,
                               problem.service_message)
        else:
            notice = _done_message(event, events)
            if htmx:
                return _act_response(request, task, return_to=return_to, notice=notice)
            messages.success(request, notice)
            return redirect(back)
    # The form again, with its errors: nothing was written.
    if return_to == "my_work":
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if htmx:
            return _act_response(request, task, return_to=return_to, alert=message)
        messages.error(request, message)
        return redirect(back)
    if htmx:
        # htmx swaps a success only: the fragment with the errors comes back as 200
        return _act_response(request, task, return_to=return_to, bound={kind: form})
    task.refresh_from_db()
    return render(request, "tasks/task_detail.html",
                  _task_context(request, task, bound={kind: form}), status=400)


# -- assigning -------------------------------------------------------------------------


def _may_assign(scope) -> bool:
    """Who sees the assign page: administrators and whoever leads a unit today."""
    return not scope.is_read_only and (scope.is_admin or bool(scope.lead_ranges))


def _quiet(*forms_or_formsets) -> None:
    """Show submitted values without errors (the "show officials" refresh without JS)."""
    for item in forms_or_formsets:
        if hasattr(item, "forms"):
            item._non_form_errors = ErrorList()
            item._errors = [ErrorDict() for _form in item.forms]
            _quiet(*item.forms)
        else:
            item._errors = ErrorDict()


def _add_refusals(exc: ServiceError, form, rows: dict[str, list], formsets: dict) -> None:
    """Show each refusal of the service (`ServiceError.problems`) next to what it refuses:
    a field of the form, a row's field (a coordinating unit's deadline: `ServiceError.path`
    is list, row index, field) on that row, a list as a whole above its rows, the rest at
    the top of the form. An input the form itself refused already says what is wrong with
    it: the service's refusal of it (often the same: "required") is not added."""
    for problem in exc.problems:
        message = problem.service_message
        if problem.field in rows:
            target, name = formsets[problem.field], None
            if len(problem.path) == 3 and isinstance(problem.path[1], int) \
                    and problem.path[1] < len(rows[problem.field]):
                target, name = rows[problem.field][problem.path[1]], problem.path[2]
            if name is not None and name in target.fields:
                if name not in target.errors:
                    target.add_error(name, message)
            elif message not in target.non_form_errors():
                target._non_form_errors.append(message)
            continue
        name = problem.field if problem.field in form.fields else None
        if isinstance(problem, PermissionDeniedError):
            name = "lead_unit"
        if name is None or name not in form.errors:
            form.add_error(name, message)


def _error_summary(form, formsets: dict) -> list[dict]:
    """Every error of the page in the order of the page, each with the id of the input it
    is about and that input's label (None for the form or a list as a whole), for the
    summary at the top of the form."""
    found: list[dict] = []

    #: a row named with its list ("Coordinating units, row 2 — Its deadline"), not "Its
    #: deadline (row 2)", which says nothing out of the table
    rows_named = {"coordinating_units": _("Coordinating units, row %(row)s"),
                  "steps": _("Steps, row %(row)s")}

    def add(item, errors: dict, row: int | None = None, rows: str = "") -> None:
        order = list(item.fields)
        for name, messages_ in sorted(errors.items(), key=lambda pair: (
                pair[0] != NON_FIELD_ERRORS, order.index(pair[0]) if pair[0] in order else 0)):
            field = item[name] if name in item.fields else None
            label = field.label if field is not None else None
            if row is not None:
                where = (rows_named[rows] if rows in rows_named
                         else _("Row %(row)s")) % {"row": row + 1}
                label = f"{where} — {label}" if label is not None else where
            found.extend({"id": field.auto_id if field is not None else None, "label": label,
                          "message": message} for message in messages_)

    add(form, form.errors)
    for rows, formset in formsets.items():
        found.extend({"id": None, "label": None, "message": message}
                     for message in formset.non_form_errors())
        for row, item in enumerate(formset.forms):
            add(item, item.errors, row, rows)
    return found


@login_required
@require_http_methods(["GET", "POST"])
def task_assign(request):
    """Assign a task with its five "rõ" (only for those who lead a unit, or administrators:
    everyone else gets 403). The lead official's choices follow the lead unit (htmx, or the
    "show officials" button without JS).

    A refused submission shows every mistake that can be found without writing, at once:
    the form's own and, for the inputs it accepted, the rules of the service
    (`services.task_assign_check`), each next to its input and all listed at the top."""
    scope = request.scope
    if not _may_assign(scope):
        raise PermissionDenied
    official = _official(request)
    if request.method == "POST" and official is None:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = TaskAssignForm(data, scope=scope)
    coordinations = CoordinationFormSet(data, prefix="coord")
    steps = StepFormSet(data, prefix="step")
    formsets = {"coordinating_units": coordinations, "steps": steps}
    if data is not None and "_refresh" in data:
        _quiet(form, coordinations, steps)
    elif data is not None:
        valid = [x.is_valid() for x in (form, coordinations, steps)]
        clean = form.cleaned_data
        # the rows filled in, in the order the service gets them (its refusals count them);
        # a row the form refused in part still has the service check what it accepted
        rows = {"coordinating_units": [row for row in coordinations.forms
                                       if row.cleaned_data.get("unit")],
                "steps": [row for row in steps.forms if row.cleaned_data.get("name")
                          and row.cleaned_data.get("allowance")]}
        assignment = {
            "assigned_by": official, "title": clean.get("title"),
            "directive": clean.get("directive"), "product": clean.get("product"),
            "quantity": clean.get("quantity"), "lead_unit": clean.get("lead_unit"),
            "lead_official": clean.get("lead_official"), "due": clean.get("due"),
            "priority": clean.get("priority"),
            "coordinating": [(row.cleaned_data["unit"], row.cleaned_data.get("due"))
                             for row in rows["coordinating_units"]],
            "steps": [(row.cleaned_data["name"], row.cleaned_data["allowance"])
                      for row in rows["steps"]],
        }
        try:
            if all(valid):
                task = services.task_assign(user=request.user,
                                            description=clean["description"], **assignment)
            else:  # check only: nothing is written with a form that refused some inputs
                services.task_assign_check(**assignment)
        except ServiceError as exc:
            # Nothing was written: each refusal goes next to the input it names.
            _add_refusals(exc, form, rows, formsets)
        else:
            if all(valid):
                messages.success(request, _("Task %(code)s assigned to %(official)s.") % {
                    "code": task.code, "official": task.lead_official.name})
                later = next_workday(DbDirectory(), task.due)
                if later is not None:
                    messages.warning(request, _(
                        "The deadline %(due)s falls on a day off (weekend or holiday): work "
                        "handed in on the next working day, %(next)s, will count as late.") % {
                        "due": date_format(task.due, "SHORT_DATE_FORMAT"),
                        "next": date_format(later, "SHORT_DATE_FORMAT")})
                return redirect(task)
    context = {
        "nav": "tasks",
        "form": form,
        "coordinations": coordinations,
        "steps": steps,
        "error_summary": _error_summary(form, formsets) if form.is_bound else [],
        "official": official,
        "why_not": "" if official is not None else _(
            "Your account is not linked to an official, so you cannot assign tasks. "
            "Ask an administrator to link it."),
    }
    # a refused submission answers 400, as every refused form of the site; the "show
    # officials" refresh (no JS) is no refusal
    refused = data is not None and "_refresh" not in data
    return render(request, "tasks/task_assign.html", context, status=400 if refused else 200)


@login_required
@require_GET
def official_options(request):
    """The `<option>`s of the officials working in a unit (the `unit`, `lead_unit` or
    `to_unit` parameter), for the selects that follow a unit select. Only officials the
    caller may see; a unit they cannot read gives none."""
    scope = request.scope
    code = (request.GET.get("unit") or request.GET.get("lead_unit")
            or request.GET.get("to_unit") or "")
    unit = org_selectors.unit_list(scope=scope).filter(code=code).first() if code else None
    officials = (org_selectors.official_list(scope=scope, unit=unit, include_subunits=False)
                 if unit is not None else [])
    purpose = request.GET.get("purpose")
    empty = (_("Nobody in particular: the unit's leaders dispatch it") if purpose == "transfer"
             else _("Choose an official of the lead unit"))
    return render(request, "tasks/includes/official_options.html",
                  {"officials": officials, "empty_label": empty})


# -- directives ------------------------------------------------------------------------


@login_required
@require_GET
def directive_list(request):
    scope = request.scope
    query = request.GET.get("q", "").strip()[:200]
    directives = selectors.directive_list(scope=scope, search=query or None)
    page = Paginator(directives, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    counts = selectors.directive_task_counts(scope=scope, directives=rows)
    context = {
        "nav": "directives",
        "query": query,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "rows": [{"directive": d, "counts": counts[d.pk]} for d in rows],
    }
    return render_page(request, "tasks/directive_list.html", context, partial="results")


@login_required
@require_GET
def directive_detail(request, code: str):
    """A directive: its data, its tasks the caller can see (with the four buckets), and the
    lower units' plans that answer it, each with its own task counts."""
    scope = request.scope
    directive = _get_or_404(selectors.directive_get, scope=scope, code=code)
    today = timezone.localdate()
    tasks = selectors.task_list(scope=scope, filters=TaskFilters(directive=directive))
    counts = selectors.task_list_counts(tasks=tasks, on=today)
    shown = _decorate(tasks[:DIRECTIVE_TASKS], today=today)
    answers = list(selectors.directive_answers(directive=directive))
    answer_counts = selectors.directive_task_counts(scope=scope, directives=answers)
    context = {
        "nav": "directives",
        "directive": directive,
        "tasks": shown,
        "task_total": counts["total"],
        "chips": _bucket_chips(counts, None),
        "answers": [{"directive": d, "counts": answer_counts[d.pk]} for d in answers],
        "bucket_labels": BUCKET_LABELS,
    }
    return render(request, "tasks/directive_detail.html", context)
