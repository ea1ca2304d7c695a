"""Reads of feedback and dossiers, scoped to what the caller may see.

Staff see the feedback and dossiers of the units in their scope (`scope.units_q`), and what
is assigned to or held by them. The public reach one feedback case or one dossier only, by
its code together with its access key (`feedback_public_get`, `dossier_public_get`), and see
of a dossier only what `dossier_public_view` gives: never an official's name nor a note
meant for staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.scope import Scope
from thuocdo.measure import service_index as engine
from thuocdo.org.models import Unit

from .choices import (
    PUBLIC_KINDS,
    DossierEventKind,
    DossierStatus,
    FeedbackStatus,
)
from .models import Dossier, DossierEvent, Feedback, FeedbackEvent, Procedure


def _feedback_q(scope: Scope) -> Q:
    if scope.is_admin:
        return Q()
    q = Q(scope.units_q("unit__")) | Q(scope.units_q("first_unit__"))
    if scope.official_id is not None:
        q |= Q(assignee_id=scope.official_id)
    return q


def feedback_inbox(*, scope: Scope, unit: Unit | None = None, status: str | None = None,
                   mine: bool = False) -> QuerySet[Feedback]:
    """Feedback of the caller's units (newest first), optionally of one unit's subtree, one
    status, or assigned to the caller."""
    rows = Feedback.objects.filter(_feedback_q(scope)).select_related(
        "unit", "assignee", "official", "dossier")
    if unit is not None:
        rows = rows.filter(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt)
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(assignee_id=scope.official_id)
    return rows.order_by("reply_due", "code")


def feedback_get(*, scope: Scope, code: str) -> Feedback:
    """One case in the caller's scope (Feedback.DoesNotExist otherwise)."""
    return Feedback.objects.filter(_feedback_q(scope)).select_related(
        "unit", "first_unit", "assignee", "official", "dossier", "task").get(code=code)


def _public_get(rows: QuerySet, *, code: str, key: str):
    """The row of `rows` whose code (as typed, or in capitals) and access key both match, or
    None: the same answer for an unknown code and a wrong key, so codes cannot be probed."""
    from .services import access_key_matches

    code = (code or "").strip()
    if not code:
        return None
    for row in rows.filter(code__in={code, code.upper()}):
        if access_key_matches(row, key):
            return row
    return None


def feedback_public_get(*, code: str, key: str) -> Feedback | None:
    """The case whose tracking code and access key both match, or None."""
    return _public_get(Feedback.objects.select_related("unit", "first_unit"), code=code,
                       key=key)


def feedback_public_timeline(*, feedback: Feedback) -> list[FeedbackEvent]:
    """The events the public may see, in order (never the verification)."""
    return list(feedback.events.filter(kind__in=list(PUBLIC_KINDS)).order_by("seq"))


def feedback_events(*, feedback: Feedback) -> list[FeedbackEvent]:
    return list(feedback.events.select_related("actor", "unit").order_by("seq"))


def procedure_list(*, active_only: bool = True) -> QuerySet[Procedure]:
    rows = Procedure.objects.prefetch_related("steps__unit")
    return rows.filter(active=True) if active_only else rows


def _dossier_q(scope: Scope) -> Q:
    if scope.is_admin:
        return Q()
    q = Q(scope.units_q("unit__")) | Q(scope.units_q("holder_unit__"))
    if scope.official_id is not None:
        q |= Q(holder_official_id=scope.official_id)
    return q


def dossier_list(*, scope: Scope, status: str | None = None, overdue_on: dt.date | None = None,
                 mine: bool = False) -> QuerySet[Dossier]:
    rows = Dossier.objects.filter(_dossier_q(scope)).select_related(
        "procedure", "holder_unit", "holder_official", "unit")
    if status:
        rows = rows.filter(status=status)
    if overdue_on is not None:
        rows = rows.exclude(status=DossierStatus.DONE).filter(due_in_force__lt=overdue_on)
    if mine:
        rows = rows.filter(holder_official_id=scope.official_id)
    return rows.order_by("due_in_force", "code")


def dossier_get(*, scope: Scope, code: str) -> Dossier:
    return Dossier.objects.filter(_dossier_q(scope)).select_related(
        "procedure", "holder_unit", "holder_official", "unit").get(code=code)


def dossier_public_get(*, code: str, key: str) -> Dossier | None:
    """The dossier whose code and access key both match, or None (also for a dossier that has
    no key yet)."""
    return _public_get(Dossier.objects.select_related("procedure", "unit", "holder_unit"),
                       code=code, key=key)


@dataclass(frozen=True)
class PublicDossierEvent:
    """One line of a dossier's public timeline: what happened, when, at which unit; what
    the applicant is asked for; the apology slip's reason and new date."""

    kind: str
    label: str
    at: dt.datetime
    unit: str = ""
    step: str = ""
    reason: str = ""
    new_date: dt.date | None = None
    rating: str = ""


@dataclass(frozen=True)
class PublicDossier:
    """What the applicant sees of their dossier on the portal: built from the dossier and its
    log, without the officials who hold or held it and without staff's notes, so a template
    cannot show them."""

    code: str
    procedure: str
    unit: str
    channel: str
    received_at: dt.datetime
    due: dt.date
    due_in_force: dt.date
    apology_date: dt.date | None
    status: str
    status_label: str
    step: int
    steps: int
    step_name: str
    step_unit: str
    done_at: dt.datetime | None
    rating: str
    rating_label: str
    timeline: tuple[PublicDossierEvent, ...]

    @property
    def is_done(self) -> bool:
        return self.status == DossierStatus.DONE

    @property
    def can_rate(self) -> bool:
        """The applicant rates once the result is returned, once."""
        return self.is_done and not self.rating


def _public_event(event: DossierEvent) -> PublicDossierEvent:
    data = event.data or {}
    values: dict = {"kind": event.kind, "label": str(event.get_kind_display()), "at": event.at}
    if event.kind in (DossierEventKind.RECEIVE, DossierEventKind.MOVE):
        values.update(unit=event.unit.name, step=data.get("step", ""))
    elif event.kind == DossierEventKind.SUPPLEMENT_REQUEST:
        values["reason"] = data.get("reason", "")
    elif event.kind == DossierEventKind.APOLOGY:
        values.update(reason=data.get("reason", ""), new_date=event.new_date)
    elif event.kind == DossierEventKind.RATE:
        values["rating"] = event.rating_label
    return PublicDossierEvent(**values)


def dossier_public_view(*, dossier: Dossier) -> PublicDossier:
    """The public page of a dossier (from `dossier_public_get`): where it stands, the step it
    is at (its unit, never the official), and its public timeline: received, each move to a
    step's unit, supplement requests with what is asked, supplements received, apology slips
    with their reason and new date, the result returned, the rating. Two queries."""
    steps = list(dossier.procedure.steps.select_related("unit").order_by("order"))
    current = next((s for s in steps if s.order == dossier.step), None)
    events = dossier.events.select_related("unit").order_by("seq")
    return PublicDossier(
        code=dossier.code, procedure=dossier.procedure.name, unit=dossier.unit.name,
        channel=str(dossier.get_channel_display()), received_at=dossier.received_at,
        due=dossier.due, due_in_force=dossier.due_in_force, apology_date=dossier.apology_date,
        status=dossier.status, status_label=str(dossier.get_status_display()),
        step=dossier.step, steps=len(steps), step_name=current.name if current else "",
        step_unit=dossier.holder_unit.name, done_at=dossier.done_at, rating=dossier.rating,
        rating_label=str(dossier.get_rating_display()) if dossier.rating else "",
        timeline=tuple(_public_event(e) for e in events),
    )


def apology_prompts_for(*, scope: Scope) -> list[dict]:
    """The caller's apology-slip prompts for dossiers still open without a slip:
    [{"dossier": Dossier, "due": date}]."""
    from thuocdo.notifications.models import Notification

    from .services import PROMPT_KIND

    if scope.official_id is None:
        return []
    notes = Notification.objects.filter(recipient_id=scope.official_id, kind=PROMPT_KIND,
                                        task__isnull=True).values_list("key", "deadline")
    wanted = {int(key.split(":")[1]): due for key, due in notes}
    open_ = Dossier.objects.filter(
        pk__in=list(wanted), apology_date__isnull=True,
        status__in=[DossierStatus.PROCESSING, DossierStatus.WAITING_SUPPLEMENT],
    ).order_by("due_in_force")
    return [{"dossier": d, "due": wanted[d.pk]} for d in open_ if wanted[d.pk] == d.due_in_force]


def dossier_prompted(*, dossier: Dossier) -> bool:
    """Whether the dossier's holder was prompted for an apology slip for its deadline."""
    from thuocdo.notifications.models import Notification

    from .services import PROMPT_KIND

    return dossier.is_open and dossier.apology_date is None and Notification.objects.filter(
        kind=PROMPT_KIND, key__startswith=f"{PROMPT_KIND}:{dossier.pk}:"
                                          f"{dossier.due_in_force.isoformat()}:").exists()


# -- the service index ------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceIndexResult:
    """The index of one unit's subtree for one period, ready to show."""

    unit: Unit
    period_start: dt.date
    period_end: dt.date
    index: engine.ServiceIndex

    @property
    def groups(self):
        return self.index.groups

    @property
    def rates(self):
        return self.index.rates

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.index.rates.counts)

    def rate_rows(self) -> list[tuple[str, object]]:
        """(key, rate as a percentage with 1 decimal, or None) in the order shown."""
        r = self.index.rates
        rows = []
        for key in ("on_time", "late", "online", "feedback_on_time", "feedback_satisfaction",
                    "dossier_satisfaction"):
            value = getattr(r, key)
            rows.append((key, None if value is None else engine.points(value * 100)))
        return rows


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def service_index(*, scope: Scope, unit: Unit, period_start: dt.date, period_end: dt.date
                  ) -> ServiceIndexResult:
    """Decision 766's index for `unit` and its subtree over [period_start, period_end]:
    dossiers received by those units, feedback now with them. A unit outside the scope is
    `Unit.DoesNotExist`. Two queries."""
    if not scope.can_read_unit(unit):
        raise Unit.DoesNotExist
    subtree = {"lft__gte": unit.lft, "rgt__lte": unit.rgt}
    end_moment = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(),
                                     tzinfo=timezone.get_current_timezone())
    start_moment = dt.datetime.combine(period_start, dt.time(),
                                       tzinfo=timezone.get_current_timezone())
    dossiers = (Dossier.objects.filter(**{f"unit__{k}": v for k, v in subtree.items()})
                .filter(received_at__lt=end_moment)
                .filter(Q(done_at__isnull=True) | Q(done_at__gte=start_moment)
                        | Q(rated_at__gte=start_moment))
                .values("code", "received_at", "due_in_force", "done_at", "channel",
                        "rating", "rated_at"))
    feedback = (Feedback.objects.filter(**{f"unit__{k}": v for k, v in subtree.items()})
                .filter(submitted_at__lt=end_moment)
                .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start_moment))
                .values("code", "submitted_at", "reply_due", "answered_at", "closed_at",
                        "rating", "status"))
    dossier_facts = [engine.DossierFacts(
        code=d["code"], received_on=_local_day(d["received_at"]), due=d["due_in_force"],
        done_on=_local_day(d["done_at"]), online=d["channel"] == "online",
        rating=d["rating"] or None, rated_on=_local_day(d["rated_at"]),
    ) for d in dossiers]
    feedback_facts = [engine.FeedbackFacts(
        code=f["code"], received_on=_local_day(f["submitted_at"]), reply_due=f["reply_due"],
        answered_on=_local_day(f["answered_at"]),
        closed_on=_local_day(f["closed_at"]) if f["status"] == FeedbackStatus.CLOSED else None,
        rating=f["rating"] or None,
    ) for f in feedback]
    index = engine.service_index(dossier_facts, feedback_facts, start=period_start,
                                 end=period_end)
    return ServiceIndexResult(unit, period_start, period_end, index)


def calendar_for(*days: dt.date):
    return work_calendar(years=range(min(days).year - 1, max(days).year + 2))
