"""Reads of evaluations, scoped (architecture.md, "Reads go through selectors").

Who reads a card: the official it is about; whoever reads the unit's subtree (its leaders
and those above, the organisation board and inspectors granted over it); the
administrator. Colleagues in the same unit do not read each other's cards. Outside the
scope a card, a ranking or a period's unit does not exist (DoesNotExist → 404). Who
approves a card (`can_approve`) is read here too: nobody approves their own card.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.calendar import Computed
from thuocdo.core.scope import Scope, subtrees_q
from thuocdo.core.text import plain_decimal
from thuocdo.measure.scoring import Period as EnginePeriod
from thuocdo.measure.scoring import QuotaException as EngineQuotaException
from thuocdo.measure.scoring import quota_share
from thuocdo.org import selectors as org_selectors
from thuocdo.org.choices import LEADER_POSITIONS, Position
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.org.selectors import current_q

from .choices import SCORABLE, AppealStatus, CardStatus, PeriodStatus
from .models import Appeal, Assessment, Ground, Period, QuotaException, ScoreCard
from .rubrics import rubric_for


def card_q(scope: Scope) -> Q:
    """Cards the caller may read."""
    if scope.is_admin:
        return Q()
    q = subtrees_q(scope.read_ranges, "unit__")
    if scope.official_id is not None:
        q |= Q(official_id=scope.official_id)
    return q


def can_read_unit_cards(scope: Scope, unit: Unit) -> bool:
    """Rankings and exports of a unit: those who read its subtree (not its staff)."""
    return scope.is_admin or any(lft <= unit.lft and unit.rgt <= rgt
                                 for lft, rgt in scope.read_ranges)


def period_list(*, scope: Scope, kind: str = "", status: str = "",
                year: int | None = None) -> QuerySet[Period]:
    """Every period (their existence and status is not confidential), newest first;
    optionally only those of a `kind` (month, quarter, year), a `status`, or starting in
    `year`."""
    periods = Period.objects.all()
    if kind:
        periods = periods.filter(kind=kind)
    if status:
        periods = periods.filter(status=status)
    if year is not None:
        periods = periods.filter(start__year=year)
    return periods


def period_get(*, scope: Scope, label: str) -> Period:
    return Period.objects.get(label=label)


def card_list(*, scope: Scope, period: Period | None = None) -> QuerySet[ScoreCard]:
    cards = ScoreCard.objects.filter(card_q(scope)).select_related(
        "official", "unit", "agency", "period")
    if period is not None:
        cards = cards.filter(period=period)
    return cards


def card_get(*, scope: Scope, label: str, official: str) -> ScoreCard:
    return card_list(scope=scope).get(period__label=label, official__code=official)


@dataclass(frozen=True)
class CardFilters:
    """What the API's card list shows of the cards the caller reads (`card_list`): an
    empty value does not filter. `period` is a period's label; `unit`, the cards of a unit
    and the units below it (as its ranking); `agency`, the cards whose quota scope is that
    agency; `grade`, one of `GRADE_FILTERS` (as the ranking's); `status`, a card status.
    Filters only narrow the caller's scope, never widen it."""

    period: str = ""
    unit: Unit | None = None
    agency: Unit | None = None
    official: Official | None = None
    grade: str = ""
    status: str = ""


def card_search(*, scope: Scope, filters: CardFilters = CardFilters()) -> QuerySet[ScoreCard]:
    """The cards the caller reads (`card_list`, as the card pages) as `filters` narrow them,
    with who reviewed and approved each: the newest period first, then by official code
    (as `thuocdo score --json` lists a period's cards)."""
    cards = card_list(scope=scope).select_related("reviewed_by__official",
                                                  "approved_by__official")
    if filters.period:
        cards = cards.filter(period__label=filters.period)
    if filters.unit is not None:
        cards = cards.filter(unit__lft__gte=filters.unit.lft, unit__rgt__lte=filters.unit.rgt)
    if filters.agency is not None:
        cards = cards.filter(agency=filters.agency)
    if filters.official is not None:
        cards = cards.filter(official=filters.official)
    cards = cards.filter(_grade_q(filters.grade))
    if filters.status in CardStatus.values:
        cards = cards.filter(status=filters.status)
    return cards.order_by("-period__start", "period__kind", "official__code")


def month_cards(*, scope: Scope, card: ScoreCard) -> dict[str, tuple[str, bool]]:
    """The stored month cards of the official of a quarter's or year's `card`, in its
    months: by month label, the card's status and whether the caller may read it (its
    status is shown with the roll-up, which holds its T anyway). Two queries."""
    labels = [m.label for m in EnginePeriod.parse(card.period.label).months()]
    stored = dict(ScoreCard.objects.filter(official_id=card.official_id,
                                           period__label__in=labels)
                  .values_list("period__label", "status"))
    readable = (set(stored) if scope.is_admin or scope.official_id == card.official_id
                else set(ScoreCard.objects.filter(card_q(scope), official_id=card.official_id,
                                                  period__label__in=labels)
                         .values_list("period__label", flat=True)))
    return {label: (status, label in readable) for label, status in stored.items()}


def my_cards(*, scope: Scope) -> QuerySet[ScoreCard]:
    """The caller's own cards, newest period first."""
    if scope.official_id is None:
        return ScoreCard.objects.none()
    return (ScoreCard.objects.filter(official_id=scope.official_id)
            .select_related("period", "unit").order_by("-period__start", "period__kind"))


def unit_get(*, scope: Scope, code: str) -> Unit:
    """A unit whose cards the caller may list (else DoesNotExist)."""
    unit = Unit.objects.get(code=code)
    if not can_read_unit_cards(scope, unit):
        raise Unit.DoesNotExist(code)
    return unit


def unit_cards(*, scope: Scope, period: Period, unit: Unit) -> QuerySet[ScoreCard]:
    """The cards of `unit` and the units below it, best first (the ranking)."""
    if not can_read_unit_cards(scope, unit):
        raise ObjectDoesNotExist(unit.code)
    return (ScoreCard.objects.filter(period=period, unit__lft__gte=unit.lft,
                                     unit__rgt__lte=unit.rgt)
            .select_related("official", "unit", "agency")
            .order_by("-total", "official__code"))


def assessments_by_official(*, period: Period, officials: list[int]) -> dict[int, Assessment]:
    return {a.official_id: a for a in Assessment.objects.filter(
        period=period, official_id__in=officials).select_related("assessor")}


def grounds_of(*, official: Official, year: int, unit: Unit | None = None) -> list[Ground]:
    q = Q(official=official)
    if unit is not None:
        q |= Q(kind="corruption", unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt)
    return list(Ground.objects.filter(q, on__year=year, confirmed=True)
                .select_related("unit").order_by("on"))


def appeals_of(*, card: ScoreCard) -> list[Appeal]:
    return list(card.appeals.select_related("filed_by", "decided_by"))


def pending_appeals(*, scope: Scope, period: Period) -> QuerySet[Appeal]:
    return (Appeal.objects.filter(card__period=period, status=AppealStatus.PENDING)
            .filter(card_q_prefixed(scope))
            .select_related("card__official", "card__unit", "card__agency"))


def appeal_list(*, scope: Scope, period: str = "", status: str = "",
                waiting: bool = False) -> QuerySet[Appeal]:
    """The appeals on cards the caller may read (as `appeal_get`), newest first; or, with
    `waiting`, only those the caller decides (`appeals_to_decide`), oldest first. `period`
    (a label) and `status` narrow them."""
    if waiting:
        appeals = appeals_to_decide(scope=scope)
    else:
        appeals = (Appeal.objects.filter(card_q_prefixed(scope))
                   .select_related("card__official", "card__unit", "card__agency",
                                   "card__period"))
    if period:
        appeals = appeals.filter(card__period__label=period)
    if status:
        appeals = appeals.filter(status=status)
    return appeals.select_related("filed_by__official", "decided_by__official")


def decided_appeals(*, scope: Scope, period: Period) -> QuerySet[Appeal]:
    """The period's decided appeals on cards the caller may read, latest decision first:
    who appealed, the decision, by whom and when (the period's page)."""
    return (Appeal.objects.filter(card__period=period).exclude(status=AppealStatus.PENDING)
            .filter(card_q_prefixed(scope))
            .select_related("card__official", "card__unit", "decided_by")
            .order_by("-decided_at", "-pk"))


def appeal_get(*, scope: Scope, pk: int) -> Appeal:
    """An appeal on a card the caller may read (its official, the readers of its unit's
    subtree, the administrator); else DoesNotExist. Who decides it is the services'
    `can_decide_appeal`."""
    return (Appeal.objects.filter(card_q_prefixed(scope))
            .select_related("card__official", "card__period", "card__agency", "card__unit",
                            "filed_by", "decided_by")
            .get(pk=pk))


def heads_above(*, unit: Unit) -> list[Membership]:
    """The current heads of the units above `unit`, nearest first: who approves the card
    of `unit`'s own head (with the organisation board). Names only: not scoped."""
    return list(Membership.objects.filter(
        current_q(), unit__lft__lt=unit.lft, unit__rgt__gt=unit.rgt, position=Position.HEAD)
        .select_related("official", "unit").order_by("-unit__lft", "official__code"))


def card_q_prefixed(scope: Scope) -> Q:
    if scope.is_admin:
        return Q()
    q = subtrees_q(scope.read_ranges, "card__unit__")
    if scope.official_id is not None:
        q |= Q(card__official_id=scope.official_id)
    return q


# -- who approves a card ------------------------------------------------------------------


#: who approves the cards of an agency whose head post (người đứng đầu) is vacant
#: (settings.THUOCDO_VACANT_HEAD_APPROVAL): its deputies, in the head's place, or the
#: level above
VACANT_BY_DEPUTIES, VACANT_BY_ABOVE = "deputies", "above"


def vacant_by_deputies() -> bool:
    """Do an agency's deputies approve its cards while its head post is vacant?"""
    return settings.THUOCDO_VACANT_HEAD_APPROVAL == VACANT_BY_DEPUTIES


def _heads_q(unit_ref: Any, positions: tuple[str, ...] = (Position.HEAD,)) -> Exists:
    return Exists(Membership.objects.filter(current_q(), unit_id=unit_ref,
                                            position__in=list(positions)))


#: an agency's vacancy (`vacancies`): no head, but deputies; neither head nor deputy
NO_HEAD, NO_LEADER = "no_head", "no_leader"


def approving_units(scope: Scope) -> dict[int, tuple[int, int]]:
    """The units whose cards the caller approves as their leader, each with its nested-set
    range: those they currently head (người đứng đầu), and, where the head post is vacant
    and its deputies approve in the head's place (the default), those where they are a
    deputy. One query."""
    if scope.official_id is None:
        return {}
    acting = Q(position=Position.HEAD)
    if vacant_by_deputies():
        acting |= Q(position=Position.DEPUTY) & ~_heads_q(OuterRef("unit_id"))
    return {pk: (lft, rgt) for pk, lft, rgt in Membership.objects.filter(
        current_q(), acting, official_id=scope.official_id).values_list(
        "unit_id", "unit__lft", "unit__rgt")}


def approving_ranges(scope: Scope) -> tuple[tuple[int, int], ...]:
    """`approving_units` as ranges only, for `can_approve`."""
    return tuple(approving_units(scope).values())


def vacancies(agency_ids: Any) -> dict[int, str]:
    """Those of `agency_ids` with no head today, each with `NO_HEAD` (it has deputies) or
    `NO_LEADER` (neither head nor deputy): one query."""
    leaders = list(LEADER_POSITIONS)
    return {pk: NO_HEAD if has_deputy else NO_LEADER for pk, has_deputy in
            Unit.objects.filter(pk__in=set(agency_ids)).filter(~_heads_q(OuterRef("pk")))
            .annotate(has_deputy=_heads_q(OuterRef("pk"), tuple(leaders)))
            .values_list("pk", "has_deputy")}


def left_for_above(unit_id: int, agency_id: int, position: str, *,
                   vacant: str | None) -> bool:
    """Is this card approved by the level above (the head of a unit above its agency, or
    the organisation board over it) rather than inside its agency? The card of a head of
    the agency; and when the head post is vacant (`vacant`, from `vacancies`): with the
    deputies approving in the head's place, the card of a deputy of the agency itself (no
    deputy approves another's), and every card of an agency with no deputy either;
    otherwise every card of the agency. Of a card of `position` in `unit_id`."""
    if vacant == NO_LEADER or (vacant is not None and not vacant_by_deputies()):
        return True
    if unit_id != agency_id or position not in LEADER_POSITIONS:
        return False
    return position == Position.HEAD or vacant is not None


def can_approve(scope: Scope, card: Any,
                ranges: tuple[tuple[int, int], ...] | None = None,
                vacant: dict[int, str] | None = None) -> bool:
    """May the caller approve this reviewed card? The head of the card's agency approves its
    cards (where the post is vacant, its deputies in the head's place, or the level above:
    `left_for_above`); the card of a head of the agency itself is left for the level above:
    the head of a unit above the agency, or the organisation board over it (as for
    assessing a leader and deciding an appeal: `services.can_assess`,
    `services.can_decide_appeal`). Nobody approves their own card; the administrator
    approves any other. For many cards, read once: `ranges`, the caller's
    `approving_ranges`; `vacant`, the `vacancies` of the cards' agencies. `card` has
    `official_id`, `unit_id`, `position` and `agency`."""
    if scope.official_id is not None and scope.official_id == card.official_id:
        return False
    if scope.is_admin:
        return True
    ranges = approving_ranges(scope) if ranges is None else ranges
    agency = card.agency
    if vacant is None:
        vacant = vacancies([agency.pk])
    if not left_for_above(card.unit_id, agency.pk, card.position, vacant=vacant.get(agency.pk)):
        return (agency.lft, agency.rgt) in ranges
    return scope.can_board_unit(agency) or any(lft < agency.lft and agency.rgt < rgt
                                               for lft, rgt in ranges)


def approves_agency(scope: Scope, agency: Unit) -> bool:
    """Does the caller approve `agency`'s cards as its leader (its head, or a deputy in
    the vacant head's place: `approving_ranges`), or as the administrator?"""
    return scope.is_admin or (agency.lft, agency.rgt) in approving_ranges(scope)


def approval_cards(*, scope: Scope, period: Period, unit: Unit
                   ) -> tuple[list[ScoreCard], ScoreCard | None]:
    """What an approval from `unit`'s page covers: the cards of `unit` (an agency) and of the
    heads of the agencies in its subtree (left for the level above), those the caller may
    approve (`can_approve`); and the caller's own card among them, left out."""
    candidates = list(ScoreCard.objects.select_related("official", "agency").filter(
        Q(agency=unit) | (Q(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt) & _above_q()),
        period=period).order_by("official__code"))
    ranges = approving_ranges(scope)
    vacant = vacancies(c.agency_id for c in candidates)
    own = next((c for c in candidates if c.official_id == scope.official_id), None)
    return [c for c in candidates if can_approve(scope, c, ranges, vacant)], own


def _above_q() -> Q:
    """Cards that may be left for the level above (`left_for_above` decides): the leaders'
    cards of the agencies themselves, and every card of an agency without a head (with the
    deputies approving in the head's place: without a deputy either)."""
    positions = tuple(LEADER_POSITIONS) if vacant_by_deputies() else (Position.HEAD,)
    return (Q(unit=F("agency"), position__in=list(LEADER_POSITIONS))
            | ~_heads_q(OuterRef("agency_id"), positions))


def heads_cards_to_approve(*, scope: Scope, period: Period) -> list[ScoreCard]:
    """The cards left for the level above (`left_for_above`: the heads of agencies, and
    where a head post is vacant, its deputies or the whole agency) not yet approved in a
    period under review that the caller may approve (`can_approve`): the cards their own
    agency cannot approve, left for the head of a unit above or the organisation board. In
    the tree's order; none outside the review."""
    if period.status != PeriodStatus.REVIEW:
        return []
    cards = list(ScoreCard.objects.filter(card_q(scope), _above_q(), period=period)
                 .exclude(status=CardStatus.APPROVED)
                 .select_related("official", "unit", "agency")
                 .order_by("unit__lft", "official__code"))
    ranges = approving_ranges(scope)
    vacant = vacancies(c.agency_id for c in cards)
    return [card for card in cards
            if left_for_above(card.unit_id, card.agency_id, card.position,
                              vacant=vacant.get(card.agency_id))
            and can_approve(scope, card, ranges, vacant)]


@dataclass(frozen=True)
class QuotaLine:
    """The quota's state in one agency or task group of it, from the stored cards
    (docs/scoring.md: HTXS ≤ share × the final HTT, in the agency and in each task group of
    it; a candidate moved down becomes HTT and counts in the base)."""

    agency: Unit
    task_group: str
    share: Fraction
    candidates: int  # proposed HTXS (before the quota)
    kept: int  # final HTXS
    htt: int  # final HTT
    group_name: str = ""  # the task group's name ("" for the agency's own line)
    #: the approved exception that sets `share` in the agency, as the cards were computed
    #: with (None: the rubric's share)
    exception: EngineQuotaException | None = None
    #: the exceptions in force on the period's last day differ from `exception` (recorded,
    #: changed or removed since the cards were computed): not applied until scored again
    unapplied: bool = False
    #: the exception in force now when `unapplied` (None: removed)
    pending: EngineQuotaException | None = None

    @property
    def cap(self) -> Fraction:
        """The limit on the final grades, the engine's `QuotaScope.cap`: share × final HTT
        (the final HTXS never exceed it)."""
        return self.share * self.htt

    @property
    def whole_cap(self) -> int:
        """`cap` in whole people (rounded down)."""
        return math.floor(self.cap)

    @property
    def allowed(self) -> int:
        """How many of the candidates this limit alone lets keep HTXS, as the engine decides
        (`apply_quota`): the most k with k ≤ share × (the people graded HTT or HTXS − k),
        each candidate moved down counting as HTT and each one kept not. Keeping one more
        than that would take one from the HTT and break the limit (6 HTT and 29 candidates:
        5 ≤ 0.2 × 30 keep, 6 > 0.2 × 29 do not), so it may be below `whole_cap`."""
        pool = self.htt + self.kept
        return min(self.candidates, math.floor(self.share * pool / (1 + self.share)))

    @property
    def moved_down(self) -> int:
        return self.candidates - self.kept

    @property
    def binds(self) -> bool:
        """This limit itself moved candidates down."""
        return self.candidates > self.allowed

    @property
    def bound_elsewhere(self) -> bool:
        """Candidates were moved down although this limit had room: the other limit of their
        cards did it (the task groups' for an agency, the agency's for a task group)."""
        return self.moved_down > 0 and self.kept < self.allowed

    @property
    def share_decimal(self) -> Decimal:
        return _decimal(self.share)

    @property
    def cap_decimal(self) -> Decimal:
        return _decimal(self.cap)


def _decimal(value: Fraction) -> Decimal:
    """A fraction as a Decimal without trailing zeros (0.2; 0.305; 8.54; 6): exact for a
    share typed in percent with decimals and what it multiplies (30.5% of 27 HTT is
    8.235, not 8.24), at most 6 places for one that does not end."""
    exact = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("1e-6"))
    return plain_decimal(exact)


def period_rubric(period: Period):
    """The engine rubric the period's cards were computed with (else the one in force)."""
    from .rubrics import RUBRICS

    return RUBRICS.get(period.rubric_version) or rubric_for(EnginePeriod.parse(period.label))


@dataclass
class UnitResult:
    """The tasks behind a head's or deputy's d (`unit_result_tasks`), as they stand now,
    with the sums and ratios the card's formula shows; or, for more tasks than a page
    computes, how many there are in the unit itself and in each unit right below it."""

    unit: Unit
    #: the tasks of the period led in the unit's subtree (cancelled ones included)
    count: int
    #: the d the stored card holds
    stored: Decimal | None
    #: every task counted, as the engine's `TaskLine`s, by code (None: too many)
    lines: list | None = None
    #: the lead unit of each task, by code
    leads: dict[str, str] = field(default_factory=dict)
    assigned: Decimal | None = None
    completed: Decimal | None = None
    quality: Decimal | None = None
    progress: Decimal | None = None
    #: a, b and c of the unit at the rubric's places
    ratios: tuple[Decimal | None, ...] = (None, None, None)
    #: d now (None: nothing assigned), and whether it is the card's
    result: Decimal | None = None
    same: bool = True
    #: too many to compute: (unit, tasks of the period, whether the count is the unit's
    #: own tasks only) for the unit itself and each unit right below it
    parts: list[tuple[Unit, int, bool]] = field(default_factory=list)


def has_unit_result(card: ScoreCard) -> bool:
    """Whether the card has a d of its own: a month's card of a head or deputy (the
    rubric's leader positions); a quarter or a year takes its months'."""
    from .card_sheets import is_roll_up

    return (not is_roll_up(card)
            and card.position in period_rubric(card.period).leader_positions)


def unit_result_tasks(*, card: ScoreCard, limit: int | None = None) -> UnitResult | None:
    """The tasks a month's card of a head or deputy counts in d, the result of the unit
    they lead: those of the period (original deadline in it) led in that unit or below,
    whoever leads them, not cancelled by the close, as they stood at the close
    (`measure.scoring.close_tasks`, the scoring's own rule), computed now from the tasks
    and the calendar as they are (`same`: whether that gives the card's d; the card keeps
    what it was computed with). None for a card without d (`has_unit_result`). Beyond
    `limit` tasks nothing is computed: their count in the unit and in each unit right
    below it (`parts`), two queries. Otherwise the tasks of the unit's subtree only."""
    from thuocdo.core.calendar import work_calendar
    from thuocdo.measure.scoring import (
        Tally,
        close_tasks,
        progress_ratio,
        quality_ratio,
        quantity_ratio,
        ratio_as_shown,
        task_line,
        unit_result,
    )
    from thuocdo.tasks.models import Task

    from .adapters import codes_of, found_errors_for, scored_years, tasks_in

    if not has_unit_result(card):
        return None
    rubric = period_rubric(card.period)
    period = EnginePeriod.parse(card.period.label)
    unit = card.unit
    stored = card.data.get("unit_result")
    stored = Decimal(str(stored)) if stored is not None else None
    in_period = Task.objects.filter(due__gte=period.start, due__lte=period.end,
                                    lead_unit__lft__gte=unit.lft,
                                    lead_unit__lft__lte=unit.rgt)
    if limit is not None and (count := in_period.count()) > limit:
        by_lead = list(in_period.order_by().values_list("lead_unit__lft")
                       .annotate(n=Count("pk")))
        parts = [(unit, sum(n for lft, n in by_lead if lft == unit.lft), True)]
        parts += [(child, sum(n for lft, n in by_lead if child.lft <= lft <= child.rgt),
                   False) for child in unit.children.order_by("lft")]
        return UnitResult(unit=unit, count=count, stored=stored, same=False, parts=parts)
    unit_code, official_code = codes_of(in_period)
    tasks = tasks_in(period.start, period.end, unit_code, official_code,
                     ranges=((unit.lft, unit.rgt),),
                     errors=found_errors_for(period.start, period.end, in_period))
    facts = close_tasks(tasks, work_calendar(years=scored_years(period)), period)
    tally = Tally.of(facts, rubric)
    d = ratio_as_shown(unit_result(tally, rubric), rubric)
    return UnitResult(
        unit=unit, count=len(tasks), stored=stored, lines=[task_line(f) for f in facts],
        leads={f.task.code: f.task.history.lead.unit for f in facts},
        assigned=_decimal(tally.assigned), completed=_decimal(tally.completed),
        quality=_decimal(tally.quality), progress=_decimal(tally.progress),
        ratios=(ratio_as_shown(quantity_ratio(tally), rubric),
                ratio_as_shown(quality_ratio(tally), rubric),
                ratio_as_shown(progress_ratio(tally), rubric)),
        result=d, same=d == stored)


def cards_with_unit_result(*, official: Official, labels: Collection[str]
                           ) -> set[tuple[str, str]]:
    """Of the month labels `labels`, those where `official` has a stored card with a d of
    its own (`has_unit_result`), with the unit it is of: {(label, unit code)}. One
    query."""
    return {(card.period.label, card.unit.code) for card in ScoreCard.objects.filter(
        official=official, period__label__in=list(labels)).select_related("period", "unit")
        if has_unit_result(card)}


def quota_lines(*, period: Period, cards: list[ScoreCard]) -> list[QuotaLine]:
    """Quota state per agency (and task group) of the given cards: pass the cards of whole
    agencies (the ranking passes the agencies its unit touches). The share is the one the
    cards were decided with (`adapters.scored_exceptions`); an exception recorded, changed
    or removed since is flagged (`QuotaLine.unapplied`), not shown as applied."""
    rubric = period_rubric(period)
    counts: dict[tuple[int, str], list] = {}
    for card in cards:
        keys = [(card.agency_id, "")]
        if rubric.quota_by_task_group and card.task_group:
            keys.append((card.agency_id, card.task_group))
        for key in keys:
            row = counts.setdefault(key, [card.agency, 0, 0, 0])
            row[1] += card.grade_before_quota == "HTXS"
            row[2] += card.grade == "HTXS"
            row[3] += card.grade == "HTT"
    names = task_group_names(group for _agency, group in counts)
    from .adapters import scored_exceptions, unapplied_exceptions

    # the share the cards were decided with, and any exception not applied to them yet
    exceptions = scored_exceptions(period) if counts else {}
    unapplied = unapplied_exceptions(period) if counts else {}
    lines = []
    for (_agency, group), (agency, cand, kept, htt) in sorted(
            counts.items(), key=lambda kv: (kv[1][0].lft, kv[0][1])):
        share, exception = quota_share(agency.code, rubric, exceptions)
        lines.append(QuotaLine(agency, group, share, cand, kept, htt, names.get(group, ""),
                               exception, agency.code in unapplied,
                               unapplied.get(agency.code, (None, None))[1]))
    return lines


def calendar_changes(*, period: Period) -> list[dt.date]:
    """The days whose override was added, switched to the other kind or removed since
    `period` was last scored, within the period (its work is measured as it stood at its
    close: no delay of its cards was counted on a later day): its cards count working days
    with the calendar before. A quarter or year that takes its months' approved cards as
    they are (`THUOCDO_ROLLUP_MONTHS=approved`) leaves out the days of those months:
    scoring it again would not change them. None known for a period scored before this was
    recorded, or never scored."""
    from .adapters import calendar_basis, scored_years

    if period.calendar_basis is None or period.scored_at is None:
        return []
    scored, live = period.calendar_basis, calendar_basis(scored_years(period))
    days = [day for day in map(dt.date.fromisoformat, set(scored) | set(live))
            if period.start <= day <= period.end
            and scored.get(day.isoformat()) != live.get(day.isoformat())]
    if days and period.kind != "month" and settings.THUOCDO_ROLLUP_MONTHS == "approved":
        fixed = set(Period.objects.filter(
            kind="month", start__gte=period.start, end__lte=period.end,
            status__in=[PeriodStatus.APPROVED, PeriodStatus.PUBLISHED, PeriodStatus.LOCKED])
            .values_list("label", flat=True))
        days = [day for day in days if f"{day.year}-{day.month:02d}" not in fixed]
    return sorted(days)


def task_group_names(codes) -> dict[str, str]:
    """Task groups' names by code, in one query (a group without a name, or not in the
    catalogue any more, is named by its code)."""
    wanted = {code for code in codes if code}
    names = dict(TaskGroup.objects.filter(code__in=wanted).values_list("code", "name"))
    return {code: names.get(code) or code for code in wanted}


def agency_cards(*, period: Period, agencies: set[int]) -> list[ScoreCard]:
    """The cards of whole agencies, without their JSON (for the quota and the ranks)."""
    return list(ScoreCard.objects.filter(period=period, agency_id__in=agencies)
                .select_related("agency", "official").defer("data", "self_note"))


def agency_ranks(cards: list[ScoreCard]) -> dict[int, int]:
    """Each card's rank by total within its agency (card id → rank; equal totals share a
    rank: 1, 2, 2, 4). Cards without a total have none."""
    by_agency: dict[int, list[ScoreCard]] = {}
    for card in cards:
        if card.total is not None:
            by_agency.setdefault(card.agency_id, []).append(card)
    ranks: dict[int, int] = {}
    for members in by_agency.values():
        members.sort(key=lambda c: (-c.total, c.official.code))
        previous = None
        for n, card in enumerate(members, start=1):
            if previous is None or card.total != previous.total:
                rank = n
            ranks[card.pk] = rank
            previous = card
    return ranks


# -- the ranking's filters and order ------------------------------------------------------

#: the ranking's orders: by rank within each agency (the agencies in the tree's order), by
#: total (highest first) across the agencies, by name
RANKING_ORDERS = {
    "rank": ("agency__lft", F("total").desc(nulls_last=True), "official__code"),
    "total": (F("total").desc(nulls_last=True), "agency__lft", "official__code"),
    "name": ("official__name", "official__code"),
}
#: the grade filter's values: a grade, no grade, or moved down to HTT by the quota
GRADE_FILTERS = ("HTXS", "HTT", "HT", "KHT", "none", "moved")
NO_GROUP = "none"


def _grade_q(grade: str) -> Q:
    """The cards of one of `GRADE_FILTERS`: a grade, no grade ("none"), or moved down to
    HTT by the quota ("moved"); every card for any other value."""
    if grade == "moved":
        return Q(quota_applied=True)
    if grade == "none":
        return Q(grade="")
    if grade in GRADE_FILTERS:
        return Q(grade=grade)
    return Q()


@dataclass(frozen=True)
class RankingFilter:
    """What the ranking shows (GET parameters; an empty value does not filter). `agency`
    and `unit` are codes (nothing outside the ranked unit is ever shown), `task_group` a
    group's code or `NO_GROUP`, `grade` one of `GRADE_FILTERS`, `status` a card status,
    `waiting` one of `WAITING` (the cards waiting for the caller's act: `cards_waiting`)."""

    agency: str = ""
    unit: str = ""
    task_group: str = ""
    grade: str = ""
    status: str = ""
    order: str = "rank"
    waiting: str = ""

    @property
    def active(self) -> bool:
        return any((self.agency, self.unit, self.task_group, self.grade, self.status,
                    self.waiting))


def ranking_cards(*, scope: Scope, period: Period, unit: Unit,
                  filters: RankingFilter = RankingFilter()) -> QuerySet[ScoreCard]:
    """The ranking of `unit` (its cards and those of the units below it) as filtered and
    ordered by `filters`: the page and its xlsx export show the same cards."""
    cards = unit_cards(scope=scope, period=period, unit=unit)
    if filters.agency:
        cards = cards.filter(agency__code=filters.agency)
    if filters.unit:
        cards = cards.filter(unit__code=filters.unit)
    if filters.task_group == NO_GROUP:
        cards = cards.filter(task_group="")
    elif filters.task_group:
        cards = cards.filter(task_group=filters.task_group)
    cards = cards.filter(_grade_q(filters.grade))
    if filters.status in CardStatus.values:
        cards = cards.filter(status=filters.status)
    if filters.waiting in WAITING:
        cards = cards.filter(pk__in=[c.pk for c in cards_waiting(
            scope=scope, what=filters.waiting, period=period)])
    return cards.order_by(*RANKING_ORDERS.get(filters.order, RANKING_ORDERS["rank"]))


@dataclass(frozen=True)
class RankingChoices:
    """What the ranking's filters offer: the agencies, units and task groups of its cards,
    in the tree's order (groups by code), each as (code, name)."""

    agencies: list[tuple[str, str]]
    units: list[tuple[str, str]]
    task_groups: list[tuple[str, str]]
    without_group: bool


def ranking_choices(cards: list[ScoreCard]) -> RankingChoices:
    agencies = {c.agency_id: c.agency for c in cards}
    units = {c.unit_id: c.unit for c in cards}
    groups = sorted({c.task_group for c in cards if c.task_group})
    names = task_group_names(groups)
    return RankingChoices(
        agencies=[(u.code, u.name) for u in sorted(agencies.values(), key=lambda u: u.lft)],
        units=[(u.code, u.name) for u in sorted(units.values(), key=lambda u: u.lft)],
        task_groups=[(code, names[code]) for code in groups],
        without_group=any(not c.task_group for c in cards))


# -- what the card shows beside the points ----------------------------------------------


def card_signals(*, card: ScoreCard) -> list:
    """Signals about the card's official, raised in the card's months and confirmed as a
    breach by a leader (accountability app), then the initiatives (S15) a leader decided
    to protect. They are shown on the card and change no points by themselves: the delays
    and errors behind them are already in the task data, a confirmed S14 makes the grade
    KHT (`adapters.signal_grounds`, docs/scoring.md), and a protected initiative is for the
    reward proposals."""
    from thuocdo.accountability.choices import PROTECTED_INITIATIVE, SignalStatus
    from thuocdo.accountability.models import SignalRecord

    months = [m.label for m in EnginePeriod.parse(card.period.label).months()]
    breach = Q(status=SignalStatus.CONFIRMED) & ~Q(code=PROTECTED_INITIATIVE)
    protected = Q(status=SignalStatus.ACCEPTED, code=PROTECTED_INITIATIVE)
    signals = SignalRecord.objects.filter(
        breach | protected, official_id=card.official_id, period__in=months,
    ).select_related("task")
    return sorted(signals, key=lambda s: (s.code == PROTECTED_INITIATIVE, s.raised_on,
                                          int(s.code[1:]), s.pk))


def kht_signals_not_on_card(*, card: ScoreCard) -> list:
    """The confirmed signal records that make the card's grade KHT by the scoring's own
    rule (`adapters.signal_grounds`: a KHT signal of the card's rubric, in reach of its
    period) but that the stored card does not cite: it was computed before the breach was
    confirmed (the period is scored again, or kept as approved). The engine's grounds
    (`KhtGround`), by day. A card citing a ground of kind "signal" of the same day (one
    recorded by the board for that record) counts as citing it."""
    from thuocdo.measure.scoring import ground_in_reach

    from .adapters import signal_grounds

    period = EnginePeriod.parse(card.period.label)
    rubric = period_rubric(card.period)
    overrides = card.data.get("overrides", [])
    cited = {o.get("ref") for o in overrides}
    cited_days = {o.get("on") for o in overrides if o.get("kind") == "signal"}
    return sorted((g for g in signal_grounds(period.end.year,
                                             {card.official_id: card.official.code},
                                             officials=[card.official_id])
                   if g.signal in rubric.kht_signals and ground_in_reach(g, period, rubric)
                   and g.ref not in cited and g.on.isoformat() not in cited_days),
                  key=lambda g: (g.on, g.ref))


def kht_grounds_since(*, card: ScoreCard) -> tuple[list, set[str]]:
    """How the card's KHT grounds stand now against those the stored card cites (it was
    computed before; the period is scored again, or kept as approved): the grounds recorded
    by the board (discipline, degradation, corruption in a unit the official leads) that
    the scoring's own rule (`kht_overrides` over `adapters.kht_grounds`) applies to the
    card now but the card does not cite, as the engine's overrides; and the refs of the
    grounds the card cites that no longer apply (withdrawn since). The signal records not
    cited yet are `kht_signals_not_on_card`'s."""
    from thuocdo.measure.scoring import GroundKind, OfficialInput, kht_overrides

    from .adapters import kht_grounds, units_tree

    period = EnginePeriod.parse(card.period.label)
    rubric = period_rubric(card.period)
    units: dict = {}
    unit_code: dict = {}
    if Ground.objects.filter(kind=GroundKind.CORRUPTION, confirmed=True,
                             on__year=period.end.year).exists():
        # the tree decides which leaders a unit's corruption concerns: read it then only
        units, unit_code, _tree = units_tree()
    grounds = kht_grounds(period.end.year, unit_code, {card.official_id: card.official.code},
                          officials=[card.official_id])
    official = OfficialInput(card.official.code, card.unit.code, card.position,
                             card.task_group or None, card.agency.code)
    now = kht_overrides(official, grounds, period, units, rubric)
    overrides = card.data.get("overrides", [])
    cited = {str(o.get("ref")) for o in overrides}
    # the signal records not cited yet are `kht_signals_not_on_card`'s
    added = [o for o in now if str(o.ref) not in cited
             and not str(o.ref).startswith("signal:")]
    # a recorded ground of kind "signal" gives way to the confirmed record of the same day
    # (`adapters.kht_grounds`): it still counts, through the record
    signal_days = {o.on.isoformat() for o in now if o.kind == "signal"}
    still = {str(o.get("ref")) for o in overrides
             if o.get("kind") == "signal" and o.get("on") in signal_days}
    return added, cited - {str(o.ref) for o in now} - still


def readable_signals(*, scope: Scope, ids: Iterable[int | None]) -> set[int]:
    """Which of the signal records `ids` (a card's few; None ignored) the caller may open:
    the accountability app's own scoping (`signal_scope_q`, as its signal page), in one
    query whatever their number (none when there are none)."""
    from thuocdo.accountability.models import SignalRecord
    from thuocdo.accountability.selectors import signal_scope_q

    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return set()
    return set(SignalRecord.objects.filter(signal_scope_q(scope), pk__in=wanted)
               .values_list("pk", flat=True))


def card_findings(*, card: ScoreCard) -> list:
    """Citizens' verified complaints and low ratings traced to the card's official, dated in
    the card's period, with the leader's decision on each (citizens app)."""
    from thuocdo.citizens.adapters import all_findings

    period = EnginePeriod.parse(card.period.label)
    return [f for f in all_findings(start=period.start, end=period.end)
            if f.official == card.official.code]


# -- KHT grounds --------------------------------------------------------------------------


def ground_list(*, scope: Scope, filters: dict | None) -> QuerySet[Ground]:
    """The KHT grounds the caller reads: about an official they read (`Scope.officials_q`)
    or a unit they read; `filters` from `GroundFilterForm.filters` (None: nothing). Newest
    first."""
    if filters is None:
        return Ground.objects.none()
    grounds = Ground.objects.select_related("official", "unit").order_by("-on", "-pk")
    if not scope.is_admin:
        grounds = grounds.filter(
            Q(official__in=Official.objects.filter(scope.officials_q()))
            | Q(unit__in=org_selectors.unit_list(scope=scope).select_related(None)))
    if filters.get("year"):
        grounds = grounds.filter(on__year=filters["year"])
    if filters.get("kind"):
        grounds = grounds.filter(kind=filters["kind"])
    unit = filters.get("unit")
    if unit is not None:
        grounds = grounds.filter(_about_unit(unit, day="on"))
    return grounds


def _about_unit(unit: Unit, *, day: str) -> Q:
    """A ground (or signal record) whose unit is `unit` or under it, or whose official
    belonged there on its day (the field `day`)."""
    member = Membership.objects.filter(
        official=OuterRef("official"), unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt,
        start__lte=OuterRef(day)).filter(Q(end__isnull=True) | Q(end__gte=OuterRef(day)))
    return Q(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt) | Q(Exists(member))


@dataclass
class SignalGround:
    """A confirmed signal record that is a KHT ground by itself (`adapters.signal_grounds`),
    as the grounds list shows it beside the recorded grounds: read-only, it comes from the
    signal (`signal_id`) and is undone there, not here."""

    signal_id: int
    signal: str  # its code, e.g. "S14"
    on: dt.date
    official: Official
    reason: str  # what the record found
    decided_by: str | None
    decided_on: dt.date | None
    decision: str
    #: as a recorded ground (`Ground`), for the list's columns
    kind: str = "signal"
    confirmed: bool = True
    from_signal: bool = True


def signal_ground_list(*, scope: Scope, filters: dict | None) -> list[SignalGround]:
    """The confirmed signal records that count as KHT grounds by themselves (the scoring's
    own rule, `adapters.signal_grounds`), scoped and filtered as `ground_list` (about an
    official the caller reads; the year of their day; the kind "signal" or any; the unit
    the official belonged to on their day, or the record's unit). Newest first; one query,
    then one per year found."""
    from thuocdo.accountability.choices import SignalStatus
    from thuocdo.accountability.models import SignalRecord

    from .adapters import signal_grounds
    from .rubrics import RUBRICS

    if filters is None or filters.get("kind") not in (None, "", "signal"):
        return []
    codes = sorted({code for rubric in RUBRICS.values() for code in rubric.kht_signals})
    records = SignalRecord.objects.filter(status=SignalStatus.CONFIRMED, code__in=codes,
                                          official__isnull=False)
    if not scope.is_admin:
        records = records.filter(official__in=Official.objects.filter(scope.officials_q()))
    if filters.get("year"):
        records = records.filter(raised_on__year=filters["year"])
    unit = filters.get("unit")
    if unit is not None:
        records = records.filter(_about_unit(unit, day="raised_on"))
    found = {pk: (year, official) for pk, year, official in records.values_list(
        "pk", "raised_on__year", "official_id")}
    officials = {o.pk: o for o in Official.objects.filter(
        pk__in={official for _year, official in found.values()})}
    rows = []
    for year in sorted({year for year, _official in found.values()}):
        ids = {official for y, official in found.values() if y == year}
        for ground in signal_grounds(year, {pk: officials[pk].code for pk in ids},
                                     officials=ids):
            pk = int(str(ground.ref).partition(":")[2])
            if pk in found:
                rows.append(SignalGround(
                    signal_id=pk, signal=ground.signal, on=ground.on,
                    official=officials[found[pk][1]], reason=ground.reason,
                    decided_by=ground.decided_by, decided_on=ground.decided_on,
                    decision=ground.decision))
    return sorted(rows, key=lambda g: (g.on, g.signal_id), reverse=True)


def grounds_repeating_records(grounds: Iterable[Ground]) -> dict[int, int]:
    """Which of the recorded `grounds` repeat a confirmed signal record (ground pk → the
    record's id): of kind "signal", in force, for the same official, signal and day as a
    record that counts by itself. The scoring counts the record, once (`adapters.
    kht_grounds`); the lists say so. One query per year found (none without such a ground)."""
    from thuocdo.measure.scoring import GroundKind

    from .adapters import signal_grounds

    wanted = [g for g in grounds if g.kind == GroundKind.SIGNAL and g.confirmed
              and g.official_id is not None]
    found: dict[int, int] = {}
    for year in sorted({g.on.year for g in wanted}):
        about = {g.official_id: g.official.code for g in wanted if g.on.year == year}
        records = {(g.official, g.signal, g.on): int(str(g.ref).partition(":")[2])
                   for g in signal_grounds(year, about, officials=about)}
        for ground in (g for g in wanted if g.on.year == year):
            record = records.get((about[ground.official_id], ground.signal, ground.on))
            if record is not None:
                found[ground.pk] = record
    return found


def quota_exception_list(*, scope: Scope, agency: Unit | None = None,
                         on: dt.date | None = None) -> QuerySet[QuotaException]:
    """The approved exceptions to the HTXS quota of the agencies the caller reads, the
    latest in force first; only those of `agency`, only those in force on `on`."""
    found = QuotaException.objects.select_related("agency", "recorded_by").order_by(
        "-valid_to", "agency__lft", "pk")
    if not scope.is_admin:
        found = found.filter(scope.units_q(prefix="agency__"))
    if agency is not None:
        found = found.filter(agency=agency)
    if on is not None:
        found = found.filter(valid_from__lte=on, valid_to__gte=on)
    return found


def quota_exception_agencies(*, scope: Scope) -> QuerySet[Unit]:
    """The agencies whose exceptions the caller records (`services.
    can_manage_quota_exception`): every agency for the administrator, those inside the
    units granted to the board, in tree order."""
    from thuocdo.org.choices import AGENCY_KINDS

    agencies = Unit.objects.filter(kind__in=AGENCY_KINDS).order_by("lft")
    if scope.is_admin:
        return agencies
    return agencies.filter(subtrees_q(scope.board_ranges))


def quota_exception_get(*, scope: Scope, pk: int) -> QuotaException:
    """One exception the caller reads (`quota_exception_list`); else DoesNotExist."""
    return quota_exception_list(scope=scope).get(pk=pk)


# -- what waits for the caller ------------------------------------------------------------

#: the cards waiting for the caller's act: drafts for their review, reviewed cards for
#: their approval
WAIT_REVIEW = "review"
WAIT_APPROVE = "approve"
WAITING = (WAIT_REVIEW, WAIT_APPROVE)


def _within(ranges: tuple[tuple[int, int], ...], unit: Unit) -> bool:
    """`unit` lies in one of the subtrees `ranges` (never "everything", even for the
    administrator: `Scope.can_board_unit` would say yes to them)."""
    return any(lft <= unit.lft and unit.rgt <= rgt for lft, rgt in ranges)


def _outermost(ranges) -> list[tuple[int, int]]:
    """The subtrees among `ranges` that no other one contains, in the tree's order."""
    ranges = sorted(set(ranges))
    return [r for r in ranges
            if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in ranges)]


def cards_waiting(*, scope: Scope, what: str, period: Period | None = None,
                  tree: Any = None) -> list[ScoreCard]:
    """The cards of the periods under review (or of `period`, if it is) that wait for the
    caller's act, in the tree's order: `WAIT_REVIEW`, the drafts they review; `WAIT_APPROVE`,
    the reviewed cards they approve. A card waits for whoever the procedure tells to act on
    it (`services._Tree`, as the notifications of the review and of the approval do: the
    head of the card's unit, else its deputies, for staff; the head of the unit for a
    deputy; the leaders of the nearest unit above with one for a head, failing which the
    organisation board over the unit; the head of the card's agency approves, and the head
    of the nearest unit above it or the board over it approves the card of the agency's
    own head) and who may act on it (`services.can_assess`, `can_approve`): never the
    caller's own card. A reviewed card approved inside its agency waits for its approval
    only once the agency has no such draft left (they are approved together). The
    administrator may act on any card, and none waits for them for that alone. A fixed
    number of queries (`tree`: `services.review_tree()`, read once)."""
    from . import services

    reach = scope.lead_ranges + scope.board_ranges
    if not reach or what not in WAITING:
        return []
    tree = tree or services.review_tree()
    me = scope.official_id
    cards = ScoreCard.objects.filter(period__status=PeriodStatus.REVIEW)
    if period is not None:
        cards = cards.filter(period=period)
    if me is not None:
        cards = cards.exclude(official_id=me)
    leaders = list(LEADER_POSITIONS)
    if what == WAIT_REVIEW:
        # staff cards only in the units whose staff the caller reviews; the leaders' cards
        # (a few per unit) anywhere in their reach, sorted out below
        staff_units = [pk for pk, (lft, rgt) in tree.range.items()
                       if me is not None and any(a <= lft and rgt <= b
                                                 for a, b in scope.lead_ranges)
                       and me in tree.leader_reviewers(pk, Position.STAFF)]
        cards = cards.filter(
            (Q(unit_id__in=staff_units) & ~Q(position__in=leaders))
            | (Q(position__in=leaders) & subtrees_q(reach, "unit__")),
            status=CardStatus.DRAFT)
    else:
        head_of = [pk for pk in tree.heads.keys() | tree.deputies.keys()
                   if me is not None and me in tree.acting_heads(pk)]
        cards = cards.filter(Q(agency_id__in=head_of)
                             | (_above_q() & subtrees_q(reach, "agency__")),
                             status=CardStatus.REVIEWED)
    cards = list(cards.select_related("official", "unit", "agency", "period")
                 .defer("data", "self_note").order_by("unit__lft", "official__code"))
    if what == WAIT_REVIEW:
        def reviews(card: ScoreCard) -> bool:
            named = tree.leader_reviewers(card.unit_id, card.position)
            return me in named if named else _within(scope.board_ranges, card.unit)

        return [c for c in services.assessable(scope, cards, tree=tree) if reviews(c)]
    ranges = tuple(tree.range[pk] for pk in head_of)
    vacant = {c.agency_id: v for c in cards if (v := tree.vacancy(c.agency_id))}
    # an agency's cards are approved together once all are reviewed
    # (`services.agency_approve`): none waits while one of them is still a draft
    drafts = {(period_id, agency_id) for period_id, agency_id, unit_id, position in
              ScoreCard.objects.filter(status=CardStatus.DRAFT,
                                       period_id__in={c.period_id for c in cards},
                                       agency_id__in={c.agency_id for c in cards})
              .values_list("period_id", "agency_id", "unit_id", "position")
              .order_by().distinct()
              if not tree.left_for_above(unit_id, agency_id, position)}
    cards = [c for c in cards if (c.period_id, c.agency_id) not in drafts
             or tree.left_for_above(c.unit_id, c.agency_id, c.position)]

    def approves(card: ScoreCard) -> bool:
        if tree.left_for_above(card.unit_id, card.agency_id, card.position):
            return (me in tree.acting_above(card.agency_id)
                    or _within(scope.board_ranges, card.agency))
        return me in tree.acting_heads(card.agency_id)

    return [c for c in cards if approves(c) and can_approve(scope, c, ranges, vacant)]


def appeals_to_decide(*, scope: Scope, period: Period | None = None) -> QuerySet[Appeal]:
    """The pending appeals the caller decides (`services.can_decide_appeal`, told of them
    by `services.appeal_deciders`): on the cards of the agencies they head (or, the post
    vacant, lead as a deputy in the head's place, but for the deputies' own cards), or
    over which they sit on the organisation board; never on their own card. Oldest
    first."""
    units = approving_units(scope)
    vacant = vacancies(units)
    q = (subtrees_q(scope.board_ranges, "card__agency__")
         | (Q(card__agency_id__in=list(units))
            & ~Q(card__agency_id__in=list(vacant), card__unit=F("card__agency"),
                 card__position__in=list(LEADER_POSITIONS))))
    appeals = Appeal.objects.filter(q, status=AppealStatus.PENDING)
    if scope.official_id is not None:
        appeals = appeals.exclude(card__official_id=scope.official_id)
    if period is not None:
        appeals = appeals.filter(card__period=period)
    return appeals.select_related("card__official", "card__unit", "card__agency",
                                  "card__period").order_by("filed_at", "pk")


#: the steps of the procedure the organisation board takes on a period, and when
PERIOD_STEPS = ("score", "review", "publish", "lock")


def periods_waiting(*, scope: Scope, on: Any = None) -> list[tuple[Period, str]]:
    """The periods waiting for the organisation board's step (`PERIOD_STEPS`), in the
    order of their start: an open period that has ended, its cards to compute; a period in
    self-scoring, the review to start; an approved one, the grades to publish; a published
    one whose appeal window is over and every appeal decided, to lock
    (`services.lock_refusal`). For members of the board; one query."""
    from . import services

    if "board" not in scope.roles:
        return []
    day = on or timezone.localdate()
    periods = (Period.objects.filter(status__in=[PeriodStatus.OPEN, PeriodStatus.SCORING,
                                                 PeriodStatus.APPROVED,
                                                 PeriodStatus.PUBLISHED])
               .annotate(pending=Count("cards__appeals",
                                       filter=Q(cards__appeals__status=AppealStatus.PENDING)))
               .order_by("start", "kind"))
    found = []
    for period in periods:
        if period.status == PeriodStatus.OPEN:
            step = "score" if services.ended_refusal(period, on=day) is None else ""
        elif period.status == PeriodStatus.SCORING:
            step = "review"
        elif period.status == PeriodStatus.APPROVED:
            step = "publish"
        else:
            step = "lock" if services.lock_refusal(
                period, on=day, appeals_pending=period.pending > 0) is None else ""
        if step:
            found.append((period, step))
    return found


@dataclass(frozen=True)
class CardsWaiting:
    """Cards of a period waiting for the caller's act (`what`: `WAIT_REVIEW` or
    `WAIT_APPROVE`), counted under `unit`, the outermost unit of the caller's reach that
    contains them: its ranking, filtered by `what`, lists them."""

    what: str
    period: Period
    unit: Unit
    count: int


@dataclass(frozen=True)
class EvaluationsWaiting:
    """What waits for the caller in the evaluations (`waiting_for`)."""

    cards: list[CardsWaiting]
    #: (period, how many appeals the caller decides in it)
    appeals: list[tuple[Period, int]]
    #: (period, the board's step: one of `PERIOD_STEPS`)
    periods: list[tuple[Period, str]]
    #: the caller's own cards that wait on them (`own_cards_waiting`)
    own: list[tuple[ScoreCard, str]] = field(default_factory=list)


#: what an official's own card waits on them for: their self-score
OWN_SELF_SCORE = "self_score"


def own_cards_waiting(*, scope: Scope) -> list[tuple[ScoreCard, str]]:
    """The caller's own cards that wait on them, by period: to self-score, not done yet,
    while the service takes it (`services.self_score_refusal`: until their assessment is
    made). An appeal is not listed: it is a right, not something asked of everyone. One
    query, then the service's rule on these few cards (one per period being scored)."""
    from . import services

    if scope.official_id is None:
        return []
    cards = (ScoreCard.objects.filter(official_id=scope.official_id, self_points__isnull=True,
                                      period__status__in=SCORABLE)
             .select_related("period", "official").order_by("period__start", "period__kind"))
    return [(card, OWN_SELF_SCORE) for card in cards
            if services.self_score_refusal(card) is None]


def waiting_for(*, scope: Scope) -> EvaluationsWaiting:
    """Cards to review and to approve (`cards_waiting`) by period and by the outermost unit
    of the caller's reach, appeals to decide by period (`appeals_to_decide`) and the
    periods waiting for the board (`periods_waiting`): only what is there, in a fixed
    number of queries whatever the number of units, cards or appeals."""
    from . import services

    found: list[CardsWaiting] = []
    reach = scope.lead_ranges + scope.board_ranges
    if reach:
        tree = services.review_tree()
        roots = _outermost(reach)
        counts: dict[tuple[str, int, tuple[int, int]], list] = {}
        for what in WAITING:
            for card in cards_waiting(scope=scope, what=what, tree=tree):
                # the ranking of a root lists the cards of the units now in its subtree:
                # a card whose unit has since moved out of the caller's reach (its agency,
                # still headed by them, is not) is in no such list, so it is not counted
                root = next((r for r in roots if r[0] <= card.unit.lft <= r[1]), None)
                if root is None:
                    continue
                counts.setdefault((what, card.period_id, root), [card.period, 0])[1] += 1
        if counts:
            exact = Q(pk__in=[])
            for lft, rgt in {root for _w, _p, root in counts}:
                exact |= Q(lft=lft, rgt=rgt)
            units = {(u.lft, u.rgt): u for u in Unit.objects.filter(exact)}
            found = [CardsWaiting(what, period, units[root], n)
                     for (what, _p, root), (period, n) in sorted(
                         counts.items(), key=lambda kv: (kv[1][0].start, kv[1][0].kind,
                                                          WAITING.index(kv[0][0]),
                                                          kv[0][2]))
                     if root in units]
    appeals: list[tuple[Period, int]] = []
    if scope.official_id is not None or scope.board_ranges:
        rows = (appeals_to_decide(scope=scope).order_by().values("card__period")
                .annotate(n=Count("pk")).values_list("card__period", "n"))
        by_period = dict(rows)
        if by_period:
            appeals = [(period, by_period[period.pk]) for period in
                       Period.objects.filter(pk__in=by_period).order_by("start", "kind")]
    return EvaluationsWaiting(cards=found, appeals=appeals,
                              periods=periods_waiting(scope=scope),
                              own=own_cards_waiting(scope=scope))


# -- the calendar ----------------------------------------------------------------------


def _fixed_text(period: Period) -> str:
    """A period whose cards are fixed, in words ("kỳ đánh giá tháng 10/2026 đã được phê
    duyệt")."""
    values = {"p": period.name}
    if period.status == PeriodStatus.APPROVED:
        return _("the evaluation period %(p)s is approved") % values
    if period.status == PeriodStatus.PUBLISHED:
        return _("the evaluation period %(p)s is published") % values
    if period.status == PeriodStatus.LOCKED:
        return _("the evaluation period %(p)s is locked") % values
    return _("the evaluation period %(p)s is %(s)s") % {
        **values, "s": period.get_status_display().lower()}


def calendar_computed(days: Collection[dt.date]) -> dict[dt.date, list[Computed]]:
    """What evaluations has computed with the calendar of `days`, for the calendar's
    services (`core.calendar.register_computed`, in `apps.py`): a period (month, quarter,
    year) holding the day whose cards are fixed, approved or later (not `SCORABLE`), the
    shortest first. A period under review is not: its cards are computed again when it is
    scored again (`services.period_score`), and a card whose content changed goes back to
    draft; until its approval the calendar may still be corrected."""
    if not days:
        return {}
    periods = sorted(Period.objects.filter(start__lte=max(days), end__gte=min(days))
                     .exclude(status__in=SCORABLE),
                     key=lambda p: (p.end - p.start, p.start))
    found: dict[dt.date, list[Computed]] = {}
    for period in periods:
        item = Computed(f"period:{period.label}:{period.status}", _fixed_text(period))
        for day in days:
            if period.start <= day <= period.end:
                found.setdefault(day, []).append(item)
    return found
