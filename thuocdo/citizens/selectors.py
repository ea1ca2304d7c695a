"""Reads of feedback and dossiers, scoped to what the caller may see.

Staff see the feedback and dossiers of the units in their scope (`scope.units_q`), and what
is assigned to or held by them. The public reach one feedback case or one dossier only, by
its code together with its access key (`feedback_public_get`, `dossier_public_get`), and see
of a dossier only what `dossier_public_view` gives: never an official's name nor a note
meant for staff.

Who takes part in a case is decided here too, once, for the pages that offer an action and
the services that enforce it (`feedback_leads`, `feedback_handles`, `dossier_holds`,
`may_issue_key`, `may_decide_finding`): the official a case names takes no part in it and
does not see who sent it (`feedback_concerns`, `feedback_submitter`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.scope import Scope, subtrees_q
from thuocdo.measure import service_index as engine
from thuocdo.org.models import Official, Unit

from .choices import (
    OPEN_FEEDBACK,
    PUBLIC_KINDS,
    DossierEventKind,
    DossierStatus,
    FeedbackEventKind,
    FeedbackStatus,
    count_labels,
)
from .models import Dossier, DossierEvent, Feedback, FeedbackEvent, Procedure, ProcedureStep

# -- who takes part in a case (the pages offer, the services enforce: one rule) ----------


def feedback_concerns(*, official_id: int | None, feedback: Feedback) -> bool:
    """Whether the case names the official (`Feedback.official`, "the official concerned").
    The person a complaint is about takes no part in handling it: never its handler, never
    the one who issues the submitter a new access key (the key opens the public page where
    the answer is rated), and never sees who sent it (`feedback_submitter`). They may still
    read the case and explain a finding it raised against them."""
    return official_id is not None and feedback.official_id == official_id


def feedback_leads(*, scope: Scope, feedback: Feedback) -> bool:
    """Whether the caller receives the case for its unit: a leader of the unit responsible
    (or above), who assigns, forwards and verifies it; never the official it names."""
    return (scope.can_lead_unit(feedback.unit)
            and not feedback_concerns(official_id=scope.official_id, feedback=feedback))


def feedback_handles(*, scope: Scope, feedback: Feedback) -> bool:
    """Whether the caller handles the case: a leader of its unit (`feedback_leads`) or the
    official it is assigned to; never the official it names."""
    if feedback_concerns(official_id=scope.official_id, feedback=feedback):
        return False
    return feedback_leads(scope=scope, feedback=feedback) or (
        scope.official_id is not None and feedback.assignee_id == scope.official_id)


def dossier_holds(*, scope: Scope, dossier: Dossier) -> bool:
    """Whether the caller may act on the dossier: its holder, a leader of the holding unit,
    or a member of it while no official holds the dossier."""
    official_id = scope.official_id
    return ((official_id is not None and dossier.holder_official_id == official_id)
            or scope.can_lead_unit(dossier.holder_unit)
            or (dossier.holder_official_id is None
                and dossier.holder_unit_id in scope.member_unit_ids))


def dossier_holder_own_unit(*, dossier: Dossier, on: dt.date) -> Unit:
    """The unit the dossier's holder works in on day `on`, to show next to their name: the
    holding unit (the step's) when they are a member of it, else the unit above it that
    they lead from (a district's head holding a ward's dossier is of the district), else
    any of theirs. A dossier held by no official, or by one with no place that day: the
    holding unit."""
    from thuocdo.org.models import Membership
    from thuocdo.org.selectors import current_q, unit_ancestors

    held = dossier.holder_unit
    if dossier.holder_official_id is None:
        return held
    units = [m.unit for m in Membership.objects.filter(
        current_q(on), official_id=dossier.holder_official_id).select_related("unit")
        .order_by("unit__depth", "unit__lft")]
    if any(unit.pk == held.pk for unit in units):
        return held
    ancestors = set(unit_ancestors(unit=held).values_list("pk", flat=True))
    above = [unit for unit in units if unit.pk in ancestors]
    return (above or units or [held])[-1 if above else 0]


def may_issue_key(*, scope: Scope, record: Feedback | Dossier) -> bool:
    """Whether the caller may give the public a new access key to `record` (the old one
    stops working, and whoever holds the new one reads the record's public page and rates
    its handling):

    - a feedback case: those who receive and handle it (`feedback_handles`: the leaders of
      its unit responsible, the official it is assigned to), never the official it names;
    - a dossier: members and leaders of its receiving unit (the counter) and whoever may
      act on it (`dossier_holds`), except an official named by feedback about the dossier.

    Inspectors and accounts without an official never do. The pages ask it to offer the
    action; `services.access_key_issue` enforces it."""
    if scope.is_read_only or scope.official_id is None:
        return False
    if isinstance(record, Feedback):
        return feedback_handles(scope=scope, feedback=record)
    allowed = (record.unit_id in scope.member_unit_ids or scope.can_lead_unit(record.unit)
               or dossier_holds(scope=scope, dossier=record))
    return allowed and not Feedback.objects.filter(
        dossier_id=record.pk, official_id=scope.official_id).exists()


def may_decide_finding(*, scope: Scope, official_code: str) -> bool:
    """Whether the caller decides on a finding against the official `official_code` (accepts
    their explanation or confirms it): a leader of a unit the official belongs or belonged
    to, never the official themself; inspectors and accounts without an official never.
    Two queries."""
    if scope.is_read_only or scope.official_id is None:
        return False
    official = Official.objects.filter(code=official_code).first()
    if official is None or official.pk == scope.official_id:
        return False
    return any(scope.can_lead_unit(unit)
               for unit in Unit.objects.filter(memberships__official=official))


@dataclass(frozen=True)
class Submitter:
    """Who sent a case, as the staff page shows it (`feedback_submitter`)."""

    name: str
    contact: str


def feedback_submitter(*, scope: Scope, feedback: Feedback) -> Submitter | None:
    """The submitter's name and contact, or None for the official the case names: they
    read the case but never learn who complained about them."""
    if feedback_concerns(official_id=scope.official_id, feedback=feedback):
        return None
    return Submitter(name=feedback.contact_name, contact=feedback.contact)


def procedures_received_by(*, scope: Scope) -> QuerySet[Procedure]:
    """The active procedures whose dossiers the caller receives: those whose first step
    (the one-stop counter) is a unit they belong to or lead (all for an administrator with
    an official). None for inspectors and accounts without an official. One query."""
    if scope.is_read_only or scope.official_id is None:
        return Procedure.objects.none()
    rows = Procedure.objects.filter(active=True)
    if not scope.is_admin:
        counters = Unit.objects.filter(Q(pk__in=list(scope.member_unit_ids))
                                       | subtrees_q(scope.lead_ranges))
        first = (ProcedureStep.objects.filter(procedure=OuterRef("pk")).order_by("order")
                 .values("unit_id")[:1])
        rows = rows.annotate(counter=Subquery(first)).filter(counter__in=counters.values("pk"))
    return rows.order_by("name", "code")


# -- feedback ----------------------------------------------------------------------------


def _feedback_q(scope: Scope) -> Q:
    if scope.is_admin:
        return Q()
    q = Q(scope.units_q("unit__")) | Q(scope.units_q("first_unit__"))
    if scope.official_id is not None:
        q |= Q(assignee_id=scope.official_id)
    return q


def _day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day`, as an aware moment."""
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _received_between(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    """`field` (a moment) on a local day in [start, end]; either end may be open."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": _day_start(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": _day_start(end + dt.timedelta(days=1))})
    return q


def _unit_q(prefix: str, unit: Unit, include_subunits: bool) -> Q:
    if include_subunits:
        return Q(**{f"{prefix}lft__gte": unit.lft, f"{prefix}rgt__lte": unit.rgt})
    return Q(**{f"{prefix}id": unit.pk})


#: the list's sort orders: key → ordering (the code last, so pages are stable)
FEEDBACK_ORDERINGS = {
    "reply_due": ("reply_due", "code"), "-reply_due": ("-reply_due", "-code"),
    "submitted": ("submitted_at", "code"), "-submitted": ("-submitted_at", "-code"),
    "code": ("code",), "-code": ("-code",),
}


#: the inbox's filter of the cases waiting for the caller (`feedback_waiting_q`)
WAIT_ASSIGN = "assign"
WAIT_ANSWER = "answer"


def feedback_waiting_q(*, scope: Scope, what: str) -> Q:
    """The cases waiting for the caller: `WAIT_ASSIGN`, received and not yet assigned in a
    unit they lead (or below it: `feedback_leads`, who assigns); `WAIT_ANSWER`, assigned to
    them and not yet answered (`feedback_handles`). Never a case that names them; nothing
    for inspectors and accounts without an official, who do not act."""
    if scope.is_read_only or scope.official_id is None:
        return Q(pk__in=[])
    me = scope.official_id
    if what == WAIT_ASSIGN:
        found = (Q(status=FeedbackStatus.RECEIVED)
                 & subtrees_q(scope.lead_ranges, "unit__"))
    elif what == WAIT_ANSWER:
        found = Q(status=FeedbackStatus.ASSIGNED, assignee_id=me)
    else:
        return Q(pk__in=[])
    return found & ~Q(official_id=me)


def feedback_waiting(*, scope: Scope) -> dict[str, int]:
    """How many cases wait for the caller, by `WAIT_ASSIGN` and `WAIT_ANSWER`: the inbox
    with the "waiting for you" filter lists them. One query (none for who does not act)."""
    whats = (WAIT_ASSIGN, WAIT_ANSWER)
    if scope.is_read_only or scope.official_id is None:
        return dict.fromkeys(whats, 0)
    return Feedback.objects.filter(_feedback_q(scope)).order_by().aggregate(
        **{what: Count("pk", filter=feedback_waiting_q(scope=scope, what=what))
           for what in whats})


def feedback_inbox(*, scope: Scope, unit: Unit | None = None, include_subunits: bool = True,
                   status: str | None = None, mine: bool = False,
                   received_from: dt.date | None = None, received_to: dt.date | None = None,
                   overdue_on: dt.date | None = None, ordering: str = "reply_due",
                   waiting: str | None = None) -> QuerySet[Feedback]:
    """Feedback of the caller's units (by reply deadline unless `ordering` says otherwise,
    a key of `FEEDBACK_ORDERINGS`), optionally: of one unit responsible (and its subtree),
    one status, assigned to the caller, received in [received_from, received_to] (local
    days), still unanswered past its reply deadline on `overdue_on`, or waiting for the
    caller (`waiting`: `feedback_waiting_q`). One query."""
    rows = Feedback.objects.filter(_feedback_q(scope)).select_related(
        "unit", "assignee", "official", "dossier")
    if unit is not None:
        rows = rows.filter(_unit_q("unit__", unit, include_subunits))
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(assignee_id=scope.official_id)
    rows = rows.filter(_received_between("submitted_at", received_from, received_to))
    if overdue_on is not None:
        rows = rows.filter(status__in=list(OPEN_FEEDBACK), answered_at__isnull=True,
                           reply_due__lt=overdue_on)
    if waiting:
        rows = rows.filter(feedback_waiting_q(scope=scope, what=waiting))
    return rows.order_by(*FEEDBACK_ORDERINGS.get(ordering, FEEDBACK_ORDERINGS["reply_due"]))


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


#: the list's sort orders: key → ordering (the code last, so pages are stable)
DOSSIER_ORDERINGS = {
    "due": ("due_in_force", "code"), "-due": ("-due_in_force", "-code"),
    "received": ("received_at", "code"), "-received": ("-received_at", "-code"),
    "code": ("code",), "-code": ("-code",),
}


def dossier_list(*, scope: Scope, unit: Unit | None = None, include_subunits: bool = True,
                 status: str | None = None, overdue_on: dt.date | None = None,
                 mine: bool = False, received_from: dt.date | None = None,
                 received_to: dt.date | None = None, ordering: str = "due",
                 ) -> QuerySet[Dossier]:
    """Dossiers of the caller's units (by deadline in force unless `ordering` says
    otherwise, a key of `DOSSIER_ORDERINGS`), optionally: received or held by one unit
    (and its subtree), of one status, still open past their deadline in force on
    `overdue_on`, held by the caller, received in [received_from, received_to] (local
    days). One query."""
    rows = Dossier.objects.filter(_dossier_q(scope)).select_related(
        "procedure", "holder_unit", "holder_official", "unit")
    if unit is not None:
        rows = rows.filter(_unit_q("unit__", unit, include_subunits)
                           | _unit_q("holder_unit__", unit, include_subunits))
    if status:
        rows = rows.filter(status=status)
    if overdue_on is not None:
        rows = rows.exclude(status=DossierStatus.DONE).filter(due_in_force__lt=overdue_on)
    if mine:
        rows = rows.filter(holder_official_id=scope.official_id)
    rows = rows.filter(_received_between("received_at", received_from, received_to))
    return rows.order_by(*DOSSIER_ORDERINGS.get(ordering, DOSSIER_ORDERINGS["due"]))


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

    def count_rows(self) -> list[tuple[str, int]]:
        """(label, number) of the figures behind the rates, in the engine's order."""
        return _count_rows(self.index.rates.counts)


def _count_rows(counts) -> list[tuple[str, int]]:
    labels = count_labels()
    return [(labels.get(key, key), value) for key, value in counts]


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def service_index(*, scope: Scope, unit: Unit, period_start: dt.date, period_end: dt.date
                  ) -> ServiceIndexResult:
    """Decision 766's index for `unit` and its subtree over [period_start, period_end]:
    dossiers received by those units, feedback now with them. A unit outside the scope is
    `Unit.DoesNotExist`. Three queries.

    A forward never wipes out lateness the subtree caused: a case that a unit of the
    subtree forwarded after its reply deadline had passed (the event's `overdue`) is
    measured against the deadline it missed (`previous_reply_due`), so it counts as
    answered late, or open overdue, however fast the unit it went to answered; and a case
    that left the subtree so counts there as handled late on the day of that forward. A
    case forwarded in late by a unit outside the subtree is measured against the fresh
    deadline its unit here got (`services.feedback_forward`): its lateness is the sender's
    (`_late_forwards`)."""
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
    cases = (Feedback.objects.filter(**{f"unit__{k}": v for k, v in subtree.items()})
             .filter(submitted_at__lt=end_moment)
             .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start_moment)))
    feedback = cases.values("code", "submitted_at", "reply_due", "answered_at", "closed_at",
                            "rating", "status")
    dossier_facts = [engine.DossierFacts(
        code=d["code"], received_on=_local_day(d["received_at"]), due=d["due_in_force"],
        done_on=_local_day(d["done_at"]), online=d["channel"] == "online",
        rating=d["rating"] or None, rated_on=_local_day(d["rated_at"]),
    ) for d in dossiers]
    missed = _late_forwards(subtree=subtree, cases=cases, since=start_moment,
                            until=end_moment)
    feedback_facts = []
    for f in feedback:
        late = missed.pop(f["code"], None)
        feedback_facts.append(engine.FeedbackFacts(
            code=f["code"], received_on=_local_day(f["submitted_at"]),
            reply_due=min(f["reply_due"], late[0]) if late else f["reply_due"],
            answered_on=_local_day(f["answered_at"]),
            closed_on=(_local_day(f["closed_at"]) if f["status"] == FeedbackStatus.CLOSED
                       else None),
            rating=f["rating"] or None,
        ))
    # the rest left the subtree late: handled late, on the day of the forward
    feedback_facts += [engine.FeedbackFacts(code=code, received_on=received, reply_due=due,
                                            answered_on=left)
                       for code, (due, left, received) in missed.items()]
    index = engine.service_index(dossier_facts, feedback_facts, start=period_start,
                                 end=period_end)
    return ServiceIndexResult(unit, period_start, period_end, index)


def _late_forwards(*, subtree: dict, cases: QuerySet[Feedback], since: dt.datetime,
                   until: dt.datetime) -> dict[str, tuple[dt.date, dt.date, dt.date]]:
    """Cases that a unit of `subtree` forwarded after their reply deadline had passed
    (the forward event's `overdue`), received before `until`: any such forward of the
    `cases` counted now with the subtree, and those on or after `since` of cases that went
    elsewhere (an earlier one leaves nothing in the period). Code → (the earliest deadline
    so missed, the day of the last such forward, the day the case was received). One
    query."""
    from_units = Unit.objects.filter(**subtree).values("code")
    rows = (FeedbackEvent.objects.filter(kind=FeedbackEventKind.FORWARD, data__overdue=True,
                                         feedback__submitted_at__lt=until)
            .filter(Q(at__gte=since) | Q(feedback__in=cases.values("pk")))
            .annotate(from_unit=KeyTextTransform("from_unit", "data"))
            .filter(from_unit__in=Subquery(from_units))
            .values_list("feedback__code", "feedback__submitted_at", "at", "data")
            .order_by("at", "seq"))
    missed: dict[str, tuple[dt.date, dt.date, dt.date]] = {}
    for code, submitted_at, moment, data in rows:
        due = dt.date.fromisoformat(data["previous_reply_due"])
        earlier = missed.get(code)
        missed[code] = (min(due, earlier[0]) if earlier else due, _local_day(moment),
                        _local_day(submitted_at))
    return missed


def calendar_for(*days: dt.date):
    return work_calendar(years=range(min(days).year - 1, max(days).year + 2))


def calendar_due(days) -> dict:
    """The dossiers whose result is not returned (being processed or waiting for
    supplements) and the feedback cases open whose deadline in force is one of `days`, by
    day, for the calendar's admin (`core.calendar.register_due`)."""
    from django.utils.translation import ngettext

    from thuocdo.core.calendar import Computed

    days = list(days)
    found: dict[dt.date, list[Computed]] = {}
    dossiers = (Dossier.objects.exclude(status=DossierStatus.DONE)
                .filter(due_in_force__in=days).values("due_in_force")
                .annotate(count=Count("pk")))
    for row in dossiers:
        found.setdefault(row["due_in_force"], []).append(Computed("dossiers:due", ngettext(
            "%(count)s dossier whose result is not returned",
            "%(count)s dossiers whose result is not returned",
            row["count"]) % {"count": row["count"]}))
    cases = (Feedback.objects.filter(status__in=list(OPEN_FEEDBACK), reply_due__in=days)
             .values("reply_due").annotate(count=Count("pk")))
    for row in cases:
        found.setdefault(row["reply_due"], []).append(Computed("feedback:due", ngettext(
            "%(count)s open feedback case", "%(count)s open feedback cases",
            row["count"]) % {"count": row["count"]}))
    return found
