"""Writes of notifications: made from the task event log and the calendar, e-mailed once,
marked read by their recipient.

Everything is set-based: a run reads its candidates in a few queries, leaves out what was
already notified in SQL, and writes with `bulk_create`; the query count never grows with
the number of events or tasks. The unique `Notification.key` is the last guard: two runs
racing each other still cannot notify the same thing twice.

Who is told what:

- assigned (event `create`): the lead official;
- transferred (events `transfer`, `return`): the official the work now sits with;
- reminded (event `remind`): the official holding the work;
- waiting for a decision: an extension request (event `extension_request`) and work
  submitted for review (`submit`) tell whoever decides them (`workflow.deciders`, the
  workflow's own rule): the official who assigned the task; where it is their own work
  (`workflow.works_on`: a leader who assigned it to themself), the leaders of the assigning
  unit whose own work it is not, else those of the nearest unit above. A guidance request
  (`guidance_request`) tells the official asked;
- the answer: sent back for rework (`rework`), extension granted (with the new deadline)
  or refused (with the reason), guidance answered (`guidance_reply`), a unit's opinion given
  (`consult_reply`): the official who holds the work after it;
- a unit named by the event (`TO_NAMED_UNITS`): the unit whose opinion is asked (`consult`,
  with the reply deadline), and each coordinating unit of a task assigned (`create`, with the
  deadline of its part): each head and deputy of that unit on the day of the event, or, for
  a unit with neither that day, each of its members (`_Leaders.answering`);
- due soon: the holder of an open task whose deadline in force is exactly 2 working days
  away (the engine's calendar);
- overdue: the holder of an open task whose deadline in force has passed, once per deadline
  (an extension that is missed again is notified again);
- an opinion due soon or overdue: whoever answers, on the day of the run, for a unit whose
  opinion on an open task was asked and not given (its heads and deputies, else its
  members), when the reply deadline is 2 working days away or has passed (once per
  question each).

Work an event leaves with a unit and no official named is news for each head and deputy of
that unit on the day of the event (they all hold it: `tasks.selectors.held_by_q`); while it
waits there for approval (a product a leader handed in on work they assigned themself), for
those of them who decide it (`workflow.deciders`). The due-soon and overdue notices follow
the same rule: work a unit holds with no official named is due for each head and deputy of
that unit on the day of the run, each deadline told once to each of them. Nobody is told
about their own action, and work submitted for approval is not "due" for the approver (the
delay is counted at submission).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import CharField, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from thuocdo.core.errors import PermissionDeniedError
from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.tasks.choices import EXTENSION_KINDS, OPEN_STATES, EventKind, TaskState
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.selectors import consultations_pending, coordinations_pending, task_logs
from thuocdo.tasks.workflow import TaskSnapshot, deciders

from .choices import NotificationKind
from .models import Notification, NotificationFillState, PassedEvents

logger = logging.getLogger(__name__)

#: event kinds that notify someone, and how
EVENT_KINDS: dict[str, str] = {
    EventKind.CREATE: NotificationKind.ASSIGNED,
    EventKind.TRANSFER: NotificationKind.TRANSFERRED,
    EventKind.RETURN: NotificationKind.TRANSFERRED,
    EventKind.REMIND: NotificationKind.REMINDED,
    EventKind.EXTENSION_REQUEST: NotificationKind.EXTENSION_REQUESTED,
    EventKind.SUBMIT: NotificationKind.SUBMITTED,
    EventKind.GUIDANCE_REQUEST: NotificationKind.GUIDANCE_REQUESTED,
    EventKind.REWORK: NotificationKind.SENT_BACK,
    EventKind.EXTENSION_GRANT: NotificationKind.EXTENSION_GRANTED,
    EventKind.EXTENSION_REFUSE: NotificationKind.EXTENSION_REFUSED,
    EventKind.GUIDANCE_REPLY: NotificationKind.GUIDANCE_ANSWERED,
    EventKind.CONSULT_REPLY: NotificationKind.OPINION_GIVEN,
}
#: event kinds that ask something of units they name (`_named_units`): each head and
#: deputy of such a unit is told, with the deadline of the unit's part
TO_NAMED_UNITS: dict[str, str] = {
    EventKind.CONSULT: NotificationKind.CONSULTED,
    EventKind.CREATE: NotificationKind.COORDINATING,
}
#: every kind an event may notify
EVENT_NOTIFICATION_KINDS = sorted({*EVENT_KINDS.values(), *TO_NAMED_UNITS.values()})
#: event kinds whose news is for whoever decides them as the assigner (`deciders`), not
#: for the holder as such (an extension request leaves the work where it was)
TO_DECIDERS = frozenset({EventKind.EXTENSION_REQUEST, EventKind.SUBMIT})
#: open states in which the holder is the one who must meet the deadline
DEADLINE_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.WAITING_GUIDANCE)
#: "due soon" means the deadline in force is this many working days away
DUE_SOON_WORKDAYS = 2
#: events read per transaction (a range of ids)
EVENT_WINDOW = 5000
#: ids re-read behind the fill state on every run. On PostgreSQL a transaction may commit
#: an event after one with a higher id was read; re-reading a margin finds it (what was
#: notified already is left out, so nothing is notified twice).
RESCAN_EVENTS = 1000
#: an event older than this when the job first sees it is history, not news: an import
#: passes its own events (`notifications_pass_events`); this guards the rest (a database
#: restored, the jobs stopped for weeks)
EVENTS_MAX_AGE = dt.timedelta(days=7)
#: notifications claimed for e-mail per round
EMAIL_BATCH = 200
BULK_BATCH = 500


def task_url(code: str) -> str:
    """The path of a task's page (the route's own path once `tasks:task_detail` exists)."""
    try:
        return reverse("tasks:task_detail", kwargs={"code": code})
    except NoReverseMatch:
        return f"/tasks/{quote(code)}/"


# -- texts -----------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    """A date stored in an event's data (ISO text), or None."""
    if isinstance(value, dt.date) or value is None:
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _who(name: str | None, code: str | None) -> str | None:
    """An official by name and code: two officials may share a name."""
    return f"{name} ({code})" if name and code else name


def _day(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _texts(kind: str, *, code: str, title: str, due: dt.date | None, actor: str | None = None,
           reason: str = "", late: int = 0, new_due: dt.date | None = None,
           unit: str | None = None, unasked: bool = False, named: NamedUnit | None = None,
           lead: str | None = None, coordinating: bool = False) -> tuple[str, str]:
    """The title and body of a notification, in the active language. `due` is the deadline
    in force after the event; `new_due` the deadline an extension request asks for; `unit`
    the unit work was passed to with no official named (told to its leaders); `unasked` an
    extension granted with no request pending (the deadline extended, not a request
    granted); `named` the unit the event names (consulted, coordinating, giving its opinion)
    with the deadline of its part; `lead` the task's lead unit; `coordinating` an opinion
    due (soon, or overdue) that is the input of a coordinating unit, not a reply."""
    values = {"code": code, "title": title, "due": _day(due), "new_due": _day(new_due),
              "actor": actor or _("Someone"), "reason": reason, "days": late, "unit": unit,
              "named": named.name if named else "", "named_due": _day(named.due if named
                                                                       else None),
              "lead": lead or ""}
    texts = _event_texts()
    if unit and kind == NotificationKind.TRANSFERRED:
        head, with_reason, without = _to_unit_texts()
        body = with_reason if reason else without
    elif unasked and kind == NotificationKind.EXTENSION_GRANTED:
        head, with_reason, without = _unasked_extension_texts()
        body = with_reason if reason else without
    elif kind in texts:
        head, with_reason, without = texts[kind]
        body = with_reason if reason else without
    elif kind == NotificationKind.DUE_SOON:
        head = _("Due in 2 working days: %(code)s")
        body = _("“%(title)s” is due on %(due)s, in 2 working days.")
    elif coordinating and kind == NotificationKind.OPINION_DUE_SOON:
        head = _("Input due in 2 working days: %(code)s")
        body = _("The input of your unit, %(named)s, as coordinating unit on “%(title)s” is "
                 "due on %(named_due)s, in 2 working days.")
    elif coordinating and kind == NotificationKind.OPINION_OVERDUE:
        head = _("Input overdue: %(code)s")
        body = _("The input of your unit, %(named)s, as coordinating unit on “%(title)s” "
                 "was due on %(named_due)s and is not given.")
    elif kind == NotificationKind.OPINION_DUE_SOON:
        head = _("Opinion due in 2 working days: %(code)s")
        body = _("The opinion of your unit, %(named)s, on “%(title)s” is due on "
                 "%(named_due)s, in 2 working days.")
    elif kind == NotificationKind.OPINION_OVERDUE:
        head = _("Opinion overdue: %(code)s")
        body = _("The opinion of your unit, %(named)s, on “%(title)s” was due on "
                 "%(named_due)s and is not given: the delay is counted against the unit "
                 "(S5).")
    else:
        head = _("Overdue: %(code)s")
        body = ngettext(
            "“%(title)s” was due on %(due)s and is %(days)s working day late.",
            "“%(title)s” was due on %(due)s and is %(days)s working days late.", late,
        ) if late else _("“%(title)s” was due on %(due)s and is not finished.")
    return (head % values)[:255], body % values


def _event_texts() -> dict[str, tuple[str, str, str]]:
    """Title, body with a reason (or question, answer) and body without one, of every kind
    told from the event log, in the active language."""
    K = NotificationKind
    assigned = _("%(actor)s assigned you “%(title)s”. Deadline: %(due)s.")
    coordinating = _("%(actor)s assigned “%(title)s” to %(lead)s, with your unit, "
                     "%(named)s, coordinating. Your unit's input is due on %(named_due)s "
                     "(“Give the unit's opinion” on the task's page); the task's deadline "
                     "is %(due)s.")
    return {
        K.ASSIGNED: (_("New task for you: %(code)s"), assigned, assigned),
        K.TRANSFERRED: (
            _("Work passed to you: %(code)s"),
            _("%(actor)s passed “%(title)s” to you (%(reason)s). Deadline: %(due)s."),
            _("%(actor)s passed “%(title)s” to you. Deadline: %(due)s."),
        ),
        K.REMINDED: (
            _("Reminder: %(code)s"),
            _("%(actor)s reminds you of “%(title)s” (%(reason)s). Deadline: %(due)s."),
            _("%(actor)s reminds you of “%(title)s”. Deadline: %(due)s."),
        ),
        K.EXTENSION_REQUESTED: (
            _("Extension requested: %(code)s"),
            _("%(actor)s asks to extend “%(title)s” to %(new_due)s (%(reason)s). Deadline "
              "in force: %(due)s. Grant or refuse the request."),
            _("%(actor)s asks to extend “%(title)s” to %(new_due)s. Deadline in force: "
              "%(due)s. Grant or refuse the request."),
        ),
        K.SUBMITTED: (
            _("To review: %(code)s"),
            _("%(actor)s submitted “%(title)s” for your review (%(reason)s). Deadline: "
              "%(due)s."),
            _("%(actor)s submitted “%(title)s” for your review. Deadline: %(due)s."),
        ),
        K.GUIDANCE_REQUESTED: (
            _("Guidance asked of you: %(code)s"),
            _("%(actor)s asks your guidance on “%(title)s”: %(reason)s"),
            _("%(actor)s asks your guidance on “%(title)s”."),
        ),
        K.SENT_BACK: (
            _("Sent back for rework: %(code)s"),
            _("%(actor)s sent “%(title)s” back for rework (%(reason)s). Deadline: %(due)s."),
            _("%(actor)s sent “%(title)s” back for rework. Deadline: %(due)s."),
        ),
        K.EXTENSION_GRANTED: (
            _("Extension granted: %(code)s"),
            _("%(actor)s extended the deadline of “%(title)s” (%(reason)s). New deadline: "
              "%(due)s."),
            _("%(actor)s extended the deadline of “%(title)s”. New deadline: %(due)s."),
        ),
        K.EXTENSION_REFUSED: (
            _("Extension refused: %(code)s"),
            _("%(actor)s refused to extend “%(title)s”: %(reason)s. The deadline stays "
              "%(due)s."),
            _("%(actor)s refused to extend “%(title)s”. The deadline stays %(due)s."),
        ),
        K.GUIDANCE_ANSWERED: (
            _("Guidance given: %(code)s"),
            _("%(actor)s answered your question on “%(title)s”: %(reason)s"),
            _("%(actor)s answered your question on “%(title)s”."),
        ),
        K.CONSULTED: (
            _("Opinion asked of your unit: %(code)s"),
            _("%(actor)s asks the opinion of your unit, %(named)s, on “%(title)s”, by "
              "%(named_due)s: %(reason)s"),
            _("%(actor)s asks the opinion of your unit, %(named)s, on “%(title)s”, by "
              "%(named_due)s."),
        ),
        K.OPINION_GIVEN: (
            _("Opinion given: %(code)s"),
            _("%(actor)s gave the opinion of %(named)s on “%(title)s”: %(reason)s"),
            _("%(actor)s gave the opinion of %(named)s on “%(title)s”."),
        ),
        K.COORDINATING: (
            _("Your unit coordinates: %(code)s"),
            coordinating, coordinating,
        ),
    }


def _unasked_extension_texts() -> tuple[str, str, str]:
    """Title and bodies of "extension granted" when no request was pending: the assigner
    extended the deadline of their own accord."""
    return (
        _("Deadline extended: %(code)s"),
        pgettext("unasked extension", "%(actor)s extended the deadline of “%(title)s” "
                 "(%(reason)s). New deadline: %(due)s."),
        pgettext("unasked extension", "%(actor)s extended the deadline of “%(title)s”. "
                 "New deadline: %(due)s."),
    )


def _to_unit_texts() -> tuple[str, str, str]:
    """Title and bodies of "transferred" told to the leaders of a unit the work was passed
    to with no official named."""
    return (
        _("Work passed to your unit: %(code)s"),
        _("%(actor)s passed “%(title)s” to %(unit)s, which you lead, with no official named "
          "(%(reason)s). Deadline: %(due)s."),
        _("%(actor)s passed “%(title)s” to %(unit)s, which you lead, with no official "
          "named. Deadline: %(due)s."),
    )


def insert_notifications(notes: Iterable[Notification]) -> int:
    """Write new notifications (any kind, any app) and return how many were given; one
    whose key is already stored is skipped: a run racing this one may have written some of
    the same keys, and a key is told once."""
    notes = list(notes)
    Notification.objects.bulk_create(notes, ignore_conflicts=True, batch_size=BULK_BATCH)
    return len(notes)


# -- from the event log ----------------------------------------------------------------


def notifications_from_events(
    *, since_id: int | None = None, now: dt.datetime | None = None,
    max_age: dt.timedelta | None = EVENTS_MAX_AGE, window: int = EVENT_WINDOW,
) -> int:
    """Notify the people the new task events concern; returns how many notifications.

    Reads the events after the fill state (or after `since_id`, to re-read on purpose) in
    windows of `window` ids; each window is one transaction that writes its notifications
    and moves the fill state together, so a crash leaves no half-done window and the next
    run resumes there. The events an import wrote (`notifications_pass_events`) are passed
    over, and so are events older than `max_age` (before `now`), history restored some
    other way: neither is news. `max_age` None notifies every event not imported, whatever
    its age.
    """
    now = now or timezone.now()
    last = TaskEvent.objects.aggregate(last=Max("id"))["last"] or 0
    if since_id is None:
        state = NotificationFillState.objects.filter(pk=1).first()
        since_id = max(0, (state.last_event_id if state else 0) - RESCAN_EVENTS)
    created = 0
    start = since_id
    while start < last:
        end = min(start + window, last)
        created += _notify_event_window(after=start, upto=end, now=now, max_age=max_age)
        start = end
    return created


@transaction.atomic
def _notify_event_window(*, after: int, upto: int, now: dt.datetime,
                         max_age: dt.timedelta | None) -> int:
    """Notifications for the events with `after` < id ≤ `upto`; the fill state moves to
    `upto` in the same transaction. The locked fill-state row serialises concurrent runs."""
    state, _created = NotificationFillState.objects.select_for_update().get_or_create(pk=1)
    already = Notification.objects.filter(event=OuterRef("pk"),
                                          kind__in=EVENT_NOTIFICATION_KINDS)
    imported = PassedEvents.objects.filter(after__lt=OuterRef("pk"), upto__gte=OuterRef("pk"))
    # The deadline in force just after the event: the last extension granted up to it (the
    # event itself included), else the original deadline; not the task's deadline today.
    granted = (TaskEvent.objects.filter(task=OuterRef("task"), kind=EventKind.EXTENSION_GRANT,
                                        seq__lte=OuterRef("seq"))
               .order_by("-seq").annotate(new_due=KT("data__new_due")).values("new_due")[:1])
    # The extension event before it: a grant answered a request only when that is one (else
    # the assigner moved the deadline unasked, docs/workflow.md); the rule of the task's
    # timeline, `tasks.selectors.grants_answering`, here in SQL.
    before = (TaskEvent.objects.filter(task=OuterRef("task"), seq__lt=OuterRef("seq"),
                                       kind__in=list(EXTENSION_KINDS))
              .order_by("-seq").values("kind")[:1])
    events = (
        TaskEvent.objects.filter(id__gt=after, id__lte=upto,
                                 kind__in=[*EVENT_KINDS, *TO_NAMED_UNITS])
        .exclude(Exists(already))
        .exclude(Exists(imported))
        .annotate(granted_due=Subquery(granted, output_field=CharField()),
                  extension_before=Subquery(before, output_field=CharField()))
    )
    if max_age is not None:
        events = events.filter(at__gte=now - max_age)
    rows = list(events.order_by("id").values(
        "id", "at", "kind", "data", "state_after", "task_id", "task__code", "task__title",
        "task__due", "task__lead_unit__name", "task__state", "holder_unit_after_id",
        "holder_unit_after__name", "holder_official_after_id", "actor_id", "actor__name",
        "actor__code", "granted_due", "extension_before",
    ))
    named = _named_units(rows)
    recipients = _recipients(rows, named)
    notes: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows:
            data = row["data"] or {}
            reason = str(data.get("reason") or data.get("question") or data.get("answer")
                         or data.get("note") or "").strip()
            due = _as_date(row["granted_due"]) or row["task__due"]
            url = task_url(row["task__code"])
            replying = (named[row["id"]][0] if row["kind"] == EventKind.CONSULT_REPLY
                        and named.get(row["id"]) else None)
            # one text per kind of news of the event: the work's, or a named unit's
            texts: dict[NamedUnit | None, tuple[str, str, str]] = {}
            # the holder's news first: a key is told once, and theirs is the main one
            for recipient, unit in recipients.get(row["id"], ()):
                if unit not in texts:
                    kind = (TO_NAMED_UNITS[row["kind"]] if unit is not None
                            else EVENT_KINDS[row["kind"]])
                    texts[unit] = (kind, *_texts(
                        kind, code=row["task__code"], title=row["task__title"], due=due,
                        actor=_who(row["actor__name"], row["actor__code"]), reason=reason,
                        new_due=_as_date(data.get("new_due")),
                        unit=(row["holder_unit_after__name"]
                              if row["holder_official_after_id"] is None else None),
                        unasked=(row["kind"] == EventKind.EXTENSION_GRANT
                                 and row["extension_before"] != EventKind.EXTENSION_REQUEST),
                        named=unit or replying, lead=row["task__lead_unit__name"]))
                kind, title, body = texts[unit]
                notes.append(Notification(
                    recipient_id=recipient, kind=kind, task_id=row["task_id"],
                    event_id=row["id"], key=f"event:{row['id']}:{recipient}",
                    deadline=unit.due if unit is not None and unit.due else due,
                    # when it happened, not when the job ran (after a pause, or for a
                    # demo's history, the inbox keeps the events' order and days)
                    created_at=min(row["at"], now), title=title, body=body, url=url,
                ))
    created = insert_notifications(notes)
    if upto > state.last_event_id:
        state.last_event_id = upto
        state.save(update_fields=["last_event_id", "updated_at"])
    return created


def last_event_id() -> int:
    """The id of the last task event written (0: none): what an import reads before it
    writes a history, for `notifications_pass_events`."""
    return TaskEvent.objects.aggregate(last=Max("id"))["last"] or 0


@transaction.atomic
def notifications_pass_events(*, after: int, source: str = "") -> int:
    """Never notify the task events written since the last one was `after`
    (`last_event_id()` before writing them): an imported history, which the officials lived
    already (a demo's, a migration's, an e-office system's log brought up to date). Called
    by the importer in its transaction, after the events and before it commits; returns how
    many ids were passed.

    The range is kept (`PassedEvents`) and the event job leaves it out; when the job had
    read everything before the import, its fill state moves past the import too, so it
    does not even read it. Events people record while the import runs are written on other
    connections: on SQLite they wait for it; on PostgreSQL one whose id falls inside the
    range is not notified (an import is an administrator's act, run when the site is
    quiet)."""
    upto = last_event_id()
    if upto <= after:
        return 0
    state, _created = NotificationFillState.objects.select_for_update().get_or_create(pk=1)
    PassedEvents.objects.create(after=after, upto=upto, source=source[:255])
    if state.last_event_id >= after and upto > state.last_event_id:
        state.last_event_id = upto
        state.save(update_fields=["last_event_id", "updated_at"])
    return upto - after


def _asks_decision(row: Mapping[str, Any]) -> bool:
    """Is the event's news for whoever decides the work as its assigner: an extension
    request, a product handed in, or any news of a product waiting for approval at a unit
    with no official named (a leader handed in work they assigned themself)?"""
    return row["kind"] in TO_DECIDERS or (row["state_after"] == TaskState.SUBMITTED
                                          and row["holder_official_after_id"] is None)


@dataclass(frozen=True)
class NamedUnit:
    """A unit an event names (`_named_units`), and the deadline of its part, if any."""

    pk: int
    name: str
    due: dt.date | None = None


def _named_units(rows: Sequence[Mapping[str, Any]]) -> dict[int, list[NamedUnit]]:
    """The units each event of a window names (event id → units), their names read in one
    query: the unit consulted (`consult`, with the reply deadline), each coordinating unit
    of a task assigned (`create`, with the deadline of its part), the unit giving its
    opinion (`consult_reply`). A code no longer known names nothing."""
    wanted: dict[int, list[tuple[str, Any]]] = {}
    for row in rows:
        data = row["data"] or {}
        if row["kind"] == EventKind.CONSULT:
            wanted[row["id"]] = [(data.get("to_unit"), data.get("reply_due"))]
        elif row["kind"] == EventKind.CREATE:
            wanted[row["id"]] = [(code, day) for code, day in data.get("coordinating") or ()]
        elif row["kind"] == EventKind.CONSULT_REPLY:
            wanted[row["id"]] = [(data.get("unit"), None)]
    units = _units_by_code({str(code) for pairs in wanted.values() for code, _day in pairs})
    return {event_id: [replace(units[str(code)], due=_as_date(day)) for code, day in pairs
                       if str(code) in units]
            for event_id, pairs in wanted.items()}


def _units_by_code(codes: set[str]) -> dict[str, NamedUnit]:
    """The units of `codes` (code → unit, no deadline), in one query; unknown codes left
    out."""
    if not codes:
        return {}
    return {code: NamedUnit(pk, name) for code, pk, name in
            Unit.objects.filter(code__in=codes).values_list("code", "pk", "name")}


def _recipients(rows: Sequence[Mapping[str, Any]], named: Mapping[int, list[NamedUnit]]
                ) -> dict[int, list[tuple[int, NamedUnit | None]]]:
    """Who is told of each event of a window (event id → (official id, the named unit they
    are told as a leader of, or None)), in a few queries whatever the number of events.

    News of the work (`EVENT_KINDS`): the official holding the work after the event; where a
    unit holds it with no official named, each of its leaders that day; for news that asks
    for a decision (`_asks_decision`), whoever decides (`workflow.deciders`). News for a
    unit the event names (`TO_NAMED_UNITS`, `_named_units`): whoever answers for it that day
    (`_Leaders.answering`), once, after the news of the work, while it still asks something
    when the job runs: the work open, a question not yet answered (a unit that replied
    within minutes is not asked what it answered). Never the actor."""
    news = [row for row in rows if row["kind"] in EVENT_KINDS]
    deciding = [row for row in news if _asks_decision(row)]
    unit_held = [row for row in news
                 if row["holder_official_after_id"] is None and not _asks_decision(row)]
    questions = [row["id"] for row in rows if row["kind"] == EventKind.CONSULT]
    pending = (set(consultations_pending().filter(id__in=questions)
                   .values_list("id", flat=True)) if questions else set())
    # a coordinating unit that already gave its input is not asked for it
    created = {row["id"]: row["task_id"] for row in rows
               if row["kind"] == EventKind.CREATE and named.get(row["id"])}
    if created:
        owing = set(coordinations_pending().filter(task_id__in=set(created.values()))
                    .values_list("task_id", "unit_id"))
        named = {**named, **{event_id: [unit for unit in named[event_id]
                                        if (task_id, unit.pk) in owing]
                             for event_id, task_id in created.items()}}
    asking = {row["id"]: row for row in rows
              if row["kind"] in TO_NAMED_UNITS and named.get(row["id"])
              and row["task__state"] in OPEN_STATES
              and (row["kind"] != EventKind.CONSULT or row["id"] in pending)}
    asked = {unit.pk for event_id in asking for unit in named[event_id]}
    book = _Leaders(units={row["holder_unit_after_id"] for row in unit_held} | asked,
                    tasks={row["task_id"] for row in deciding},
                    days=[_local_day(row["at"])
                          for row in (*deciding, *unit_held, *asking.values())],
                    everyone=asked)
    found: dict[int, list[int]] = {}
    for row in news:
        if _asks_decision(row):
            continue
        if row["holder_official_after_id"] is not None:
            found[row["id"]] = [row["holder_official_after_id"]]
        else:
            found[row["id"]] = [leader.pk for leader in
                                book.leaders(row["holder_unit_after_id"], _local_day(row["at"]))]
    for row, snap in _snapshots(deciding):
        found[row["id"]] = deciders(snap, _local_day(row["at"]), book)
    told: dict[int, list[tuple[int, NamedUnit | None]]] = {}
    for row in rows:
        seen = {row["actor_id"]}
        pairs: list[tuple[int, NamedUnit | None]] = []
        for pk in found.get(row["id"], ()):
            if pk not in seen:
                seen.add(pk)
                pairs.append((pk, None))
        if row["id"] in asking:
            for unit in named[row["id"]]:
                for leader in book.answering(unit.pk, _local_day(row["at"])):
                    if leader.pk not in seen:
                        seen.add(leader.pk)
                        pairs.append((leader.pk, unit))
        if pairs:
            told[row["id"]] = pairs
    return told


def _local_day(moment: dt.datetime) -> dt.date:
    """The day of an event where the rules count it (memberships in force that day)."""
    return timezone.localtime(moment).date()


def _snapshots(rows: Sequence[Mapping[str, Any]]
               ) -> Iterable[tuple[Mapping[str, Any], TaskSnapshot]]:
    """Each event of `rows` with its task's snapshot just after it (`workflow.TaskSnapshot`,
    for `workflow.deciders`): the tasks and their logs are read in two queries."""
    if not rows:
        return
    task_ids = {row["task_id"] for row in rows}
    tasks = {task.pk: task for task in Task.objects.filter(pk__in=list(task_ids))
             .select_related("lead_unit", "lead_official", "assigner_unit", "assigned_by")}
    logs = task_logs(task_ids)
    for row in rows:
        task, log = tasks[row["task_id"]], logs[row["task_id"]]
        upto = next(i for i, event in enumerate(log) if event.pk == row["id"])
        yield row, TaskSnapshot.of(task, log[: upto + 1])


class _Leaders:
    """The heads and deputies of `units`, and of the assigning units of `tasks` and every
    unit above those, on `days` (memberships in force those days), and every member of the
    units `everyone`, read in three queries: the people of every unit a run needs, never a
    query per event or task. A `workflow.LeaderBook`, for `workflow.deciders`."""

    def __init__(self, *, units: Iterable[int], tasks: Iterable[int],
                 days: Iterable[dt.date], everyone: Iterable[int] = ()) -> None:
        self.parent: dict[int, int | None] = {}
        self.members: dict[int, list[tuple[int, str, dt.date, dt.date | None]]] = {}
        self.staff: dict[int, list[tuple[int, str, dt.date, dt.date | None]]] = {}
        units, tasks, days, everyone = list(units), list(tasks), list(days), list(everyone)
        if not days:
            return
        if everyone:
            for unit_id, official_id, code, start, end in (
                Membership.objects.filter(unit_id__in=everyone, start__lte=max(days))
                .filter(Q(end__isnull=True) | Q(end__gte=min(days)))
                .order_by("official_id", "start")
                .values_list("unit_id", "official_id", "official__code", "start", "end")
            ):
                self.staff.setdefault(unit_id, []).append((official_id, code, start, end))
        wanted = Q(pk__in=units)
        if tasks:
            assigning = Unit.objects.filter(
                pk__in=Task.objects.filter(pk__in=tasks).values("assigner_unit_id"),
                lft__gte=OuterRef("lft"), rgt__lte=OuterRef("rgt"))
            wanted |= Q(Exists(assigning))
        self.parent = dict(Unit.objects.filter(wanted).values_list("pk", "parent_id"))
        for unit_id, official_id, code, start, end in (
            Membership.objects.filter(unit_id__in=list(self.parent),
                                      position__in=list(LEADER_POSITIONS),
                                      start__lte=max(days))
            .filter(Q(end__isnull=True) | Q(end__gte=min(days)))
            .order_by("official_id", "start")
            .values_list("unit_id", "official_id", "official__code", "start", "end")
        ):
            self.members.setdefault(unit_id, []).append((official_id, code, start, end))

    def leaders(self, unit_id: int, day: dt.date) -> list[Official]:
        """The heads and deputies of the unit on `day` (`workflow.Directory.leaders`), each
        once, by id; only their id and code are loaded."""
        return self._on(self.members.get(unit_id, ()), day)

    def answering(self, unit_id: int, day: dt.date) -> list[Official]:
        """Who answers for a unit (one of `everyone`) asked something on `day`: its heads
        and deputies, or while it has neither, its members (the rule of
        `tasks.selectors.opinion_unit_codes`)."""
        return (self.leaders(unit_id, day)
                or self._on(self.staff.get(unit_id, ()), day))

    @staticmethod
    def _on(rows, day: dt.date) -> list[Official]:
        found: dict[int, Official] = {}
        for official_id, code, start, end in rows:
            if start <= day and (end is None or end >= day):
                found.setdefault(official_id, Official(pk=official_id, code=code))
        return list(found.values())

    def path_ids(self, unit: Unit) -> list[int]:
        """The ids of the unit and the units above it, nearest first (as
        `workflow.Directory.path_ids`)."""
        ids: list[int] = []
        node: int | None = unit.pk
        while node is not None and node not in ids:
            ids.append(node)
            node = self.parent.get(node)
        return ids


# -- from the calendar -----------------------------------------------------------------


@transaction.atomic
def notifications_due_and_overdue(
    *, today: dt.date, now: dt.datetime | None = None
) -> dict[str, int]:
    """Tell holders of open tasks that their deadline in force is 2 working days away
    (due soon) or has passed (overdue); each deadline at most once per person. Work a unit
    holds with no official named is told to each head and deputy of that unit on `today`.

    "2 working days away" is the engine's count: `workdays_between(today, deadline) == 2`,
    so on a Thursday it is the next Monday (or, across a holiday, later), and a deadline that
    falls on a day off counts as the working day before it.

    A fixed number of queries whatever the number of tasks: per kind, the tasks held in an
    official's name (what was told already left out in SQL), the unit-held ones and what
    their leaders were told already; once, the leaders of the units holding them (`_Leaders`).
    The opinions asked of units and not given are told by the same rule of days, to whoever
    answers for the units (`_opinions_due`).
    """
    from thuocdo.core.calendar import work_calendar

    now = now or timezone.now()
    calendar = work_calendar(years=range(today.year - 1, today.year + 2))
    soon_from = calendar.add_workdays(today, DUE_SOON_WORKDAYS)
    soon_until = calendar.add_workdays(today, DUE_SOON_WORKDAYS + 1)
    fields = ("id", "code", "title", "due_in_force")
    by_kind = {
        NotificationKind.DUE_SOON: Q(due_in_force__gte=soon_from, due_in_force__lt=soon_until),
        NotificationKind.OVERDUE: Q(due_in_force__lt=today),
    }

    def named(kind: str) -> list[dict[str, Any]]:
        already = Notification.objects.filter(
            task=OuterRef("pk"), kind=kind, recipient=OuterRef("holder_official"),
            deadline=OuterRef("due_in_force"),
        )
        return list(
            Task.objects.filter(by_kind[kind], state__in=list(DEADLINE_STATES),
                                holder_official__isnull=False)
            .exclude(Exists(already)).order_by("id").values(*fields, "holder_official_id")
        )

    def unit_held(kind: str) -> tuple[list[dict[str, Any]], set[tuple[int, int]]]:
        """The tasks a unit holds with no official named, and the (task, official) pairs
        already told of their deadline in force."""
        tasks = Task.objects.filter(by_kind[kind], state__in=list(DEADLINE_STATES),
                                    holder_official__isnull=True)
        told = set(Notification.objects.filter(
            kind=kind, task__in=tasks.values("pk"), deadline=F("task__due_in_force"),
        ).values_list("task_id", "recipient_id"))
        return list(tasks.order_by("id").values(*fields, "holder_unit_id")), told

    found = {kind: (named(kind), *unit_held(kind)) for kind in by_kind}
    book = _Leaders(units={row["holder_unit_id"] for _n, rows, _t in found.values()
                           for row in rows},
                    tasks=(), days=[today])
    counts = {}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, (in_name, held, told) in found.items():
            recipients = [(row, row["holder_official_id"]) for row in in_name]
            recipients += [(row, leader.pk) for row in held
                           for leader in book.leaders(row["holder_unit_id"], today)
                           if (row["id"], leader.pk) not in told]
            notes = []
            for row, recipient in sorted(recipients, key=lambda pair: (pair[0]["id"], pair[1])):
                due = row["due_in_force"]
                late = (calendar.workdays_between(due, today)
                        if kind == NotificationKind.OVERDUE else 0)
                title, body = _texts(kind, code=row["code"], title=row["title"], due=due,
                                     late=late)
                notes.append(Notification(
                    recipient_id=recipient, kind=kind, task_id=row["id"],
                    key=f"{kind}:{row['id']}:{due.isoformat()}:{recipient}", deadline=due,
                    created_at=now, title=title, body=body, url=task_url(row["code"]),
                ))
            counts[str(kind)] = insert_notifications(notes)
    counts.update(_opinions_due(today=today, now=now, soon=(soon_from, soon_until)))
    return counts


def _opinions_due(*, today: dt.date, now: dt.datetime,
                  soon: tuple[dt.date, dt.date]) -> dict[str, int]:
    """Tell whoever answers (on `today`: `_Leaders.answering`) for each unit whose opinion
    on an open task waits that its reply deadline is 2 working days away (in [`soon`)) or
    has passed; each question once to each of them (the key names the consultation). The
    input due from a coordinating unit is told the same way, keyed by the task's first
    event and the unit, unless a question to the same unit is pending with a reply deadline
    no later than the input's (its notices speak for the one reply that answers both). A
    few queries: the questions and the inputs, the units asked, their people, what was told
    already (left out by a subquery, not a list of ids)."""
    by_kind = {
        NotificationKind.OPINION_DUE_SOON: (soon[0], soon[1]),
        NotificationKind.OPINION_OVERDUE: (None, today),
    }
    open_tasks = Q(task__state__in=list(OPEN_STATES))
    first_event = (TaskEvent.objects.filter(task=OuterRef("task"), kind=EventKind.CREATE)
                   .values("id")[:1])
    # a unit also asked a question on the task, due by the input's deadline or before it,
    # is reminded of the question: one reply answers both (`workflow.coordination_asks`)
    asked_too = consultations_pending().filter(
        task=OuterRef("task"), asked_code=OuterRef("asked_code"),
        reply_due__lte=Cast(OuterRef("due"), CharField()))
    pending = {
        kind: (consultations_pending().filter(
            open_tasks, reply_due__lt=until.isoformat(),
            **({"reply_due__gte": since.isoformat()} if since else {})),
            coordinations_pending().filter(
                open_tasks, due__lt=until, **({"due__gte": since} if since else {}))
            .exclude(Exists(asked_too))
            .annotate(reply_due=F("due"), created_id=Subquery(first_event)))
        for kind, (since, until) in by_kind.items()}
    fields = ("task_id", "task__code", "task__title", "asked_code", "reply_due")
    asked = {kind: [{**row, "coordinating": False} for row in
                    questions.order_by("id").values("id", *fields)]
             + [{**row, "id": row["created_id"], "coordinating": True} for row in
                inputs.order_by("id").values("created_id", *fields)]
             for kind, (questions, inputs) in pending.items()}
    rows = [row for found in asked.values() for row in found]
    if not rows:
        return {str(kind): 0 for kind in by_kind}
    units = _units_by_code({row["asked_code"] for row in rows})
    asked_ids = {unit.pk for unit in units.values()}
    book = _Leaders(units=asked_ids, tasks=(), days=[today], everyone=asked_ids)
    told = set(Notification.objects.filter(
        Q(*[Q(kind=kind, event_id__in=questions.values("id"))
            | Q(kind=kind, event_id__in=inputs.values("created_id"))
            for kind, (questions, inputs) in pending.items()], _connector=Q.OR),
    ).values_list("key", flat=True))
    counts = {}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, found in asked.items():
            notes = []
            for row in found:
                unit = units.get(row["asked_code"])
                due = _as_date(row["reply_due"])
                if unit is None or due is None or row["id"] is None:
                    continue
                title, body = _texts(kind, code=row["task__code"], title=row["task__title"],
                                     due=due, named=replace(unit, due=due),
                                     coordinating=row["coordinating"])
                # a question is one event; the inputs of a task's coordinating units share
                # its first event, so their keys name the unit too
                prefix = (f"{kind}:{row['id']}:{row['asked_code']}" if row["coordinating"]
                          else f"{kind}:{row['id']}")
                notes.extend(Notification(
                    recipient_id=leader.pk, kind=kind, task_id=row["task_id"],
                    event_id=row["id"], key=f"{prefix}:{leader.pk}", deadline=due,
                    created_at=now, title=title, body=body, url=task_url(row["task__code"]),
                ) for leader in book.answering(unit.pk, today)
                    if f"{prefix}:{leader.pk}" not in told)
            counts[str(kind)] = insert_notifications(notes)
    return counts


# -- e-mail ----------------------------------------------------------------------------


def _has_address() -> Q:
    return Q(recipient__email__gt="") | Q(recipient__user__email__gt="")


@transaction.atomic
def _claim_for_email(*, batch: int, now: dt.datetime) -> list[int]:
    """Mark up to `batch` unsent, unread notifications with an address as e-mailed now.

    Claiming before sending makes a notification e-mailed at most once, even with several
    workers (on PostgreSQL each skips the rows another is claiming)."""
    ids = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(_has_address(), emailed_at__isnull=True, read_at__isnull=True)
        .order_by("id").values_list("id", flat=True)[:batch]
    )
    Notification.objects.filter(id__in=ids).update(emailed_at=now)
    return ids


def _release(ids: Sequence[int]) -> None:
    """Un-claim notifications whose e-mail was not sent, so the next run sends them."""
    if ids:
        Notification.objects.filter(id__in=list(ids)).update(emailed_at=None)


def _message(row: Mapping[str, Any], *, connection: Any, base_url: str) -> EmailMessage:
    address = row["recipient__email"] or row["recipient__user__email"]
    link = f"{base_url}{row['url']}"
    body = "\n\n".join([row["body"], _("See it in Thước đo: %(link)s") % {"link": link},
                        _("This message was sent by Thước đo. Do not reply to it.")])
    return EmailMessage(subject=f"[Thước đo] {row['title']}", body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[address],
                        connection=connection)


def notifications_send_email(*, batch: int = EMAIL_BATCH) -> int:
    """E-mail every notification not yet e-mailed (and not yet read in the inbox) whose
    recipient has an address (the official's, else their user's); returns how many were
    sent. Each is sent at most once: it is claimed (marked) first, and only an e-mail that
    fails to go out is released for the next run, which then resends it.
    """
    base_url = str(getattr(settings, "THUOCDO", {}).get("BASE_URL", "")).rstrip("/")
    sent_total = 0
    while True:
        ids = _claim_for_email(batch=batch, now=timezone.now())
        if not ids:
            return sent_total
        rows = list(Notification.objects.filter(id__in=ids).order_by("id").values(
            "id", "title", "body", "url", "recipient__email", "recipient__user__email",
        ))
        pending = [row["id"] for row in rows]
        try:
            with get_connection() as connection, \
                    translation.override(settings.LANGUAGE_CODE):
                for row in rows:
                    _message(row, connection=connection, base_url=base_url).send()
                    pending.remove(row["id"])
                    sent_total += 1
        except Exception:
            logger.exception("notification e-mail failed; %d left for the next run",
                             len(pending))
            _release(pending)
            raise


def last_notification_id() -> int:
    """The id of the last notification written (0: none)."""
    return Notification.objects.aggregate(last=Max("id"))["last"] or 0


@transaction.atomic
def notifications_not_to_email(*, after: int, now: dt.datetime | None = None) -> int:
    """Mark the notifications written since the last one was `after` as e-mailed without
    sending them (they stay unread in the inboxes); returns how many. For a demo's past: a
    history built in a minute is told in the inboxes, not in a thousand e-mails."""
    return Notification.objects.filter(id__gt=after, emailed_at__isnull=True).update(
        emailed_at=now or timezone.now())


# -- the recipient's own actions -------------------------------------------------------


def _check_recipient(official: Any, notification: Notification) -> None:
    if official is None or notification.recipient_id != official.pk:
        raise PermissionDeniedError(_("This notification is not addressed to you."),
                                    code="not_recipient")


@transaction.atomic
def notification_mark_read(*, official: Any, notification: Notification) -> Notification:
    """Mark one of the official's own notifications read (no change if it already is)."""
    _check_recipient(official, notification)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, official: Any) -> int:
    """Mark every unread notification of the official read; returns how many."""
    if official is None:
        return 0
    return Notification.objects.filter(recipient=official, read_at__isnull=True).update(
        read_at=timezone.now()
    )
