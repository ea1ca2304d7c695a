"""Writes of accountability: storing a month's signals and answering them.

`signals_refresh` computes (`compute.month_parts`) and stores a month's signals, a part of
the organisation at a time: a signal is matched by its engine key, so recomputing never
duplicates it; an open one takes the newest explanation and events; an answered or decided
one keeps what was answered (the decision stands). A signal no longer raised (a later event
removed its cause) is kept, marked not present. New S9 signals are escalated: the heads of
the unit above are notified, once, if the work is still open and overdue.

The answer: a leader of the signal's unit (or of the unit it was escalated to) requests an
explanation by a day (`explanation_due`: the leader's date, a working day from today to at
most THUOCDO_EXPLANATION_MAX_WORKDAYS working days after the request, 20 unless set; by
default THUOCDO_EXPLANATION_WORKDAYS working days after the request, 5 unless set); the official
named (or, for a unit, its head) explains; a leader accepts the explanation or confirms
the breach. A signal is decided only once an explanation was given, or once it was
requested and its due day has passed without one (the person named then had the chance to
answer): never while it is open, nor while the person named still has time. A decision
taken without an explanation given by the due day, and an explanation given after it, are
marked `late` ("not given in time"). The nightly job tells the leaders who asked and the
person named, once, that an explanation is overdue.

Nobody decides a signal that names them, nor one they explained. A signal about a unit
with nobody named is answered by the unit's head, so it is decided above the unit: by a
leader of a unit above it (or of the unit it was escalated to), the organisation board
over it, or an administrator; never by the unit's own leaders.

S14 and S15 are not computed: an inspector or the organisation board (within the units
granted to them) or an administrator records one by hand (`signal_record`), with the day
and a written text, and it is then answered as the others. The recomputation never
touches them (`MANUAL_CODES`): not matched, updated, reopened, duplicated, or marked gone.
A confirmed S14 about an official makes their grade KHT by itself: the evaluations read the
record (`evaluations.adapters.signal_grounds`); this app records the decision only.

Every step records who and why, in `SignalStep` and in the audit trail, and notifies the
other side. A step asked of a signal already past it (decided from another tab, say) is
refused as `signal_changed`, saying what was done, by whom and when, before any rule of who
may act; only to someone who may read the signal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.accounts.choices import GrantRole
from thuocdo.accounts.models import ScopeGrant
from thuocdo.core.calendar import day_off_name, work_calendar
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.inserts import insert_rows
from thuocdo.core.parallel import collector_paused
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.core.rows import content_digest
from thuocdo.core.scope import scope_for, subtrees_q
from thuocdo.core.services import audit_record
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.org.selectors import POSITION_RANK
from thuocdo.tasks.choices import OPEN_STATES
from thuocdo.tasks.models import Product, Task

from .choices import (
    DECIDED,
    MANUAL_CODES,
    PROTECTED_INITIATIVE,
    SignalStatus,
    StepAction,
    SubjectKind,
)
from .compute import Month, MonthResult, PartResult, month_parts
from .models import (
    AuthorityMatrixVersion,
    AuthorityRule,
    HolderDelay,
    SignalRecord,
    SignalStep,
    ThresholdSet,
    threshold_values_clean,
)

BATCH = 2000


@dataclass(frozen=True)
class RefreshResult:
    period: str
    created: int
    updated: int
    unchanged: int
    gone: int
    escalated: int
    delays: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def signals_refresh(*, period: str, as_of: dt.datetime | None = None, actor: Any = None,
                    result: MonthResult | None = None, workers: int | None = None
                    ) -> RefreshResult:
    """Compute (unless `result` is given) and store the signals and delays of `period`, in
    one transaction. Computed here, they are stored a part of the organisation at a time
    as the parts come (`compute.month_parts`), so the month's signals are never all held
    at once; `workers` as in `compute.compute_month`."""
    as_of = as_of or timezone.now()
    with collector_paused():  # a million stored keys and rows: see core.parallel
        if result is not None:
            return _store_month(result.month, [result], actor=actor)
        with month_parts(period=period, as_of=as_of, workers=workers) as (month, parts):
            return _store_month(month, parts, actor=actor)


class _Existing(NamedTuple):
    """A stored signal as the refresh needs it: an open one's text and events by digest."""

    pk: int
    status: str
    digest: bytes | None


def _store_month(month: Month, parts: Iterable[PartResult | MonthResult], *,
                 actor: Any) -> RefreshResult:
    """Store every part's signals and delays (see the module's docstring) in one
    transaction; a part is let go once stored."""
    period, unit_ids, official_ids = month.period, month.unit_ids, month.official_ids
    now = timezone.now()
    created = updated = delays = 0
    seen: list[int] = []
    units: set[int] = set()
    officials: set[int] = set()
    with transaction.atomic():
        # What is already stored, light: an open signal's explanation and events by digest.
        # Signals recorded by hand (S14, S15) are not the engine's: never matched, updated
        # or marked gone here (their keys are not engine keys either).
        computed = SignalRecord.objects.filter(period=period).exclude(code__in=MANUAL_CODES)
        existing: dict[str, _Existing] = {}
        for key, pk, status, text, events in (
                computed.values_list("key", "id", "status", "explanation", "events")
                .iterator(chunk_size=BATCH)):
            existing[key] = _Existing(pk, status, content_digest([text, events])
                                      if status == SignalStatus.OPEN else None)
        present_before = set(computed.filter(present=True).values_list("id", flat=True))
        HolderDelay.objects.filter(period=period).delete()
        for part in parts:
            new: list[tuple] = []
            changed: list[SignalRecord] = []
            for signal in part.signals:
                key = signal.key  # a property that joins seven strings: once per signal
                events = [list(e) if isinstance(e, tuple) else e for e in signal.events]
                row = existing.get(key)
                if row is None:
                    new.append((
                        key, signal.code, signal.period, signal.raised_on,
                        part.kinds[key], signal.task or "", part.task_ids.get(key),
                        official_ids.get(signal.official) if signal.official else None,
                        unit_ids[signal.unit],
                        unit_ids.get(signal.escalate_to) if signal.escalate_to else None,
                        events, signal.explanation, signal.needs_confirmation))
                    continue
                seen.append(row.pk)
                if (row.digest is not None
                        and row.digest != content_digest([signal.explanation, events])):
                    changed.append(SignalRecord(pk=row.pk, explanation=signal.explanation,
                                                events=events, last_seen=now))
            insert_rows(SignalRecord, NEW_SIGNAL_FIELDS, new,
                         status=SignalStatus.OPEN, present=True, first_seen=now,
                         last_seen=now, thresholds=month.thresholds,
                         authority=month.authority, version=0)
            SignalRecord.objects.bulk_update(changed, ["explanation", "events", "last_seen"],
                                             batch_size=BATCH)
            held = [(d.task_id, unit_ids[d.unit],
                     official_ids.get(d.official) if d.official else None, d.workdays)
                    for d in part.delays]
            insert_rows(HolderDelay, ("task", "unit", "official", "workdays"), held,
                        period=period)
            created, updated = created + len(new), updated + len(changed)
            delays += len(held)
            # the references written, which the database does not check (decision 0008):
            # the part's tasks now, while the workers compute; its units and officials,
            # few and named again and again, once at the end (as written: ids)
            _check_exist(Task, {row[6] for row in new} | {row[0] for row in held})
            units.update(row[8] for row in new)
            units.update(row[9] for row in new)
            units.update(row[1] for row in held)
            officials.update(row[7] for row in new)
            officials.update(row[2] for row in held)
        _check_exist(Unit, units)
        _check_exist(Official, officials)
        # Not raised any more: kept (it may have been answered), marked not present.
        gone = present_before - set(seen)
        ids = sorted(gone)
        for start in range(0, len(ids), BATCH):
            SignalRecord.objects.filter(pk__in=ids[start:start + BATCH]).update(present=False)
        back = sorted(set(seen) - present_before)
        for start in range(0, len(back), BATCH):
            SignalRecord.objects.filter(pk__in=back[start:start + BATCH]).update(present=True)
        escalated = _notify_escalations(period=period, now=now)
        audit_record(actor=actor, action="signals_refresh", object_type="period",
                     object_code=period,
                     changes={"created": created, "updated": updated, "as_of":
                              month.as_of.isoformat()})
    return RefreshResult(period, created, updated, len(seen) - updated, len(gone), escalated,
                         delays)


#: ids looked up in one query by `_check_exist` (under SQLite's limit of parameters)
CHECK_IDS = 10_000


def _check_exist(model: type[models.Model], ids: set[int | None]) -> None:
    """Refuse (the transaction is undone) a refresh that wrote a reference to a row of
    `model` that does not exist: the check a foreign-key constraint would make of every
    row written (decision 0008), made once per distinct id, set-based (on PostgreSQL the
    ids as one array, elsewhere a few thousand at a query). The ids come from what the
    computation read, so this fails only if a row was deleted meanwhile, which the
    application never does."""
    wanted = sorted(ids - {None})
    if not wanted:
        return
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # only the model's own table and key, quoted, are in the text
            cursor.execute(
                f"SELECT w.id FROM unnest(%s::bigint[]) AS w(id) WHERE NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} = w.id) ORDER BY w.id LIMIT 10",
                [wanted])
            missing = {row[0] for row in cursor.fetchall()}
    else:
        missing = set(wanted)
        for start in range(0, len(wanted), CHECK_IDS):
            missing.difference_update(model.objects.filter(
                pk__in=wanted[start:start + CHECK_IDS]).values_list("pk", flat=True))
    if missing:
        raise IntegrityError(
            f"signals_refresh: no {model._meta.label} with the id(s) "
            f"{', '.join(map(str, sorted(missing)[:10]))}: nothing was stored")


#: the fields of a new signal that vary from one to the next, in `signals_refresh`'s order
NEW_SIGNAL_FIELDS = ("key", "code", "period", "raised_on", "subject_kind", "subject", "task",
                     "official", "unit", "escalate_to", "events", "explanation",
                     "needs_confirmation")


def _notify_escalations(*, period: str, now: dt.datetime) -> int:
    """Tell the heads of the unit above about work still overdue after the reminders (S9):
    one notification per signal and head, never twice (the notification key). Only while
    the work is still open and past its deadline in force (the task as it is now): a
    signal of work done since, or given a later deadline, asks nothing of them (a
    recomputation at demo setup, or of an earlier month, finds many)."""
    day = timezone.localdate(now)
    signals = list(SignalRecord.objects.filter(
        period=period, code="S9", present=True, escalate_to__isnull=False,
        task__state__in=list(OPEN_STATES), task__due_in_force__lt=day)
        .exclude(status__in=list(DECIDED)).select_related("task", "escalate_to"))
    if not signals:
        return 0
    heads: dict[int, list[int]] = {}
    for unit_id, official_id in Membership.objects.filter(
            unit_id__in={s.escalate_to_id for s in signals}, position="head",
            start__lte=day).exclude(end__lt=day).values_list("unit_id", "official_id"):
        heads.setdefault(unit_id, []).append(official_id)
    notes = []
    for signal in signals:
        for official_id in heads.get(signal.escalate_to_id, []):
            title = _("Escalated to you: %(subject)s") % {"subject": signal.subject}
            notes.append(Notification(
                recipient_id=official_id, kind=NotificationKind.ESCALATED, task=signal.task,
                key=_key("S9", signal.key, official_id), created_at=now, title=title[:255],
                body=signal.explanation, url=signal.get_absolute_url(),
            ))
    Notification.objects.bulk_create(notes, ignore_conflicts=True, batch_size=BATCH)
    return len(notes)


def _key(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"acc:{digest}"


# -- the answer --------------------------------------------------------------------------


def explanation_workdays() -> int:
    """THUOCDO_EXPLANATION_WORKDAYS (a setting, an integer read in the settings; default 5):
    the working days after the request by which an explanation is due when the leader
    gives no date. Less than 1 is refused before anything is written."""
    workdays = settings.THUOCDO_EXPLANATION_WORKDAYS
    if workdays < 1:
        raise ImproperlyConfigured(
            f"THUOCDO_EXPLANATION_WORKDAYS must be a whole number of working days, 1 or more; "
            f"it is {workdays!r}.")
    return workdays


def explanation_due_default(*, on: dt.date) -> dt.date:
    """The day an explanation requested on `on` is due by when the leader gives none: the
    N-th working day after `on` (domain.md, "Working days"), N = `explanation_workdays()`."""
    workdays = explanation_workdays()
    calendar = work_calendar(years=range(on.year, on.year + 2 + workdays // 200))
    return calendar.add_workdays(on, workdays)


def explanation_max_workdays() -> int:
    """THUOCDO_EXPLANATION_MAX_WORKDAYS (a setting, an integer read in the settings; default
    20): the most working days after the request a leader may give the official named to
    explain. Fewer than THUOCDO_EXPLANATION_WORKDAYS (the default due day would be refused)
    is refused before anything is written."""
    most = settings.THUOCDO_EXPLANATION_MAX_WORKDAYS
    if most < explanation_workdays():
        raise ImproperlyConfigured(
            f"THUOCDO_EXPLANATION_MAX_WORKDAYS must be a whole number of working days, at "
            f"least THUOCDO_EXPLANATION_WORKDAYS ({explanation_workdays()}); it is {most!r}.")
    return most


def explanation_due_latest(*, on: dt.date) -> dt.date:
    """The latest day an explanation requested on `on` may be due by: the N-th working day
    after `on`, N = `explanation_max_workdays()`."""
    most = explanation_max_workdays()
    calendar = work_calendar(years=range(on.year, on.year + 2 + most // 200))
    return calendar.add_workdays(on, most)


def _check_due(due: dt.date, *, today: dt.date) -> None:
    """A due day the leader gives is a working day (the work calendar), today or later and
    not later than `explanation_due_latest`: a refusal names the day and the day to give
    instead (the latest one, or the next working day)."""
    latest = explanation_due_latest(on=today)
    calendar = work_calendar(years=range(today.year, latest.year + 2))
    if due < today:
        first = today if calendar.is_workday(today) else calendar.add_workdays(today, 1)
        raise ServiceError(
            _("The explanation cannot be due by %(due)s: that day has passed. Give a working "
              "day from %(first)s on.") % {"due": _day(due), "first": _day(first)},
            code="explanation_due_past", field="due")
    if due > latest:
        raise ServiceError(
            _("The explanation cannot be due by %(due)s: it is due at most %(n)d working "
              "days after the request, by %(latest)s at the latest.")
            % {"due": _day(due), "n": explanation_max_workdays(), "latest": _day(latest)},
            code="explanation_due_too_late", field="due")
    if calendar.is_workday(due):
        return
    values = {"due": _day(due), "why": day_off_name(due),
              "next": _day(calendar.add_workdays(due, 1))}
    if values["why"]:
        message = _("The explanation cannot be due by %(due)s: it is a day off (%(why)s). "
                    "Give a working day, such as the next one, %(next)s.") % values
    else:
        message = _("The explanation cannot be due by %(due)s: it is a day off. Give a "
                    "working day, such as the next one, %(next)s.") % values
    raise ServiceError(message, code="explanation_due_day_off", field="due")


def explanation_overdue(signal: SignalRecord, *, today: dt.date | None = None) -> bool:
    """Requested, not explained, and its due day has passed."""
    today = today or timezone.localdate()
    return (signal.status == SignalStatus.REQUESTED and signal.explanation_due is not None
            and signal.explanation_due < today)


def awaits_explanation(signal: SignalRecord, *, today: dt.date) -> bool:
    """Requested, not explained, and the person named still has time (until the end of the
    due day): no decision yet."""
    return (signal.status == SignalStatus.REQUESTED and signal.explanation_due is not None
            and today <= signal.explanation_due)


def _leads(user: Any, signal: SignalRecord) -> bool:
    scope = scope_for(user)
    if scope.is_read_only:
        return False
    units = [signal.unit] + ([signal.escalate_to] if signal.escalate_to_id else [])
    return any(scope.can_lead_unit(unit) for unit in units)


def _above(user: Any, signal: SignalRecord, *, board: bool) -> bool:
    """A leader of a unit above the signal's (or of the unit it was escalated to), an
    administrator, and with `board` the organisation board over it."""
    scope = scope_for(user)
    if scope.is_read_only:
        return False
    unit = signal.unit
    above = [u for u in (unit.parent, signal.escalate_to) if u is not None and u.pk != unit.pk]
    return (scope.is_admin or (board and scope.can_board_unit(unit))
            or any(scope.can_lead_unit(u) for u in above))


#: a position's rank within its unit: the lower ranks above
RANK = {"head": 0, "deputy": 1, "staff": 2}


def unit_answerers(unit_ids: Iterable[int], *, day: dt.date) -> dict[int, list[int]]:
    """Who answers for a signal about each unit with nobody named: its head, or, while it
    has none, its deputies (unit id → official ids; a unit with neither is absent)."""
    found: dict[int, dict[str, list[int]]] = {}
    for unit_id, official_id, position in (
            Membership.objects.filter(unit_id__in=set(unit_ids), position__in=("head", "deputy"),
                                      start__lte=day).exclude(end__lt=day)
            .values_list("unit_id", "official_id", "position").order_by("official_id")):
        found.setdefault(unit_id, {}).setdefault(position, []).append(official_id)
    return {unit_id: by.get("head") or by["deputy"] for unit_id, by in found.items()}


def _answerers(signal: SignalRecord) -> list[int]:
    """The official the signal names; for a unit, `unit_answerers`."""
    if signal.official_id is not None:
        return [signal.official_id]
    day = timezone.localdate()
    return unit_answerers([signal.unit_id], day=day).get(signal.unit_id, [])


def _is_named(user: Any, signal: SignalRecord) -> bool:
    return user.official_id is not None and user.official_id in _answerers(signal)


def _explained(user: Any, signal: SignalRecord) -> bool:
    return signal.steps.filter(action=StepAction.EXPLAIN, by=user).exists()


def _answers_for(user: Any, signal: SignalRecord) -> bool:
    """Named by the signal (for a unit: `unit_answerers`), or explained it: never judges
    it."""
    return _is_named(user, signal) or _explained(user, signal)


def _rank_in(official_id: int | None, unit_id: int) -> int:
    """The official's rank in the unit today (`RANK`; below every position when they hold
    none there)."""
    day = timezone.localdate()
    positions = Membership.objects.filter(official_id=official_id, unit_id=unit_id,
                                          start__lte=day).exclude(end__lt=day).values_list(
        "position", flat=True)
    return min((RANK.get(p, len(RANK)) for p in positions), default=len(RANK))


def _judges(user: Any, signal: SignalRecord) -> bool:
    """Who asks for a signal's explanation and decides it: someone ranking above whoever
    answers for it, never who answers for it or explained it. In the unit concerned, a
    leader who ranks above the official named (its head over a deputy or staff, a deputy
    over staff); a leader of a unit above (or of the unit it was escalated to), or an
    administrator. A signal about the unit itself, or naming its head, is judged above the
    unit only, and there the organisation board over it judges too (no leader of the unit
    can)."""
    if _answers_for(user, signal):
        return False
    named = (RANK["head"] if signal.official_id is None
             else _rank_in(signal.official_id, signal.unit_id))
    if named == RANK["head"]:
        return _above(user, signal, board=True)
    if _above(user, signal, board=False):
        return True
    return (user.official_id is not None and _leads(user, signal)
            and _rank_in(user.official_id, signal.unit_id) < named)


#: the statuses each step may be taken from
REQUEST_FROM = frozenset({SignalStatus.OPEN})
EXPLAIN_FROM = frozenset({SignalStatus.OPEN, SignalStatus.REQUESTED})
#: once asked, the person named has until the due day to explain; a requested signal is
#: decided only after that day (`awaits_explanation`), an explained one at once
DECIDE_FROM = frozenset({SignalStatus.REQUESTED, SignalStatus.EXPLAINED})


def can_request(user: Any, signal: SignalRecord) -> bool:
    return signal.status in REQUEST_FROM and _judges(user, signal)


def can_explain(user: Any, signal: SignalRecord) -> bool:
    return signal.status in EXPLAIN_FROM and _is_named(user, signal)


def _may_decide(user: Any, signal: SignalRecord) -> bool:
    """Of a signal not yet decided: `_judges`."""
    return signal.status not in DECIDED and _judges(user, signal)


def may_decide(user: Any, signal: SignalRecord) -> bool:
    """The caller decides this signal once its explanation is given or overdue."""
    return signal.status in DECIDE_FROM and _may_decide(user, signal)


def can_decide(user: Any, signal: SignalRecord, *, today: dt.date | None = None) -> bool:
    return (may_decide(user, signal)
            and not awaits_explanation(signal, today=today or timezone.localdate()))


def decides_elsewhere(user: Any, signal: SignalRecord) -> bool:
    """The caller answers for a signal not yet decided (named by it, or explained it): the
    decision is someone else's, above them."""
    return signal.status not in DECIDED and _answers_for(user, signal)


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write %(what)s.") % {"what": what}, code="text_required",
                           field="text")
    if len(text) > 4000:
        raise ServiceError(_("At most 4,000 characters."), code="text_too_long", field="text")
    return text


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _step(*, signal: SignalRecord, user: Any, action: str, text: str, status: str,
          allowed_from: frozenset[str], expected_version: int | None,
          notify: list[int], late: bool = False, fields: dict | None = None,
          note: str = "") -> SignalStep:
    """Record one step: `fields` also set on the signal, `late` on the step, `note` added
    to the notification."""
    fields = fields or {}
    locked = SignalRecord.objects.select_for_update().get(pk=signal.pk)
    # the status checked by the caller may have moved on meanwhile (another leader)
    if ((expected_version is not None and expected_version != locked.version)
            or locked.status not in allowed_from):
        raise ServiceError(_("The signal changed since you opened it; reload and try again."),
                           code="signal_changed")
    before = locked.status
    now = timezone.now()
    step = SignalStep.objects.create(signal=locked, action=action, at=now, by=user, text=text,
                                     late=late)
    SignalRecord.objects.filter(pk=locked.pk).update(status=status, version=locked.version + 1,
                                                     **fields)
    changes: dict[str, object] = {"status": [before, status]}
    changes.update({name: [str(getattr(locked, name) or ""), str(value or "")]
                    for name, value in fields.items()})
    if action != StepAction.REQUEST:
        changes["late"] = late
    audit_record(actor=user, action=f"signal_{action}", object_type="signal",
                 object_code=locked.key, changes=changes, reason=text)
    labels = {StepAction.REQUEST: _("Explanation requested: %(code)s %(subject)s"),
              StepAction.EXPLAIN: _("Explanation given: %(code)s %(subject)s"),
              StepAction.ACCEPT: _("Explanation accepted: %(code)s %(subject)s"),
              StepAction.CONFIRM: _("Breach confirmed: %(code)s %(subject)s"),
              StepAction.WITHDRAW: _("Signal withdrawn: %(code)s %(subject)s")}
    if locked.code == PROTECTED_INITIATIVE:
        labels.update({StepAction.REQUEST: _("Report on the initiative requested: %(code)s "
                                             "%(subject)s"),
                       StepAction.EXPLAIN: _("Reported on the initiative: %(code)s %(subject)s"),
                       StepAction.ACCEPT: _("Initiative protected: %(code)s %(subject)s"),
                       StepAction.CONFIRM: _("Initiative not protected: %(code)s %(subject)s")})
    title = labels[action] % {"code": locked.code, "subject": locked.subject or ""}
    _tell(locked, step, notify, title=title, body=f"{text}\n\n{note}" if note else text,
          user=user, now=now)
    signal.refresh_from_db()
    return step


def _tell(signal: SignalRecord, step: SignalStep, recipients: Iterable[int], *, title: str,
          body: str, user: Any, now: dt.datetime) -> None:
    """Notify each of `recipients` (official ids, once each, never the one acting) of a
    step of `signal`, with a link to it."""
    Notification.objects.bulk_create([
        Notification(recipient_id=official_id, kind=NotificationKind.SIGNAL,
                     task_id=signal.task_id, key=_key("step", step.pk, official_id),
                     created_at=now, title=title[:255], body=body,
                     url=signal.get_absolute_url())
        for official_id in dict.fromkeys(recipients) if official_id != user.official_id
    ], ignore_conflicts=True)


def _sees(user: Any, signal: SignalRecord) -> bool:
    """The caller may read the signal (`selectors.signal_scope_q`)."""
    from .selectors import signal_scope_q

    return SignalRecord.objects.filter(signal_scope_q(scope_for(user)), pk=signal.pk).exists()


def _refuse_if_past(user: Any, signal: SignalRecord, *, past: Iterable[str]) -> None:
    """A step asked of a signal that has gone past it (another leader decided it while
    this page was open, say): "already done, by whom, when", before any rule of who may
    act; said only to someone who may read the signal (the others learn nothing)."""
    if signal.status not in past or not _sees(user, signal):
        return
    last = signal.steps.select_related("by").order_by("at", "pk").last()
    if last is None:
        raise ServiceError(_("The signal changed since you opened it; reload and try again."),
                           code="signal_changed")
    raise ServiceError(
        _("This was done already: %(step)s by %(who)s on %(day)s. Reload the page to see "
          "where the signal is now.") % {
            "step": last.get_action_display(), "who": last.by.get_full_name(),
            "day": _day(timezone.localtime(last.at).date())},
        code="signal_changed")


def _requesters(signal: SignalRecord) -> list[int]:
    return [oid for oid in signal.steps.filter(action=StepAction.REQUEST)
            .values_list("by__official_id", flat=True) if oid]


@transaction.atomic
def signal_request_explanation(*, signal: SignalRecord, user: Any, text: str,
                               due: dt.date | None = None,
                               expected_version: int | None = None) -> SignalStep:
    """A leader asks the person (or unit) named to explain by `due` (a working day from
    today to `explanation_due_latest`: `_check_due`; default: `explanation_due_default`)."""
    _refuse_if_past(user, signal, past=set(SignalStatus) - REQUEST_FROM)
    if not can_request(user, signal):
        raise PermissionDeniedError(
            _("An explanation is asked for only of an open signal, and only by someone above "
              "whoever answers for it: a leader of the unit who ranks above the official "
              "named (its head over a deputy or staff, a deputy over staff), a leader of a "
              "unit above or an administrator; for a signal about a unit or its head, also "
              "the organisation board."),
            code="cannot_request")
    text = _text(text, _("what is to be explained"))
    today = timezone.localdate()
    if due is None:
        due = explanation_due_default(on=today)
    elif not isinstance(due, dt.date) or isinstance(due, dt.datetime):
        raise ServiceError(_("Give the day the explanation is due by as a date."),
                           code="bad_explanation_due", field="due")
    else:
        _check_due(due, today=today)
    return _step(signal=signal, user=user, action=StepAction.REQUEST, text=text,
                 status=SignalStatus.REQUESTED, allowed_from=REQUEST_FROM,
                 expected_version=expected_version, notify=_answerers(signal),
                 fields={"explanation_due": due},
                 note=_("Explain by %(due)s.") % {"due": _day(due)})


@transaction.atomic
def signal_explain(*, signal: SignalRecord, user: Any, text: str,
                   expected_version: int | None = None) -> SignalStep:
    """The person named (or the head of the unit named) explains; after the due day the
    explanation is still taken, marked late."""
    _refuse_if_past(user, signal, past={SignalStatus.EXPLAINED, *DECIDED})
    if not can_explain(user, signal):
        raise PermissionDeniedError(
            _("Only the person named by the signal (for a unit: its head) may explain it, "
              "before it is decided."), code="cannot_explain")
    return _step(signal=signal, user=user, action=StepAction.EXPLAIN,
                 text=_text(text, _("your explanation")), status=SignalStatus.EXPLAINED,
                 allowed_from=EXPLAIN_FROM, expected_version=expected_version,
                 notify=_requesters(signal), late=explanation_overdue(signal))


@transaction.atomic
def signal_decide(*, signal: SignalRecord, user: Any, decision: str, text: str,
                  expected_version: int | None = None) -> SignalStep:
    """A leader accepts the explanation (no breach) or confirms the breach, once it was
    given, or once it was requested and its due day passed without it (the person named
    had the chance to answer; the decision is then marked late). Final."""
    if decision not in {StepAction.ACCEPT, StepAction.CONFIRM}:
        raise ServiceError(_("Choose to accept the explanation or to confirm the breach."),
                           code="bad_decision", field="decision")
    _refuse_if_past(user, signal, past=DECIDED)
    if decides_elsewhere(user, signal):
        raise PermissionDeniedError(
            _("You answer for this signal (it names you or the unit you head, or you "
              "explained it), so you may not decide it: someone above you decides it."),
            code="cannot_decide_own")
    if not _may_decide(user, signal):
        raise PermissionDeniedError(
            _("A signal not yet decided is decided only by someone above whoever answers "
              "for it: a leader of the unit who ranks above the official named (its head "
              "over a deputy or staff, a deputy over staff), a leader of a unit above or an "
              "administrator; for a signal about a unit or its head, also the organisation "
              "board."), code="cannot_decide")
    if signal.status not in DECIDE_FROM:
        raise ServiceError(
            _("Request an explanation first: a signal is decided only after the person "
              "named has been asked to explain."), code="explanation_not_requested")
    if awaits_explanation(signal, today=timezone.localdate()):
        raise ServiceError(
            _("The explanation is due by %(due)s: decide once it is given or once that day "
              "has passed.") % {"due": _day(cast(dt.date, signal.explanation_due))},
            code="explanation_not_due")
    late = (signal.status == SignalStatus.REQUESTED
            or signal.steps.filter(action=StepAction.EXPLAIN, late=True).exists())
    status = SignalStatus.ACCEPTED if decision == StepAction.ACCEPT else SignalStatus.CONFIRMED
    return _step(signal=signal, user=user, action=decision,
                 text=_text(text, _("the reason for the decision")), status=status,
                 allowed_from=DECIDE_FROM, expected_version=expected_version,
                 notify=_answerers(signal) + _requesters(signal), late=late)


# -- signals recorded by hand (S14, S15) ------------------------------------------------------


#: a record by hand may be withdrawn until a leader decided it
WITHDRAW_FROM = frozenset({SignalStatus.OPEN, SignalStatus.REQUESTED, SignalStatus.EXPLAINED})


def can_withdraw(user: Any, signal: SignalRecord) -> bool:
    """An S14 or S15 not yet decided, by whoever may record it in its unit (`may_record`:
    an inspector or the board within their grants, an administrator), never by whoever
    answers for it (the official it names, or the leaders answering for its unit: a board
    member is often an official of a unit they cover)."""
    return (signal.code in MANUAL_CODES and signal.status in WITHDRAW_FROM
            and may_record(user, signal.unit) and not _answers_for(user, signal))


@transaction.atomic
def signal_withdraw(*, signal: SignalRecord, user: Any, text: str,
                    expected_version: int | None = None) -> SignalStep:
    """Withdraw an S14 or S15 recorded by mistake (the wrong official, day or record), with
    the reason, before a leader decided it: it then counts in no score (no KHT ground, no
    protection) and stays listed, with its steps, as withdrawn. Whoever was told of it is
    told of the withdrawal. A decided record stands: its decision is the leaders'."""
    _refuse_if_past(user, signal, past=DECIDED)
    if not can_withdraw(user, signal):
        raise PermissionDeniedError(
            _("Only an S14 or S15 recorded by hand is withdrawn, before a leader decides it, "
              "by an inspector or the organisation board within the units granted to them, "
              "or an administrator."), code="cannot_withdraw")
    recorder = (signal.steps.filter(action=StepAction.RECORD)
                .values_list("by__official_id", flat=True).first())
    told = [*_answerers(signal), *unit_answerers([signal.unit_id], day=signal.raised_on)
            .get(signal.unit_id, []), *_requesters(signal), *([recorder] if recorder else [])]
    return _step(signal=signal, user=user, action=StepAction.WITHDRAW,
                 text=_text(text, _("why the record is withdrawn")),
                 status=SignalStatus.WITHDRAWN, allowed_from=WITHDRAW_FROM,
                 expected_version=expected_version, notify=told)


#: who records S14 and S15 (besides administrators), over the subtree of the unit granted
RECORDING_ROLES = (GrantRole.INSPECTOR, GrantRole.BOARD)


def _recording_ranges(user: Any) -> list[tuple[int, int]] | None:
    """The subtrees (`Unit.lft`, `Unit.rgt`) where `user` records signals by hand: those of
    their inspector and board grants in force today; None for an administrator
    (everywhere)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    day = timezone.localdate()
    return list(ScopeGrant.objects.filter(user=user, role__in=RECORDING_ROLES, start__lte=day)
                .exclude(end__lt=day).values_list("unit__lft", "unit__rgt"))


def may_record(user: Any, unit: Unit | None = None) -> bool:
    """`user` records S14 and S15 signals (about `unit`, or about some unit): an inspector
    or the organisation board within the subtree granted, or an administrator."""
    ranges = _recording_ranges(user)
    if ranges is None:
        return True
    if unit is None:
        return bool(ranges)
    return any(lft <= unit.lft and unit.rgt <= rgt for lft, rgt in ranges)


def recording_units(user: Any) -> models.QuerySet[Unit]:
    """The units `user` may record S14 and S15 signals about, in tree order."""
    ranges = _recording_ranges(user)
    units = Unit.objects.order_by("lft")
    if ranges is None:
        return units
    return units.filter(subtrees_q(ranges))


def _official_unit(official: Official, *, on: dt.date, user: Any) -> Unit | None:
    """The unit a signal about `official` on `on` is about by default: their unit on that
    day (else today) where `user` may record, the highest position first."""
    today = timezone.localdate()
    for day in dict.fromkeys((on, today)):
        units = [m.unit for m in Membership.objects.filter(official=official, start__lte=day)
                 .exclude(end__lt=day).select_related("unit")
                 .order_by(POSITION_RANK, "unit__lft")]
        allowed = [u for u in units if may_record(user, u)]
        if allowed:
            return allowed[0]
        if units:
            return units[0]
    return None


def record_text_what(code: str) -> str:
    """What the written text of a signal recorded by hand says, by its code."""
    if code == "S15":
        return _("the initiative registered: what is proposed, and why it dares to act")
    return _("what the inspection or discipline record found, and its reference (number "
             "and date)")


@transaction.atomic
def signal_record(*, user: Any, code: str, official: Official | None, on: dt.date | None,
                  text: str, task: Task | None = None, unit: Unit | None = None
                  ) -> SignalRecord:
    """Record by hand an S14 (discipline, ethics, corruption: what an inspection or a
    discipline record found) or an S15 (a protected initiative: a proposal registered as
    daring to act) about `official`, dated `on` (its period is that day's month), about
    `unit` (default: the official's unit on that day) and optionally a task (for an S15,
    one `official` leads: protection applies only to the task's lead official). By an
    inspector or the organisation board within their subtree, or an administrator.

    Stored as the computed signals are, open, with a key no computation makes (the nightly
    recomputation never matches, updates or marks it gone), and answered the same way
    (request, explanation, decision). The first step, "recorded", says who and why; the
    audit trail keeps it; the official named and the leaders of the unit are told."""
    if code not in MANUAL_CODES:
        raise ServiceError(_("Signal: choose S14 (discipline, ethics, corruption) or S15 "
                             "(protected initiative); the others are computed from the log."),
                           code="not_manual", field="code")
    if not may_record(user):
        raise PermissionDeniedError(
            _("Only an inspector or the organisation board (within the units granted to "
              "them) or an administrator records S14 and S15 signals."), code="cannot_record")
    if not isinstance(official, Official):
        raise ServiceError(_("Official: give the code of the official the signal is about."),
                           code="official_required", field="official")
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ServiceError(_("Date: give the day of the record as a date."),
                           code="bad_date", field="on")
    today = timezone.localdate()
    if on > today:
        raise ServiceError(
            _("Date: %(day)s has not come yet; give the day of the record, today "
              "(%(today)s) or earlier.") % {"day": _day(on), "today": _day(today)},
            code="date_in_future", field="on")
    joined = (Membership.objects.filter(official=official).order_by("start")
              .values_list("start", flat=True).first())
    if joined is not None and on < joined:
        raise ServiceError(
            _("Date: %(name)s (%(code)s) has served in the organisation since %(start)s; "
              "give a day since then.") % {"name": official.name, "code": official.code,
                                           "start": _day(joined)},
            code="date_before_service", field="on")
    what = record_text_what(code)
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Text: write %(what)s.") % {"what": what}, code="text_required",
                           field="text")
    if len(text) > 4000:
        raise ServiceError(_("Text: at most 4,000 characters."), code="text_too_long",
                           field="text")
    if unit is None:
        unit = _official_unit(official, on=on, user=user)
        if unit is None:
            raise ServiceError(
                _("Unit: %(name)s (%(code)s) belongs to no unit on %(day)s; choose the "
                  "unit.") % {"name": official.name, "code": official.code, "day": _day(on)},
                code="unit_required", field="unit")
        if not may_record(user, unit):
            raise ServiceError(
                _("Official: %(name)s (%(code)s) is not in a unit where you record signals.")
                % {"name": official.name, "code": official.code},
                code="official_out_of_scope", field="official")
    else:
        if not may_record(user, unit):
            raise ServiceError(
                _("Unit: you do not record signals about %(unit)s; choose a unit granted to "
                  "you.") % {"unit": unit.name}, code="unit_out_of_scope", field="unit")
        if not Membership.objects.filter(official=official, unit=unit).exists():
            raise ServiceError(
                _("Unit: %(name)s (%(code)s) never belonged to %(unit)s.")
                % {"name": official.name, "code": official.code, "unit": unit.name},
                code="not_a_member", field="unit")
    if task is not None and not isinstance(task, Task):
        raise ServiceError(_("Task: give the code of a task you can see, or leave it empty."),
                           code="bad_task", field="task")
    if code == PROTECTED_INITIATIVE and task is not None and task.lead_official_id != official.pk:
        # protection applies only to the task's lead official (docs/scoring.md, S15:
        # `evaluations.adapters.protected_initiatives`): recorded for anyone else, it would
        # protect nothing
        lead = task.lead_official
        raise ServiceError(
            _("Task: %(task)s is led by %(lead)s (%(lead_code)s), not by %(name)s "
              "(%(code)s). An S15 protects the initiative of the task's lead official: name "
              "them, or leave the task empty.")
            % {"task": task.code, "lead": lead.name, "lead_code": lead.code,
               "name": official.name, "code": official.code},
            code="not_task_lead", field="task")
    period = f"{on.year}-{on.month:02d}"
    if SignalRecord.objects.filter(code=code, official=official, unit=unit, raised_on=on,
                                   task=task, explanation=text).exclude(
            status=SignalStatus.WITHDRAWN).exists():
        raise ServiceError(
            _("This %(code)s about %(name)s on %(day)s, with this text, is recorded "
              "already.") % {"code": code, "name": official.name, "day": _day(on)},
            code="already_recorded")
    now = timezone.now()
    key = "|".join((code, period, task.code if task else "", official.code, unit.code,
                    f"manual:{uuid.uuid4().hex}"))
    signal = SignalRecord.objects.create(
        key=key, code=code, period=period, raised_on=on,
        subject_kind=SubjectKind.TASK if task else SubjectKind.PERSON,
        subject=task.code if task else "", task=task, official=official, unit=unit,
        events=[], explanation=text, needs_confirmation=False, status=SignalStatus.OPEN,
        present=True, first_seen=now, last_seen=now, thresholds="", version=0)
    step = SignalStep.objects.create(signal=signal, action=StepAction.RECORD, at=now, by=user,
                                     text=text)
    audit_record(actor=user, action="signal_record", object_type="signal", object_code=key,
                 changes={"code": code, "official": official.code, "unit": unit.code,
                          "task": task.code if task else "", "on": on.isoformat(),
                          "status": SignalStatus.OPEN},
                 reason=text)
    title = _("Signal recorded: %(code)s about %(name)s") % {"code": code,
                                                             "name": official.name}
    told = [official.pk, *unit_answerers([unit.pk], day=today).get(unit.pk, [])]
    _tell(signal, step, told, title=title, body=text, user=user, now=now)
    return signal


def explanations_overdue_notify(*, today: dt.date | None = None) -> int:
    """Tell the leaders who asked, and the person named, that an explanation is overdue:
    requested, its due day passed, not given. Once per signal, due day and person (the
    notification key), however often it runs; the number of notifications made."""
    today = today or timezone.localdate()
    signals = list(SignalRecord.objects.filter(status=SignalStatus.REQUESTED,
                                               explanation_due__lt=today))
    if not signals:
        return 0
    asked: dict[int, list[int]] = {}
    for signal_id, official_id in SignalStep.objects.filter(
            signal__in=signals, action=StepAction.REQUEST,
            by__official__isnull=False).values_list("signal_id", "by__official_id"):
        asked.setdefault(signal_id, []).append(official_id)
    answerers = unit_answerers({s.unit_id for s in signals if s.official_id is None},
                               day=today)
    now = timezone.now()
    notes = []
    for signal in signals:
        named = ([signal.official_id] if signal.official_id
                 else answerers.get(signal.unit_id, []))
        title = _("Explanation overdue: %(code)s %(subject)s") % {
            "code": signal.code, "subject": signal.subject or ""}
        body = _("The explanation was due by %(due)s and has not been given; a leader may "
                 "now decide the signal without it.") % {
            "due": _day(cast(dt.date, signal.explanation_due))}
        for official_id in dict.fromkeys([*asked.get(signal.pk, []), *named]):
            notes.append(Notification(
                recipient_id=official_id, kind=NotificationKind.SIGNAL, task_id=signal.task_id,
                key=_key("late", signal.pk, signal.explanation_due, official_id),
                created_at=now, title=title[:255], body=body, url=signal.get_absolute_url()))
    made = 0
    for start in range(0, len(notes), BATCH):
        batch = notes[start:start + BATCH]
        told = set(Notification.objects.filter(key__in=[n.key for n in batch])
                   .values_list("key", flat=True))
        fresh = [n for n in batch if n.key not in told]
        Notification.objects.bulk_create(fresh, ignore_conflicts=True)
        made += len(fresh)
    return made


# -- the detectors' settings ---------------------------------------------------------------


def _first_uncomputed_month() -> dt.date | None:
    """The first day of the month after the latest one whose signals are stored (None:
    none is): a version of a setting (thresholds, authority matrix) in force before it
    would change months already computed (a month is computed with the versions in force
    on its last day, or on the day computed if it comes first)."""
    latest = (SignalRecord.objects.exclude(code__in=list(MANUAL_CODES))
              .filter(period__regex=r"^[0-9]{4}-[0-9]{2}$")
              .aggregate(latest=models.Max("period"))["latest"])
    if latest is None:
        return None
    year, month = (int(part) for part in latest.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 1)


def _check_effective_from(effective_from: dt.date) -> None:
    """A new version of a setting (thresholds, authority matrix) comes into force on a day
    of a year a period may take, and after the months whose signals are stored: the version
    in force in a month is the one in force on its last day (or on the day computed, before
    it ends), so a version starting earlier would change a month already computed."""
    if not year_in_range(effective_from.year):
        raise ServiceError(_("A version comes into force on a day of a year from %(first)s "
                             "to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                           code="effective_from_range", field="effective_from")
    earliest = _first_uncomputed_month()
    if earliest is not None and effective_from < earliest:
        raise ServiceError(
            _("Signals are computed up to %(month)s: a new version comes into force from "
              "%(day)s on, so that the months computed keep their meaning.") % {
                "month": f"{(earliest - dt.timedelta(days=1)):%m/%Y}",
                "day": f"{earliest:%d/%m/%Y}"},
            code="effective_from_computed", field="effective_from")


def _check_one_version_a_day(model: Any, effective_from: dt.date) -> None:
    """One version of a setting (`ThresholdSet`, `AuthorityMatrixVersion`) a day: which of
    two from the same day is in force would depend on how the database sorts their names (a
    collation), not on a rule anyone can read."""
    same_day = model.objects.filter(effective_from=effective_from).first()
    if same_day is not None:
        raise ServiceError(
            _("Version “%(version)s” already comes into force on %(day)s: choose another "
              "day, or remove that version first if no month was computed under it.")
            % {"version": same_day.version, "day": effective_from.strftime("%d/%m/%Y")},
            code="version_same_day", field="effective_from")


@transaction.atomic
def threshold_set_add(*, actor: Any = None, version: str, effective_from: dt.date,
                      values: dict, basis: str = "") -> ThresholdSet:
    """Add a version of the signal thresholds, in force from `effective_from`. `values` holds
    only what differs from the engine's defaults, each checked against its type and bounds
    (`models.threshold_values_clean`, naming a bad one). A version is never changed once
    saved: a change is a new version (docs/decisions/0005)."""
    version = (version or "").strip()
    if not version:
        raise ServiceError(_("A version needs a name."), code="version_required",
                           field="version")
    values = threshold_values_clean(values)
    _check_effective_from(effective_from)
    if ThresholdSet.objects.filter(version=version).exists():
        raise ServiceError(_("Version “%(version)s” exists already.") % {"version": version},
                           code="version_taken", field="version")
    _check_one_version_a_day(ThresholdSet, effective_from)
    row = ThresholdSet.objects.create(version=version, effective_from=effective_from,
                                      values=values, basis=basis)
    audit_record(actor=actor, action="thresholds_save", object_type="thresholds",
                 object_code=version, changes={"values": values,
                                               "effective_from": str(effective_from),
                                               "basis": basis})
    return row


def threshold_set_in_use(row: ThresholdSet) -> bool:
    """Whether a stored signal was computed under the version `row`."""
    return SignalRecord.objects.filter(thresholds=row.version).exists()


@transaction.atomic
def threshold_set_remove(*, actor: Any = None, row: ThresholdSet) -> None:
    """Remove a version no stored signal was computed under (one saved by mistake); a
    version months were computed under stays, as those months' record."""
    row = ThresholdSet.objects.select_for_update().get(pk=row.pk)
    if threshold_set_in_use(row):
        raise ServiceError(_("Signals were computed under version “%(version)s”: it stays; "
                             "add a new version instead.") % {"version": row.version},
                           code="thresholds_in_use")
    audit_record(actor=actor, action="thresholds_remove", object_type="thresholds",
                 object_code=row.version,
                 changes={"values": row.values, "effective_from": str(row.effective_from),
                          "basis": row.basis})
    row.delete()


#: a version's name, as `AuthorityMatrixVersion.version` and `ThresholdSet.version` keep it
VERSION_MAX = 32


def _rule_choices(name: str) -> dict[str, str]:
    """The codes a rule's `position` or `priority` may have, with their names."""
    return {code: str(label)
            for code, label in AuthorityRule._meta.get_field(name).choices or ()}


def authority_rule_clean(rule: object) -> tuple[str, str, Product | None]:
    """One rule of the authority matrix, `{"position", "priority", "product"?}` (as
    `AuthorityMatrix.to_rows` writes it; the product by its code, empty or "*" for any
    product), checked: (position, priority, product or None). A `ServiceError` (field
    "rules") saying what was wrong and what may be written otherwise."""
    if not isinstance(rule, Mapping):
        raise ServiceError(_("A rule names a position, a priority and, if it is for one "
                             "product only, the product's code."),
                           code="bad_rule", field="rules")
    found: list[str] = []
    for name in ("position", "priority"):
        choices = _rule_choices(name)
        value = str(rule.get(name) or "").strip()
        if value not in choices:
            allowed = ", ".join(f"{code} ({label})" for code, label in choices.items())
            message = (_("Position: write one of %(allowed)s, not “%(value)s”.")
                       if name == "position" else
                       _("Priority: write one of %(allowed)s, not “%(value)s”."))
            raise ServiceError(message % {"allowed": allowed, "value": value},
                               code="bad_rule", field="rules")
        found.append(value)
    code = str(rule.get("product") or "").strip()
    product = None
    if code not in ("", "*"):
        product = Product.objects.filter(code=code).first()
        if product is None:
            raise ServiceError(_("Product: no product has the code “%(code)s”.")
                               % {"code": code}, code="unknown_product", field="rules")
    return found[0], found[1], product


def _rule_row(position: str, priority: str, product: str | None) -> dict[str, str]:
    """A rule as the audit trail and `AuthorityMatrix.from_rows` write it."""
    return {"position": position, "priority": priority, "product": product or "*"}


@transaction.atomic
def authority_matrix_add(*, actor: Any = None, version: str, effective_from: dt.date,
                         rules: Iterable[Mapping[str, str | None]], basis: str = ""
                         ) -> AuthorityMatrixVersion:
    """Add a version of the authority matrix, in force from `effective_from`, holding
    `rules` whole (`{"position", "priority", "product"?}` each, as `authority_rule_clean`
    reads them; none: nobody decides a matter alone). Never changed once saved: a change is
    a new version, from a day after the months already computed, as for the thresholds
    (docs/decisions/0005)."""
    version = (version or "").strip()
    if not version:
        raise ServiceError(_("A version needs a name."), code="version_required",
                           field="version")
    if len(version) > VERSION_MAX:
        raise ServiceError(_("A version's name has at most %(count)s characters.")
                           % {"count": VERSION_MAX}, code="version_too_long", field="version")
    if not isinstance(rules, Iterable) or isinstance(rules, str | bytes | Mapping):
        raise ServiceError(_("A rule names a position, a priority and, if it is for one "
                             "product only, the product's code."),
                           code="bad_rule", field="rules")
    cleaned = list(dict.fromkeys(authority_rule_clean(rule) for rule in rules))
    _check_effective_from(effective_from)
    if AuthorityMatrixVersion.objects.filter(version=version).exists():
        raise ServiceError(_("Version “%(version)s” exists already.") % {"version": version},
                           code="version_taken", field="version")
    _check_one_version_a_day(AuthorityMatrixVersion, effective_from)
    row = AuthorityMatrixVersion.objects.create(version=version,
                                                effective_from=effective_from, basis=basis)
    AuthorityRule.objects.bulk_create(
        AuthorityRule(matrix=row, position=position, priority=priority, product=product)
        for position, priority, product in cleaned)
    audit_record(actor=actor, action="authority_matrix_save", object_type="authority_matrix",
                 object_code=version,
                 changes={"rules": _version_rules(row), "effective_from": str(effective_from),
                          "basis": basis})
    return row


def _version_rules(row: AuthorityMatrixVersion) -> list[dict[str, str]]:
    """The rules of a version, as `AuthorityMatrix.to_rows` orders them."""
    return sorted((_rule_row(*rule) for rule in row.rules.values_list(
        "position", "priority", "product__code")),
        key=lambda rule: (rule["position"], rule["priority"], rule["product"]))


def authority_matrix_in_use(row: AuthorityMatrixVersion) -> bool:
    """Whether a month already computed may have been computed under the version `row`: a
    stored signal was raised under it, or it came into force before the first month not
    computed (the signals stored before the matrix had versions name none)."""
    if SignalRecord.objects.filter(authority=row.version).exists():
        return True
    earliest = _first_uncomputed_month()
    return earliest is not None and row.effective_from < earliest


@transaction.atomic
def authority_matrix_remove(*, actor: Any = None, row: AuthorityMatrixVersion) -> None:
    """Remove a version no month computed may have used (one saved by mistake, not yet in
    force in a computed month); one that may have been stays, as those months' record."""
    row = AuthorityMatrixVersion.objects.select_for_update().get(pk=row.pk)
    if authority_matrix_in_use(row):
        raise ServiceError(_("Version “%(version)s” may be the authority matrix of months "
                             "already computed: it stays; add a new version instead.")
                           % {"version": row.version}, code="authority_matrix_in_use")
    audit_record(actor=actor, action="authority_matrix_remove",
                 object_type="authority_matrix", object_code=row.version,
                 changes={"rules": _version_rules(row),
                          "effective_from": str(row.effective_from), "basis": row.basis})
    row.delete()
