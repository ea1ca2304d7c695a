"""From the database to the engine, for the rest of the application.

- `citizen_signals`: S10 and S11 on dossiers, S3 on feedback forwarded as "not our
  responsibility" (measure/dossiers.py), for every unit, in a few queries.
- `quality_findings`: verified complaints and low ratings, each traced to the official (and
  the dossier step or task) that held the work. Scoring counts a verified complaint linked to
  work as a major error when `THUOCDO_COMPLAINT_IS_MAJOR_ERROR` is true (the default).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from thuocdo.measure import dossiers as engine
from thuocdo.measure.signals import Signal

from .choices import FeedbackEventKind, FindingDecision, FindingKind, Satisfaction, Verification
from .models import Dossier, DossierEvent, Feedback, FeedbackEvent, FindingAnswer
from .selectors import calendar_for
from .services import dossier_history


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _dossier_histories(rows) -> dict[str, engine.DossierHistory]:
    """Engine histories of the dossiers `rows` (a queryset), events read in one query."""
    dossiers = {d.pk: d for d in rows.select_related("unit")}
    events: dict[int, list[DossierEvent]] = defaultdict(list)
    for event in (DossierEvent.objects.filter(dossier_id__in=list(dossiers))
                  .select_related("actor", "unit", "official").order_by("dossier_id", "seq")):
        events[event.dossier_id].append(event)
    return {d.code: dossier_history(d, events[pk]) for pk, d in dossiers.items()}


def citizen_signals(*, period_start: dt.date, period_end: dt.date,
                    as_of: dt.datetime) -> list[Signal]:
    """S10, S11 and S3 (feedback) raised in [period_start, period_end] by what was known at
    `as_of`, for all units."""
    start, end = _moment(period_start), _moment(period_end + dt.timedelta(days=1))
    rows = (Dossier.objects.filter(received_at__lt=min(end, as_of))
            .filter(Q(done_at__isnull=True) | Q(done_at__gte=start)))
    histories = list(_dossier_histories(rows).values())
    calendar = calendar_for(period_start, period_end, timezone.localdate(as_of))
    found: list[Signal] = []
    found += engine.repeated_supplements(histories, period_start=period_start,
                                         period_end=period_end, as_of=as_of)
    found += engine.late_without_apology(histories, calendar=calendar,
                                         period_start=period_start, period_end=period_end,
                                         as_of=as_of)
    forwarded = Feedback.objects.filter(forwards__gt=0, last_event_at__gte=start,
                                        submitted_at__lt=end).select_related("first_unit")
    cases = {f.pk: f for f in forwarded}
    moves: dict[int, list[engine.CaseEvent]] = defaultdict(list)
    for event in (FeedbackEvent.objects.filter(feedback_id__in=list(cases),
                                               kind=FeedbackEventKind.FORWARD)
                  .select_related("actor", "unit").order_by("feedback_id", "seq")):
        moves[event.feedback_id].append(engine.CaseEvent(
            kind=engine.FORWARD, at=event.at, actor=event.actor.code if event.actor else None,
            unit=event.unit.code, data=event.data))
    found += engine.feedback_ping_pong(
        [engine.FeedbackHistory(f.code, f.first_unit.code, f.submitted_at,
                                tuple(moves[pk])) for pk, f in cases.items()],
        period_start=period_start, period_end=period_end, as_of=as_of)
    return sorted(found, key=lambda s: (int(s.code[1:]), s.task or "", s.raised_on, s.key))


# -- quality findings -------------------------------------------------------------------


@dataclass(frozen=True)
class QualityFinding:
    """A verified complaint or a low rating, traced to the official who held the work.

    `decision` is "" while no leader has decided on the official's explanation, "confirmed"
    once confirmed; findings whose explanation was accepted are not returned.
    """

    official: str
    task: str | None
    dossier: str | None
    feedback: str | None
    kind: str  # "verified_complaint" | "low_rating"
    on: dt.date
    step: str | None = None
    unit: str | None = None
    decision: str = ""

    @property
    def kind_label(self) -> str:
        return str(FindingKind(self.kind).label)

    @property
    def key(self) -> str:
        return "|".join((self.kind, self.feedback or "", self.dossier or "", self.official))


def _dossier_holder(history: engine.DossierHistory, moment: dt.datetime
                    ) -> tuple[str, str | None, str | None]:
    unit, official = engine.holder_at(history, moment)
    return unit, official, engine.step_at(history, moment)


def quality_findings(*, start: dt.date, end: dt.date, tasks: QuerySet | None = None
                     ) -> list[QualityFinding]:
    """Findings dated in [start, end] (see `all_findings`; `tasks` as there), except those
    whose explanation a leader accepted."""
    return [f for f in all_findings(start=start, end=end, tasks=tasks)
            if f.decision != FindingDecision.ACCEPTED]


def all_findings(*, start: dt.date, end: dt.date, tasks: QuerySet | None = None
                 ) -> list[QualityFinding]:
    """Findings dated in [start, end], with the leader's decision on each (with `tasks`, a
    query of tasks, only the findings about their work, as the whole list has them: a
    page about some tasks reads no other case):

    - a complaint verified as founded (dated the day of verification), traced to the official
      it names; else, for a dossier, to whoever held the dossier when the complaint was
      made (or at its deadline, if it was late and done before); else to the task's lead
      official. A complaint traced to no one is no finding.
    - feedback rated "not satisfied" (dated the day of the rating), traced to the official
      who handled it;
    - a dossier rated "not satisfied" by its applicant, traced to whoever held it at its
      deadline when it was late, else to whoever returned the result.
    """
    lo, hi = _moment(start), _moment(end + dt.timedelta(days=1))
    complaints = Feedback.objects.filter(
        verification=Verification.VERIFIED, verified_at__gte=lo, verified_at__lt=hi,
    ).select_related("official", "dossier", "task__lead_official", "unit")
    low_feedback = Feedback.objects.filter(
        rating=Satisfaction.UNSATISFIED, rated_at__gte=lo, rated_at__lt=hi,
        assignee__isnull=False,
    ).select_related("assignee", "dossier", "task", "unit")
    low_dossiers = Dossier.objects.filter(rating=Satisfaction.UNSATISFIED, rated_at__gte=lo,
                                          rated_at__lt=hi)
    if tasks is not None:  # a dossier's own rating is about no task
        complaints = complaints.filter(task__in=tasks.values("pk"))
        low_feedback = low_feedback.filter(task__in=tasks.values("pk"))
        low_dossiers = low_dossiers.none()
    complaints, low_feedback = list(complaints), list(low_feedback)
    dossier_ids = {f.dossier_id for f in complaints if f.dossier_id} | set(
        low_dossiers.values_list("pk", flat=True))
    histories = _dossier_histories(Dossier.objects.filter(pk__in=dossier_ids))
    found: list[QualityFinding] = []
    for f in complaints:
        day = timezone.localdate(f.verified_at)
        step = None
        unit = f.unit.code
        if f.official is not None:
            official = f.official.code
        elif f.dossier is not None:
            history = histories[f.dossier.code]
            unit, official, step = _dossier_holder(history, min(
                f.submitted_at, f.dossier.done_at or f.submitted_at))
        elif f.task is not None:
            official = f.task.lead_official.code
        else:
            continue
        if official is None:
            continue
        found.append(QualityFinding(official, f.task.code if f.task else None,
                                    f.dossier.code if f.dossier else None, f.code,
                                    FindingKind.VERIFIED_COMPLAINT, day, step, unit))
    for f in low_feedback:
        found.append(QualityFinding(f.assignee.code, f.task.code if f.task else None,
                                    f.dossier.code if f.dossier else None, f.code,
                                    FindingKind.LOW_RATING, timezone.localdate(f.rated_at),
                                    None, f.unit.code))
    for d in low_dossiers:
        history = histories[d.code]
        if d.done_late:
            moment = engine.end_of_day(d.due_in_force) - dt.timedelta(microseconds=1)
        else:
            moment = d.done_at
        unit, official, step = _dossier_holder(history, moment)
        results = [e for e in history.events if e.kind == engine.RESULT]
        if official is None and results:
            official = results[0].actor
        if official is None:
            continue
        found.append(QualityFinding(official, None, d.code, None, FindingKind.LOW_RATING,
                                    timezone.localdate(d.rated_at), step, unit))
    decisions = dict(FindingAnswer.objects.filter(key__in=[f.key for f in found])
                     .values_list("key", "decision"))
    result = [QualityFinding(**{**f.__dict__, "decision": decisions.get(f.key, "")})
              for f in found]
    return sorted(result, key=lambda x: (x.on, x.official, x.key))


def findings_for_feedback(*, feedback: Feedback) -> list[QualityFinding]:
    """The findings a case raised (for its page), whatever their decision."""
    days = [timezone.localdate(m) for m in (feedback.verified_at, feedback.rated_at) if m]
    if not days:
        return []
    return [f for f in all_findings(start=min(days), end=max(days))
            if f.feedback == feedback.code]
