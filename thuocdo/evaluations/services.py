"""Writes of evaluations: periods and their procedure, assessments, KHT grounds, stored
score cards and appeals.

Every function is keyword-only and atomic, checks who may act (`actor` is a User, None for
the system: imports, commands, the demo), refuses with `ServiceError` (nothing written), and
records the change in the audit trail with who and why.

The procedure (domain.md, "Procedure"): the period is scored (open → scoring) and each
official self-scores; the period goes to review, where the head of each unit assesses the
general criteria (a written reason for every deduction) and reviews the unit's cards; the
head of each agency approves its cards, and the cards of the agency's heads are approved by
the head of a unit above or the organisation board: nobody reviews or approves their own
card (review → approved when every card is approved);
the board publishes (→ published, appeals open until `appeal_until`); appeals are filed
with a reason and decided with a reason; then the period is locked, and a locked period is
never scored again.

Those concerned are told, in the transaction of the change (notification kind
"evaluation"): every official whose card is computed, that they can self-score; the leaders
who review cards when the review starts; those who approve cards when they are reviewed;
every official with a card when the grades are published; those who decide an appeal when
it is filed; the appellant when it is decided; and an official whose final grade moves
when an accepted appeal has the cards computed again. One appeal per card: a decided
appeal stands. A leader's card that no leader above reviews (the head of the top unit) is
reviewed by the organisation board over their unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from thuocdo.accounts.choices import GrantRole
from thuocdo.accounts.models import ScopeGrant, User
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.inserts import insert_rows
from thuocdo.core.parallel import collector_paused
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, parse_period, year_in_range
from thuocdo.core.rows import content_digest
from thuocdo.core.scope import Scope, scope_for, subtrees_q
from thuocdo.core.services import BULK_BATCH, audit_record
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.scoring import ENGINE_VERSION, apply_quota
from thuocdo.measure.scoring import Period as EnginePeriod
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification
from thuocdo.notifications.services import insert_notifications
from thuocdo.org.choices import LEADER_POSITIONS, Position
from thuocdo.org.models import Membership, Official, Unit

from . import adapters, selectors
from .choices import SCORABLE, AppealStatus, CardStatus, GroundKind, PeriodStatus
from .models import Appeal, Assessment, Ground, Period, QuotaException, ScoreCard
from .rubrics import rubric_for

GENERAL_MAX = Decimal(30)
#: days after publication during which appeals are accepted (default)
APPEAL_DAYS = 10


# -- helpers -----------------------------------------------------------------------------


def _scope(actor: Any) -> Scope:
    return scope_for(actor) if actor is not None else Scope(is_admin=True)


def _deny(message: str) -> PermissionDeniedError:
    return PermissionDeniedError(message, code="forbidden")


def can_manage_periods(scope: Scope) -> bool:
    """Opening, scoring, starting the review, publishing and locking a period: the
    administrator and the organisation board."""
    return scope.is_admin or "board" in scope.roles


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _current(day: dt.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def can_assess(scope: Scope, card_or_place: Any, *,
               board_reviewed: set[int] | None = None,
               headed: frozenset[int] | None = None) -> bool:
    """May the caller assess (and review) this official? `card_or_place` has `official_id`,
    `unit` and `position`. Staff: a leader of their unit or of a unit above it. A head or
    deputy of unit U: a leader of a unit strictly above U, or (for a deputy) the head of U;
    where there is none (the head of the top unit, e.g. the city's chairman, or the units
    above are vacant: `reviewed_by_board`), the organisation board over U. Nobody assesses
    themself; the administrator assesses anyone. A page checking many cards passes
    `board_reviewed` (`board_reviewed_officials` of those cards) and `headed` (the units the
    caller heads today, `headed_units`) instead of a query each."""
    if scope.is_admin:
        return True
    if scope.official_id is not None and scope.official_id == card_or_place.official_id:
        return False
    unit = card_or_place.unit
    if (card_or_place.position in LEADER_POSITIONS and scope.can_board_unit(unit)
            and (card_or_place.official_id in board_reviewed if board_reviewed is not None
                 else reviewed_by_board(card_or_place))):
        return True
    if scope.official_id is None:
        return False
    if card_or_place.position not in LEADER_POSITIONS:
        return scope.can_lead_unit(unit)
    if any(lft < unit.lft and unit.rgt < rgt for lft, rgt in scope.lead_ranges):
        return True
    if card_or_place.position != Position.DEPUTY:
        return False
    if headed is not None:
        return unit.pk in headed
    return Membership.objects.filter(_current(timezone.localdate()),
                                     official_id=scope.official_id, unit=unit,
                                     position=Position.HEAD).exists()


def headed_units(scope: Scope, *, on: dt.date | None = None) -> frozenset[int]:
    """The ids of the units the caller heads (người đứng đầu) on `on` (today): one query,
    for `can_assess` over many cards."""
    if scope.official_id is None:
        return frozenset()
    return frozenset(Membership.objects.filter(
        _current(_today(on)), official_id=scope.official_id, position=Position.HEAD,
    ).values_list("unit_id", flat=True))


def reviewed_by_board(card_or_place: Any, *, on: dt.date | None = None) -> bool:
    """Is this a leader's card that no leader reviews, left to the organisation board over
    its unit (`can_assess`)? A head or deputy of unit U is reviewed by a leader (head or
    deputy) of a unit strictly above U, and a deputy also by the head of U; when nobody
    holds such a post on `on` (today) (U is the top unit, e.g. the city, or the posts above
    are vacant), the board over U reviews and assesses them (docs/scoring.md, "The
    procedure"). Staff are never: their unit's leaders review them."""
    if card_or_place.position not in LEADER_POSITIONS:
        return False
    unit = card_or_place.unit
    above = Q(unit__lft__lt=unit.lft, unit__rgt__gt=unit.rgt,
              position__in=list(LEADER_POSITIONS))
    if card_or_place.position == Position.DEPUTY:
        above |= Q(unit=unit, position=Position.HEAD)
    return not Membership.objects.filter(_current(_today(on))).filter(above).exclude(
        official_id=card_or_place.official_id).exists()


def board_reviewed_officials(cards: Any, *, on: dt.date | None = None,
                             tree: _Tree | None = None) -> set[int]:
    """`reviewed_by_board` for many cards in a fixed number of queries, whatever their
    number: the officials among the leaders' cards whom no leader above reviews (`_Tree`;
    `tree`: one already read for the day)."""
    leaders = [c for c in cards if c.position in LEADER_POSITIONS]
    if not leaders:
        return set()
    tree = tree or _Tree(_today(on))
    return {c.official_id for c in leaders
            if not tree.leader_reviews(c.unit.pk, c.position, c.official_id)}


def _board_reviewed_for(scope: Scope, cards: list, tree: _Tree | None = None
                        ) -> set[int] | None:
    """`board_reviewed` for `can_assess` over `cards`: computed only for a board member
    (nobody else can be let in by it)."""
    if scope.is_admin or "board" not in scope.roles:
        return None
    return board_reviewed_officials(cards, tree=tree)


def assessable(scope: Scope, cards: Any, *, tree: _Tree | None = None) -> list:
    """The cards among `cards` the caller may assess (`can_assess`), in a fixed number of
    queries whatever their number (`tree`: one already read for today)."""
    cards = list(cards)
    board = _board_reviewed_for(scope, cards, tree)
    headed = (headed_units(scope) if any(c.position == Position.DEPUTY for c in cards)
              else None)
    return [c for c in cards if can_assess(scope, c, board_reviewed=board, headed=headed)]


def can_decide_appeal(scope: Scope, card: ScoreCard) -> bool:
    """The head of the card's agency (the post vacant: a deputy approving in the head's
    place, but not on a deputy's card of the agency, left for the level above:
    `selectors.left_for_above`), the organisation board over it, or the administrator;
    never the official who appealed."""
    if scope.official_id is not None and scope.official_id == card.official_id:
        return False
    if scope.can_board_unit(card.agency):
        return True
    if card.agency_id not in selectors.approving_units(scope):
        return False
    vacant = selectors.vacancies([card.agency_id]).get(card.agency_id)
    return not (vacant and selectors.left_for_above(card.unit_id, card.agency_id,
                                                    card.position, vacant=vacant))


#: grades, best first: no grade ("no data") is below HT and above KHT (a KHT ground gives
#: KHT whatever the score, even with no total)
GRADE_ORDER = ("HTXS", "HTT", "HT", "", "KHT")


def _worse(before: tuple[Decimal | None, str], after: tuple[Decimal | None, str]) -> bool:
    """Is the card (total, grade) `after` worse than `before`: a lower total, or a lower
    grade?"""
    (total_before, grade_before), (total_after, grade_after) = before, after
    if total_before is not None and (total_after is None or total_after < total_before):
        return True
    return GRADE_ORDER.index(grade_after or "") > GRADE_ORDER.index(grade_before or "")


def _lock_period(period: Period) -> Period:
    return Period.objects.select_for_update().get(pk=period.pk)


# -- periods -----------------------------------------------------------------------------


def ended_refusal(period: EnginePeriod | Period, *, on: dt.date | None = None
                  ) -> ServiceError | None:
    """Why a period's cards cannot be computed on `on` (today): it has not ended. Its work
    is measured as it stood at its close (docs/scoring.md), so a card computed before then
    would count open work as unfinished; None once it has ended."""
    if period.end < _today(on):
        return None
    return ServiceError(
        _("Period %(p)s ends on %(end)s: its cards are computed from the next day, when its "
          "work can be measured.")
        % {"p": period_name(period.label), "end": period.end.strftime("%d/%m/%Y")},
        code="period_not_ended", field="period")


@transaction.atomic
def period_open(*, actor: Any = None, label: str) -> Period:
    """Open the period `label` (or return it if it exists): its assessments may be entered;
    its cards are computed once it has ended (`ended_refusal`)."""
    engine = parse_period(label)
    found = Period.objects.filter(label=engine.label).first()
    if found is not None:
        return found
    if not can_manage_periods(_scope(actor)):
        raise _deny(_("Only the organisation board opens evaluation periods."))
    rubric_for(engine)  # refuses a period no rubric covers
    period = Period.objects.create(label=engine.label, kind=engine.kind, start=engine.start,
                                   end=engine.end)
    audit_record(actor=actor, action="period.open", object_type="evaluations.period",
                 object_code=period.label)
    return period


@dataclass(frozen=True)
class ScoreResult:
    """What one scoring run did. The officials' codes of the cards whose review or approval
    changed: `to_draft`, reviewed or approved, went back to draft (their own content
    changed); `unapproved`, approved, went back to reviewed (only the quota's outcome
    changed); `quota_only`, reviewed, stay reviewed although the quota's outcome changed."""

    period: Period
    created: int
    changed: int
    unchanged: int
    removed: int
    to_draft: tuple[str, ...] = ()
    unapproved: tuple[str, ...] = ()
    quota_only: tuple[str, ...] = ()
    #: officials told they can self-score (those whose card this run created)
    notified: int = 0


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def period_score(*, actor: Any = None, period: Period, reason: str = "",
                 workers: int | None = None, on: dt.date | None = None,
                 caused_by: Any = None) -> ScoreResult:
    """Compute every card of the period with the engine and store it.

    Allowed once the period has ended (`ended_refusal`, as of `on`), while it is open,
    self-scoring or under review; a locked (or approved, published) period is never
    re-scored. Re-scoring with the same data and rubric gives
    identical cards: a card whose content did not change keeps its review status; one that
    changed goes back to draft, unless only the quota's outcome changed (`reviewed_content`:
    it stays reviewed, an approval being undone). The cards are computed before the storing
    transaction (reads only, shared among `workers` processes when no transaction is open:
    `thuocdo.core.parallel`); storing locks the period and checks its state again.

    `caused_by`: the user whose change made a service re-score on their behalf (`actor`
    None), such as an assessment saved: the leaders whose review the run undoes are told
    who caused it, unless it was themselves (`_notify_review_undone`)."""
    scope = _scope(actor)
    if not (can_manage_periods(scope) or scope.lead_ranges):
        raise _deny(_("Only the organisation board and leaders score a period."))
    _check_scorable(period)
    if (refused := ended_refusal(period, on=on)) is not None:
        raise refused
    engine_period = EnginePeriod.parse(period.label)
    rubric = rubric_for(engine_period)
    with collector_paused():  # a month's cards, built and stored: see core.parallel
        inputs = adapters.period_inputs(engine_period)
        scores = adapters.score(inputs, rubric, workers=workers)
        return _store_scores(actor=actor, period=period, reason=reason, rubric=rubric,
                             inputs=inputs, scores=scores, caused_by=caused_by or actor)


def _check_scorable(period: Period) -> None:
    if period.status not in SCORABLE:
        raise ServiceError(
            _("Period %(p)s is %(s)s: its cards can no longer be computed.")
            % {"p": period.name, "s": period.get_status_display()},
            code="period_closed")


#: the fields of a card the engine computes (a re-scored card's changes)
CHANGED_FIELDS = ("unit_id", "agency_id", "position", "task_group", "task_points",
                  "general_points", "total", "grade", "grade_before_quota", "quota_applied",
                  "rubric_version", "engine_version", "data")
#: a new card's columns, in the order of its row (`_store_scores`): the others are the same
#: for every new card
NEW_CARD_FIELDS = ("official_id", *CHANGED_FIELDS)
#: the keys of a card's JSON that the HTXS quota decides (`apply_quota`), besides its
#: reason appended to `reasons`: the agency's outcome, not the card's own content
QUOTA_KEYS = frozenset({"grade", "quota_applied", "quota"})


def reviewed_content(data: dict) -> dict:
    """What the head of unit reviews on a card: its JSON less the quota's outcome (the grade
    after the quota, the quota's decision and its reason). A change in the outcome alone
    keeps the review (docs/scoring.md, "The procedure")."""
    quota = data.get("quota")
    reasons = data.get("reasons", [])
    if quota:
        reasons = [r for r in reasons if r != quota.get("reason")]
    return {k: v for k, v in data.items() if k not in QUOTA_KEYS} | {"reasons": reasons}


def _card_values(card: Any, inputs: adapters.PeriodInputs) -> dict[str, Any]:
    """The stored card's columns (`CHANGED_FIELDS`, in that order) from the engine's
    card."""
    return {
        "unit_id": inputs.unit_ids[card.unit],
        "agency_id": inputs.unit_ids[card.agency], "position": card.position,
        "task_group": card.task_group or "", "task_points": card.task_points,
        "general_points": card.general_points, "total": card.total,
        "grade": card.grade.value if card.grade else "",
        "grade_before_quota": (card.grade_before_quota.value
                               if card.grade_before_quota else ""),
        "quota_applied": card.quota_applied, "rubric_version": card.rubric_version,
        "engine_version": card.engine_version,
        "data": card.as_dict(),  # JSON-native already: compares equal to the stored JSON
    }


@transaction.atomic
def _store_scores(*, actor: Any, period: Period, reason: str, rubric: Any,
                  inputs: adapters.PeriodInputs, scores: Any,
                  caused_by: Any = None) -> ScoreResult:
    """Store the computed cards (`period_score`), the period locked."""
    period = _lock_period(period)
    _check_scorable(period)
    # What is stored, light: each card's content by digest (a month holds 100,000 cards).
    stored = {official_id: (pk, unit_id, content_digest(data), status)
              for official_id, pk, unit_id, data, status
              in ScoreCard.objects.filter(period=period).values_list(
                  "official_id", "pk", "unit_id", "data", "status").iterator(BULK_BATCH)}
    seen = {inputs.official_ids[card.official] for card in scores.cards}
    gone = [pk for official_id, (pk, _unit, _digest, _status) in stored.items()
            if official_id not in seen]
    ScoreCard.objects.filter(pk__in=gone).delete()
    created = updated = unchanged = 0
    notified = 0
    to_draft: list[str] = []
    unapproved: list[str] = []
    quota_only: list[str] = []
    #: (reviewer's user, card's official) of the reviews undone by another's run
    review_undone: list[tuple[int, int]] = []
    # Built and written a batch at a time: the rows and their JSON are let go as written;
    # new cards as plain rows (`core.inserts.insert_rows`: COPY on PostgreSQL).
    cards = scores.cards
    for start in range(0, len(cards), BULK_BATCH):
        new: list[tuple] = []
        changed: list[ScoreCard] = []
        was_confirmed: list[tuple[str, tuple, ScoreCard]] = []  # reviewed or approved
        for card in cards[start:start + BULK_BATCH]:
            official_id = inputs.official_ids[card.official]
            values = _card_values(card, inputs)
            data = values["data"]
            row = stored.get(official_id)
            if row is None:
                new.append((official_id, *(values[name] for name in CHANGED_FIELDS)))
            elif row[1] == values["unit_id"] and row[2] == content_digest(data):
                unchanged += 1
            else:  # changed: back to draft, its review undone (but see below)
                changed.append(ScoreCard(pk=row[0], **values, status=CardStatus.DRAFT,
                                         reviewed_by=None, approved_by=None))
                if row[3] != CardStatus.DRAFT:
                    was_confirmed.append((card.official, row, changed[-1]))
        # A reviewed or approved card whose own content is the same, only the quota's
        # outcome having changed, keeps its review; an approval is of the agency's grades,
        # so it is undone. Their stored JSON is read again, for these cards only.
        if was_confirmed:
            before = {pk: (data, reviewed_by) for pk, data, reviewed_by in ScoreCard.objects
                      .filter(pk__in=[row[0] for _code, row, _card in was_confirmed])
                      .values_list("pk", "data", "reviewed_by_id")}
        for code, row, update in was_confirmed:
            data, reviewed_by = before[row[0]]
            if row[1] != update.unit_id or content_digest(reviewed_content(data)) \
                    != content_digest(reviewed_content(update.data)):
                to_draft.append(code)
                if reviewed_by is not None and reviewed_by != getattr(caused_by, "pk", None):
                    review_undone.append((reviewed_by, inputs.official_ids[code]))
                continue
            update.status = CardStatus.REVIEWED
            update.reviewed_by_id = reviewed_by
            (unapproved if row[3] == CardStatus.APPROVED else quota_only).append(code)
        insert_rows(ScoreCard, NEW_CARD_FIELDS, new, period=period.pk,
                    status=CardStatus.DRAFT.value, self_points=None, self_note="",
                    reviewed_by=None, approved_by=None)
        ScoreCard.objects.bulk_update(changed, [*CHANGED_FIELDS, "status", "reviewed_by",
                                                "approved_by"])
        notified += _notify_self_score(period, [row[0] for row in new])
        created, updated = created + len(new), updated + len(changed)
    _notify_review_undone(period, review_undone, caused_by=caused_by)
    if period.status == PeriodStatus.OPEN:
        period.status = PeriodStatus.SCORING
    period.rubric_version = rubric.version
    period.engine_version = ENGINE_VERSION
    period.scored_at = timezone.now()
    # the exceptions the cards were computed with: those the inputs read (before this
    # transaction), not those in force now (`stale_cards_refusal` compares them)
    period.quota_basis = adapters.quota_basis(adapters.exceptions_for(inputs.exceptions,
                                                                      period))
    period.calendar_basis = dict(inputs.calendar_days)
    period.save(update_fields=["status", "rubric_version", "engine_version", "scored_at",
                               "quota_basis", "calendar_basis"])
    result = ScoreResult(period, created, updated, unchanged, len(gone), tuple(to_draft),
                         tuple(unapproved), tuple(quota_only), notified)
    audit_record(actor=actor, action="period.score", object_type="evaluations.period",
                 object_code=period.label, reason=reason,
                 changes={"created": created, "changed": updated,
                          "unchanged": unchanged, "removed": len(gone),
                          "to_draft": len(to_draft), "unapproved": len(unapproved),
                          "quota_only": len(quota_only),
                          "rubric": rubric.version, "engine": ENGINE_VERSION})
    return result


def _transition(period: Period, frm: Iterable[str], to: str) -> Period:
    period = _lock_period(period)
    if period.status == PeriodStatus.LOCKED and to != PeriodStatus.LOCKED:
        raise ServiceError(_("Period %(p)s is locked: its grades are final and it no longer "
                             "changes.") % {"p": period.name}, code="period_status")
    if period.status not in set(frm):
        raise ServiceError(
            _("Period %(p)s is %(s)s: this step is not possible now.")
            % {"p": period.name, "s": period.get_status_display()},
            code="period_status")
    period.status = to
    return period


@transaction.atomic
def period_start_review(*, actor: Any = None, period: Period, reason: str = "") -> Period:
    """Self-scoring ends; heads of unit review (scoring → review). Each leader who reviews
    cards is told which units' (`_notify_review`)."""
    if not can_manage_periods(_scope(actor)):
        raise _deny(_("Only the organisation board starts the review."))
    period = _transition(period, {PeriodStatus.SCORING}, PeriodStatus.REVIEW)
    period.save(update_fields=["status"])
    audit_record(actor=actor, action="period.review", object_type="evaluations.period",
                 object_code=period.label, reason=reason)
    _notify_review(period)
    return period


@transaction.atomic
def period_publish(*, actor: Any = None, period: Period, appeal_days: int = APPEAL_DAYS,
                   on: dt.date | None = None, reason: str = "") -> Period:
    """Publish the approved grades; appeals are accepted for `appeal_days` days. Every
    official with a card in the period is told their grade, with a link to their card."""
    if not can_manage_periods(_scope(actor)):
        raise _deny(_("Only the organisation board publishes the grades."))
    if appeal_days < 0:
        raise ServiceError(_("The appeal window cannot be negative."), code="appeal_days",
                           field="appeal_days")
    period = _transition(period, {PeriodStatus.APPROVED}, PeriodStatus.PUBLISHED)
    period.appeal_until = _today(on) + dt.timedelta(days=appeal_days)
    period.save(update_fields=["status", "appeal_until"])
    audit_record(actor=actor, action="period.publish", object_type="evaluations.period",
                 object_code=period.label, reason=reason,
                 changes={"appeal_until": period.appeal_until.isoformat()})
    _notify_published(period)
    return period


def lock_refusal(period: Period, *, on: dt.date | None = None,
                 appeals_pending: bool | None = None) -> ServiceError | None:
    """Why `period_lock` would refuse to lock the period on `on` (default today), or None
    when it would lock it: the period must be published, its appeal window over (appeals
    are accepted up to the end of `appeal_until`, so a window of 0 days runs to the end of
    the day of publication) and every appeal decided (`appeals_pending`: already counted,
    else one query). The period page asks this too, so it offers the lock only when the
    lock is accepted."""
    if period.status != PeriodStatus.PUBLISHED:
        return ServiceError(
            _("Period %(p)s is %(s)s: this step is not possible now.")
            % {"p": period.name, "s": period.get_status_display()},
            code="period_status")
    if period.appeal_until and _today(on) <= period.appeal_until:
        return ServiceError(
            _("Appeals are accepted until %(d)s: the period cannot be locked before.")
            % {"d": period.appeal_until.strftime("%d/%m/%Y")}, code="appeal_window_open")
    if appeals_pending is None:
        appeals_pending = Appeal.objects.filter(card__period=period,
                                                status=AppealStatus.PENDING).exists()
    if appeals_pending:
        return ServiceError(_("Some appeals are not decided yet."), code="appeals_pending")
    regraded = regraded_window(period, on=on)
    if regraded is not None:
        return ServiceError(
            _("An appeal's decision moved the grade of %(n)s official(s), who may appeal it "
              "until %(d)s: the period cannot be locked before.")
            % {"n": regraded[0], "d": regraded[1].strftime("%d/%m/%Y")},
            code="appeal_window_open")
    return None


def card_appeal_until(card: ScoreCard) -> dt.date | None:
    """The last day the card's official may appeal a grade another official's accepted
    appeal moved (`ScoreCard.regraded_at`), or None: `APPEAL_DAYS` days from that day,
    whatever the period's window."""
    return _regraded_until(card.regraded_at) if card.regraded_at is not None else None


def _regraded_until(moment: dt.datetime) -> dt.date:
    """The last day to appeal a grade moved at `moment`."""
    return timezone.localdate(moment) + dt.timedelta(days=APPEAL_DAYS)


def regraded_window(period: Period, *, on: dt.date | None = None
                    ) -> tuple[int, dt.date] | None:
    """How many of the period's officials may still appeal a grade an appeal moved, and
    until when (the latest of their days, `card_appeal_until`); None when nobody may. One
    query."""
    since = dt.datetime.combine(_today(on) - dt.timedelta(days=APPEAL_DAYS), dt.time.min,
                                tzinfo=timezone.get_current_timezone())
    found = ScoreCard.objects.filter(period=period, regraded_at__gte=since).aggregate(
        n=Count("pk"), last=Max("regraded_at"))
    if not found["n"]:
        return None
    return found["n"], _regraded_until(found["last"])


@transaction.atomic
def period_lock(*, actor: Any = None, period: Period, on: dt.date | None = None,
                reason: str = "") -> Period:
    """Lock the published period once the appeal window has passed and every appeal is
    decided (`lock_refusal`). A locked period is never scored or changed again."""
    if not can_manage_periods(_scope(actor)):
        raise _deny(_("Only the organisation board locks a period."))
    period = _lock_period(period)
    refusal = lock_refusal(period, on=on)
    if refusal is not None:
        raise refusal
    period.status = PeriodStatus.LOCKED
    period.save(update_fields=["status"])
    audit_record(actor=actor, action="period.lock", object_type="evaluations.period",
                 object_code=period.label, reason=reason)
    return period


# -- assessments and grounds ---------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentRow:
    """One official's general criteria as the assessor enters them."""

    official: Official
    general_points: Any
    reason: str = ""
    organising: Any = None
    uniting: Any = None
    #: who assessed (the importer names them; on screens it is the caller)
    assessor: Official | None = None


def _number(value: Any, *, low: Decimal, high: Decimal, field: str, code: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter a number."), code=code, field=field) from None
    if not number.is_finite() or not low <= number <= high:
        raise ServiceError(_("Enter a number from %(low)s to %(high)s.")
                           % {"low": low, "high": high}, code=code, field=field)
    return number


def _place_on(official: Official, day: dt.date) -> Membership | None:
    return (Membership.objects.select_related("unit")
            .filter(official=official, start__lte=day)
            .filter(Q(end__isnull=True) | Q(end__gte=day))
            .order_by("-start", "-id").first()
            or Membership.objects.select_related("unit").filter(official=official)
            .order_by("-start", "-id").first())


@dataclass(frozen=True)
class _Subject:
    official_id: int
    unit: Unit
    position: str


def _write_assessment(*, actor: Any, scope: Scope, period: Period, row: AssessmentRow,
                      check: bool = True) -> tuple[Assessment, bool]:
    points = _number(row.general_points, low=Decimal(0), high=GENERAL_MAX,
                     field="general_points", code="general_points")
    reason = (row.reason or "").strip()
    if points < GENERAL_MAX and not reason:
        raise ServiceError(_("A deduction of the general criteria needs a written reason."),
                           code="reason_required", field="reason")
    place = _place_on(row.official, period.end)
    if place is None:
        raise ServiceError(_("%(o)s works in no unit.") % {"o": row.official.code},
                           code="no_place", field="official")
    subject = _Subject(row.official.pk, place.unit, place.position)
    if check and not can_assess(scope, subject):
        raise _deny(_("You may not assess %(o)s.") % {"o": row.official.code})
    organising = uniting = None
    if place.position in LEADER_POSITIONS:
        for name in ("organising", "uniting"):
            value = getattr(row, name)
            if value in (None, ""):
                raise ServiceError(
                    _("%(o)s is a leader: rate their capacity to organise and to unite, "
                      "each from 0 to 1.") % {"o": f"{row.official.code} ({row.official.name})"},
                    code="leader_rating", field=name)
        organising = _number(row.organising, low=Decimal(0), high=Decimal(1),
                             field="organising", code="leader_rating")
        uniting = _number(row.uniting, low=Decimal(0), high=Decimal(1), field="uniting",
                          code="leader_rating")
    stored = Assessment.objects.filter(period=period, official=row.official).first()
    assessor_id = row.assessor.pk if row.assessor is not None else scope.official_id
    values = {"general_points": points, "reason": reason, "organising": organising,
              "uniting": uniting}
    if stored is not None and all(getattr(stored, k) == v for k, v in values.items()) \
            and (row.assessor is None or stored.assessor_id == row.assessor.pk):
        return stored, False
    before = None if stored is None else {
        "general_points": str(stored.general_points), "reason": stored.reason,
        "organising": None if stored.organising is None else str(stored.organising),
        "uniting": None if stored.uniting is None else str(stored.uniting)}
    if stored is None:
        stored = Assessment(period=period, official=row.official)
    for name, value in values.items():
        setattr(stored, name, value)
    stored.assessor_id = assessor_id or stored.assessor_id
    stored.save()
    audit_record(actor=actor, action="assessment.set", object_type="evaluations.assessment",
                 object_code=f"{period.label}/{row.official.code}", reason=reason,
                 changes={"before": before, "general_points": str(points),
                          "organising": str(organising) if organising is not None else None,
                          "uniting": str(uniting) if uniting is not None else None})
    return stored, True


@dataclass(frozen=True)
class AssessmentsSaved:
    """What `assessments_save` did: how many assessments changed, and the scoring run that
    followed (None when nothing was re-scored), which says whose review was undone."""

    changed: int
    scored: ScoreResult | None = None


@transaction.atomic
def assessments_save(*, actor: Any = None, period: Period, rows: Sequence[AssessmentRow],
                     rescore: bool = True) -> AssessmentsSaved:
    """Record the general criteria of several officials (the head's review screen), then
    re-score the period once. Refused, with nothing written, if any row is refused."""
    scope = _scope(actor)
    period = _lock_period(period)
    if period.status not in SCORABLE:
        raise ServiceError(_("Period %(p)s is %(s)s: assessments can no longer change.")
                           % {"p": period.name, "s": period.get_status_display()},
                           code="period_closed")
    changed = 0
    for row in rows:
        _assessment, did = _write_assessment(actor=actor, scope=scope, period=period, row=row)
        changed += did
    scored = None
    if changed and rescore and period.cards.exists():
        scored = period_score(actor=None, period=period, caused_by=actor,
                              reason=_("general criteria assessed"))
    return AssessmentsSaved(changed, scored)


def assessment_set(*, actor: Any = None, period: Period, official: Official,
                   general_points: Any, reason: str = "", organising: Any = None,
                   uniting: Any = None, rescore: bool = True) -> Assessment:
    """Record one official's general criteria (see `assessments_save`)."""
    assessments_save(actor=actor, period=period, rescore=rescore, rows=[AssessmentRow(
        official, general_points, reason, organising, uniting)])
    return Assessment.objects.get(period=period, official=official)


@transaction.atomic
def ground_record(*, actor: Any = None, kind: str = GroundKind.DISCIPLINE,
                  official: Official | None = None, unit: Unit | None = None, on: dt.date,
                  level: str = "", signal: str = "", reason: str = "",
                  confirmed: bool = True, withdrawn_because: str = "") -> Ground:
    """Record a KHT ground (S14): a discipline decision, a conclusion of degradation, a
    confirmed signal of the rubric's `kht_signals` (about an official), or corruption or
    waste dealt with in a unit. Only the organisation board and the administrator record
    them. A ground identical to one that counts (same kind, official, unit, day, level and
    signal, not withdrawn) is refused: it would count once anyway; correct the reason of
    the one recorded, or withdraw it first. `withdrawn_because` records a ground withdrawn
    at once, with that reason in the audit trail (an import of a withdrawn ground): it never
    counts, so it may be identical to one that does."""
    scope = _scope(actor)
    if not can_manage_periods(scope):
        raise _deny(_("Only the organisation board records discipline and KHT grounds."))
    _check_ground(kind=kind, official=official, unit=unit, level=level, signal=signal, on=on)
    _check_ground_reach(scope, official=official, unit=unit, on=on)
    if confirmed and not withdrawn_because:
        _check_ground_unique(kind=kind, official=official, unit=unit, on=on, level=level,
                             signal=signal)
    ground = Ground.objects.create(kind=kind, official=official, unit=unit, on=on, level=level,
                                   signal=signal, reason=reason.strip(),
                                   confirmed=confirmed and not withdrawn_because)
    audit_record(actor=actor, action="ground.record", object_type="evaluations.ground",
                 object_code=str(ground.pk), reason=reason,
                 changes={"kind": kind, "official": official.code if official else None,
                          "unit": unit.code if unit else None, "on": on.isoformat(),
                          "level": level, "signal": signal})
    if withdrawn_because and confirmed:
        audit_record(actor=actor, action="ground.withdraw", object_type="evaluations.ground",
                     object_code=str(ground.pk), reason=withdrawn_because,
                     changes={"confirmed": [True, False]})
    return ground


def _check_ground_unique(*, kind: str, official: Any, unit: Any, on: dt.date, level: str,
                         signal: str) -> None:
    """Refuse a ground identical to one that counts, naming that one. The subject's row is
    locked first, so two requests sent at once (a double click) cannot both pass."""
    subject = official if official is not None else unit
    list(type(subject).objects.select_for_update().filter(pk=subject.pk).values_list("pk"))
    found = (Ground.objects.filter(kind=kind, official=official, unit=unit, on=on, level=level,
                                   signal=signal, confirmed=True)
             .select_related("official", "unit").order_by("id").first())
    if found is not None:
        raise ServiceError(_ground_duplicate_message(found), code="ground_duplicate")


def _ground_duplicate_message(ground: Ground) -> str:
    """Why a ground identical to `ground` (which counts) is not recorded again."""
    who = ground.unit if ground.official_id is None else ground.official
    reason = (ground.reason if len(ground.reason) <= 80 else ground.reason[:79] + "…") or "—"
    return _("This ground is recorded already and counts: %(kind)s, %(subject)s, %(day)s, "
             "recorded at %(at)s (reason: “%(reason)s”). Correct the reason of that one, or "
             "withdraw it, rather than recording it again.") % {
        "kind": GroundKind(ground.kind).label, "subject": f"{who.name} ({who.code})",
        "day": ground.on.strftime("%d/%m/%Y"),
        "at": timezone.localtime(ground.recorded_at).strftime("%d/%m/%Y %H:%M"),
        "reason": reason}


@transaction.atomic
def ground_reason_set(*, actor: Any = None, ground: Ground, reason: str) -> Ground:
    """Correct the written reason of a recorded ground (board, administrator)."""
    scope = _scope(actor)
    if not can_manage_periods(scope):
        raise _deny(_("Only the organisation board records discipline and KHT grounds."))
    _check_ground_reach(scope, official=ground.official, unit=ground.unit, on=ground.on)
    before = ground.reason
    ground.reason = reason.strip()
    ground.save(update_fields=["reason"])
    audit_record(actor=actor, action="ground.reason", object_type="evaluations.ground",
                 object_code=str(ground.pk), reason=ground.reason, changes={"before": before})
    return ground


@transaction.atomic
def ground_withdraw(*, actor: Any = None, ground: Ground, reason: str) -> Ground:
    """Withdraw a ground recorded by mistake, or annulled (a discipline decision revoked):
    it stays listed, marked as not counting (`confirmed` false), and the written reason of
    the withdrawal is kept in the audit trail (board, administrator). The cards show it once
    their periods are scored again; a period already approved keeps its cards."""
    scope = _scope(actor)
    if not can_manage_periods(scope):
        raise _deny(_("Only the organisation board records discipline and KHT grounds."))
    _check_ground_reach(scope, official=ground.official, unit=ground.unit, on=ground.on)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Reason: write why the ground is withdrawn."),
                           code="reason_required", field="reason")
    ground = Ground.objects.select_for_update().get(pk=ground.pk)
    if not ground.confirmed:
        raise ServiceError(_("This ground does not count already: there is nothing to "
                             "withdraw."), code="ground_withdrawn")
    ground.confirmed = False
    ground.save(update_fields=["confirmed"])
    audit_record(actor=actor, action="ground.withdraw", object_type="evaluations.ground",
                 object_code=str(ground.pk), reason=reason,
                 changes={"confirmed": [True, False]})
    return ground


def ground_in_reach(scope: Scope, *, official: Any, unit: Any, on: dt.date) -> bool:
    """The board records, corrects and withdraws a ground only within the units it is
    granted: about a unit there (corruption or waste), or about an official who belonged to
    a unit there on the ground's day or belongs to one today. Having worked there once is
    not enough: a ground changes a grade in the unit where the official works."""
    return bool(grounds_in_reach(scope, [(official, unit, on)]))


def grounds_in_reach(scope: Scope, grounds: Sequence[tuple[Any, Any, dt.date]]
                     ) -> set[int]:
    """The indexes in `grounds` ((official, unit, day) each) that the caller may record,
    correct or withdraw (`ground_in_reach`), in one query for all of them."""
    if scope.is_admin:
        return set(range(len(grounds)))
    found = {i for i, (official, unit, _on) in enumerate(grounds)
             if official is None and unit is not None and scope.can_board_unit(unit)}
    officials = {official.pk for official, _u, _on in grounds if official is not None}
    if not officials or not scope.board_ranges:
        return found
    reach = subtrees_q(scope.board_ranges, "unit__")
    spans: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for official_id, start, end in Membership.objects.filter(
            reach, official_id__in=officials).values_list("official_id", "start", "end"):
        spans.setdefault(official_id, []).append((start, end))
    today = timezone.localdate()
    for i, (official, _unit, on) in enumerate(grounds):
        if official is not None and any(
                start <= day and (end is None or day <= end)
                for start, end in spans.get(official.pk, ()) for day in (on, today)):
            found.add(i)
    return found


def _check_ground_reach(scope: Scope, *, official: Any, unit: Any, on: dt.date) -> None:
    if not ground_in_reach(scope, official=official, unit=unit, on=on):
        raise _deny(_("The organisation board records, corrects and withdraws grounds only "
                      "about the units granted to it and the officials working there."))


def ground_signals(on: dt.date) -> frozenset[str]:
    """The signal codes a ground of kind "signal" dated `on` may name: those graded KHT
    (`Rubric.kht_signals`) by the rubrics that score the periods it counts in (the periods
    of its year that end on or after it); for a day no rubric scores, those of every
    registered rubric. Whether a confirmed signal record exists is not asked: documents
    from other systems carry grounds without our signal records."""
    from .rubrics import RUBRICS

    labels = [f"{on.year}-{month:02d}" for month in range(on.month, 13)]
    labels += [f"{on.year}-Q{quarter}" for quarter in range((on.month - 1) // 3 + 1, 5)]
    codes: set[str] = set()
    for label in [*labels, str(on.year)]:
        try:
            codes |= rubric_for(EnginePeriod.parse(label)).kht_signals
        except ServiceError:  # no rubric in force for that period
            continue
    return frozenset(codes or {c for rubric in RUBRICS.values() for c in rubric.kht_signals})


def ground_signal_refusal(signal: str, on: dt.date) -> str | None:
    """Why `signal` is not a signal a ground dated `on` may name, or None."""
    accepted = ground_signals(on)
    if signal in accepted:
        return None
    return _("Signal %(code)s does not make the grade KHT: the scoring rubric counts only "
             "%(codes)s.") % {"code": signal,
                               "codes": ", ".join(sorted(accepted, key=lambda c: (len(c), c)))}


def _check_ground(*, kind: str, official: Any, unit: Any, level: str, signal: str,
                  on: dt.date) -> None:
    from .choices import DisciplineLevel

    if kind not in GroundKind.values:
        raise ServiceError(_("Unknown ground “%(k)s”.") % {"k": kind}, code="ground_kind",
                           field="kind")
    if kind == GroundKind.CORRUPTION:
        if unit is None:
            raise ServiceError(_("Corruption or waste is recorded against a unit."),
                               code="ground_unit", field="unit")
    elif official is None:
        raise ServiceError(_("This ground is recorded against an official."),
                           code="ground_official", field="official")
    if kind == GroundKind.DISCIPLINE and level not in DisciplineLevel.values:
        raise ServiceError(_("Choose the discipline level."), code="ground_level",
                           field="level")
    if kind == GroundKind.SIGNAL and not signal:
        raise ServiceError(_("Name the confirmed signal (e.g. S14)."), code="ground_signal",
                           field="signal")
    if kind == GroundKind.SIGNAL and (refusal := ground_signal_refusal(signal, on)):
        raise ServiceError(refusal, code="ground_signal_unknown", field="signal")


# -- approved exceptions to the HTXS quota --------------------------------------------------

#: what the audit trail keeps of an exception (its content, in plain values)
EXCEPTION_FIELDS = ("agency", "valid_from", "valid_to", "share", "decision", "decided_on",
                    "reason")


def can_manage_quota_exception(scope: Scope, agency: Unit) -> bool:
    """Record, change or remove an exception to the HTXS quota of `agency`: the
    administrator, and the organisation board granted a unit that contains it."""
    return can_manage_periods(scope) and scope.can_board_unit(agency)


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _exception_facts(exception: QuotaException) -> dict[str, str]:
    return {"agency": exception.agency.code, "valid_from": exception.valid_from.isoformat(),
            "valid_to": exception.valid_to.isoformat(),
            "share": str(Decimal(exception.share).quantize(Decimal("0.0001"))),
            "decision": exception.decision, "decided_on": exception.decided_on.isoformat(),
            "reason": exception.reason}


def _rubric_share(valid_from: dt.date, valid_to: dt.date) -> Decimal:
    """The highest HTXS share of the rubrics that may score a period ending between the
    two days (the pinned one, else those in force by `valid_to`): an exception must raise
    it."""
    from .rubrics import RUBRICS

    pinned = getattr(settings, "THUOCDO_SCORING_RUBRIC", "") or ""
    rubrics = ([RUBRICS[pinned]] if pinned in RUBRICS else
               [r for r in RUBRICS.values() if r.effective_from <= valid_to]
               or list(RUBRICS.values()))
    share = max(r.quota_share for r in rubrics)
    return Decimal(share.numerator) / Decimal(share.denominator)


def _percent(share: Decimal) -> str:
    value = (share * 100).quantize(Decimal("0.01"))
    return number_format(value.quantize(Decimal(1)) if value == value.to_integral()
                         else value.normalize())


def _clean_exception(*, scope: Scope, agency: Unit, valid_from: dt.date, valid_to: dt.date,
                     share: Any, decision: str, decided_on: dt.date, reason: str,
                     on: dt.date | None = None) -> tuple[Decimal, str, str]:
    """Check an exception's content (the permission, the agency, the days, the share, the
    decision and the reason); returns the share, decision and reason as stored."""
    if not can_manage_periods(scope):
        raise _deny(_("Only the organisation board and the administrator record "
                      "exceptions to the HTXS quota."))
    if agency is None or not agency.is_agency:
        raise ServiceError(
            _("%(unit)s is not an agency: the HTXS quota is counted in agencies (a city, a "
              "province, a department, a district or a commune). Choose the agency the "
              "unit belongs to.") % {"unit": f"{agency.name} ({agency.code})"} if agency
            else _("Choose the agency."), code="exception_agency", field="agency")
    if not scope.can_board_unit(agency):
        raise _deny(_("The organisation board records exceptions to the HTXS quota only for "
                      "the agencies granted to it."))
    for name, day in (("valid_from", valid_from), ("valid_to", valid_to),
                      ("decided_on", decided_on)):
        if day is None or not year_in_range(day.year):
            raise ServiceError(_("Give a day of a year from %(first)s to %(last)s.")
                               % {"first": FIRST_YEAR, "last": LAST_YEAR},
                               code="exception_day", field=name)
    if valid_to < valid_from:
        raise ServiceError(
            _("The exception is in force until %(to)s, before the day it starts (%(from)s).")
            % {"to": _day(valid_to), "from": _day(valid_from)},
            code="exception_span", field="valid_to")
    if decided_on > _today(on):
        raise ServiceError(_("The decision's date %(d)s is in the future: record the "
                             "exception once it is approved.") % {"d": _day(decided_on)},
                           code="exception_decided_on", field="decided_on")
    decision = (decision or "").strip()
    if not decision:
        raise ServiceError(_("Decision number: write the number of the decision that "
                             "approved the exception (e.g. 15/QĐ-UBND)."),
                           code="exception_decision", field="decision")
    if len(decision) > QuotaException._meta.get_field("decision").max_length:
        raise ServiceError(_("Decision number: at most 64 characters."),
                           code="exception_decision", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Reason: write why the unit is outstanding, as the decision "
                             "says."), code="reason_required", field="reason")
    try:
        share = Decimal(str(share))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Give the HTXS share as a percentage of the final HTT."),
                           code="exception_share", field="share") from exc
    rubric = _rubric_share(valid_from, valid_to)
    if not share.is_finite() or share <= rubric or share > 1:
        raise ServiceError(
            _("An exception raises the HTXS quota: give a share above the rubric's "
              "%(rubric)s%% and at most 100%%.") % {"rubric": _percent(rubric)},
            code="exception_share", field="share")
    if share != share.quantize(Decimal("0.0001")):
        raise ServiceError(_("Give the share as a percentage with at most two decimals."),
                           code="exception_share", field="share")
    return share, decision, reason


def _periods_ending_in(spans: Iterable[tuple[dt.date, dt.date]]) -> QuerySet[Period]:
    """The periods ending on a day of `spans`, the earliest first."""
    ends = Q(pk__in=[])
    for start, end in spans:
        ends |= Q(end__gte=start, end__lte=end)
    return Period.objects.filter(ends).order_by("start", "kind")


def _first_fixed(periods: Iterable[Period], spans: Iterable[tuple[dt.date, dt.date]]
                 ) -> Period | None:
    """The first of `periods` (in their order) approved or later that ends on a day of
    `spans`, or None."""
    spans = list(spans)
    return next((p for p in periods if p.status not in SCORABLE
                 and any(start <= p.end <= end for start, end in spans)), None)


def _period_fixed_error(period: Period) -> ServiceError:
    return ServiceError(
        _("%(p)s is %(s)s: its cards are fixed, so no exception to the HTXS quota "
          "that applies to it may be added, changed or removed. An exception "
          "applies to the periods that end on one of its days.")
        % {"p": capfirst(period.name), "s": period.get_status_display().lower()},
        code="period_fixed", field="valid_from")


def quota_exception_fixed_periods(exceptions: Iterable[QuotaException]
                                  ) -> dict[int, Period]:
    """For each of `exceptions` that may be neither changed nor removed, the first period
    approved or later it applies to (ending on one of its days), by the exception's number;
    one query. The pages and the API ask it before offering a change
    (`quota_exception_fixed_refusal`); `quota_exception_change` and `_remove` refuse by the
    same rule (`_check_periods_open`)."""
    exceptions = list(exceptions)
    if not exceptions:
        return {}
    spans = [(e.valid_from, e.valid_to) for e in exceptions]
    fixed = list(_periods_ending_in(spans).exclude(status__in=SCORABLE))
    found = {e.pk: _first_fixed(fixed, [(e.valid_from, e.valid_to)]) for e in exceptions}
    return {pk: period for pk, period in found.items() if period is not None}


def quota_exception_fixed_refusal(exception: QuotaException) -> ServiceError | None:
    """Why `exception` may be neither changed nor removed now (`period_fixed`: a period it
    applies to is approved or later), or None. As `quota_exception_change` and `_remove`
    refuse it, without locking anything."""
    period = quota_exception_fixed_periods([exception]).get(exception.pk)
    return _period_fixed_error(period) if period is not None else None


def _check_periods_open(spans: Iterable[tuple[dt.date, dt.date]]) -> None:
    """Refuse when a period ending on a day of `spans` is approved or later: its cards are
    fixed (an appeal decides the quota again with the exceptions they were computed
    with), so an exception
    that applies to it is neither added, changed nor removed. The periods are locked, so
    an approval at the same moment waits for this change, or this change for it."""
    spans = list(spans)
    period = _first_fixed(list(_periods_ending_in(spans).select_for_update()), spans)
    if period is not None:
        raise _period_fixed_error(period)


def _check_no_overlap(*, agency: Unit, valid_from: dt.date, valid_to: dt.date,
                      exclude: int | None = None) -> None:
    """One exception per agency and day. The agency's row is locked first, so two
    requests sent at once cannot both pass."""
    list(Unit.objects.select_for_update().filter(pk=agency.pk).values_list("pk"))
    other = (QuotaException.objects.filter(agency=agency, valid_from__lte=valid_to,
                                           valid_to__gte=valid_from)
             .exclude(pk=exclude).order_by("valid_from").first())
    if other is not None:
        raise ServiceError(
            _("%(agency)s already has an exception to the HTXS quota in force from %(from)s "
              "to %(to)s (Decision No. %(decision)s of %(on)s): change that one, or give "
              "days outside it.")
            % {"agency": agency.name, "from": _day(other.valid_from),
               "to": _day(other.valid_to), "decision": other.decision,
               "on": _day(other.decided_on)},
            code="exception_overlap", field="valid_from")


@transaction.atomic
def quota_exception_record(*, actor: Any = None, agency: Unit, valid_from: dt.date,
                           valid_to: dt.date, share: Any, decision: str,
                           decided_on: dt.date, reason: str,
                           on: dt.date | None = None) -> QuotaException:
    """Record an approved exception for an outstanding unit (domain.md, "Quota"): in
    `agency`, the HTXS share `share` (a fraction: 0.3 for 30%) replaces the rubric's for
    every period ending from `valid_from` to `valid_to`, by the decision `decision` of
    `decided_on`, for `reason`. The board (within its agencies) and the administrator only.

    Refused: a unit that is not an agency; a share not above the rubric's (an exception
    raises the cap) or above 1; an end before the start; a decision dated after `on`
    (today); no decision number or reason; another exception of the agency in force on one
    of the days; a period ending on one of the days approved or later (`period_fixed`).
    The periods still scored show it once computed again."""
    scope = _scope(actor)
    share, decision, reason = _clean_exception(
        scope=scope, agency=agency, valid_from=valid_from, valid_to=valid_to, share=share,
        decision=decision, decided_on=decided_on, reason=reason, on=on)
    _check_periods_open([(valid_from, valid_to)])
    _check_no_overlap(agency=agency, valid_from=valid_from, valid_to=valid_to)
    exception = QuotaException.objects.create(
        agency=agency, valid_from=valid_from, valid_to=valid_to, share=share,
        decision=decision, decided_on=decided_on, reason=reason,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action="quota_exception.record",
                 object_type="evaluations.quotaexception", object_code=str(exception.pk),
                 reason=reason, changes=_exception_facts(exception))
    return exception


@transaction.atomic
def quota_exception_change(*, actor: Any = None, exception: QuotaException, agency: Unit,
                           valid_from: dt.date, valid_to: dt.date, share: Any,
                           decision: str, decided_on: dt.date, reason: str, why: str,
                           on: dt.date | None = None) -> QuotaException:
    """Correct a recorded exception (every field, checked as `quota_exception_record`
    does), with `why` written in the audit trail beside each value before and after.
    Refused also when a period ending on a day of the span before or after the change is
    approved or later. Nothing changed: nothing is written."""
    scope = _scope(actor)
    exception = QuotaException.objects.select_for_update().select_related("agency").get(
        pk=exception.pk)
    if not can_manage_quota_exception(scope, exception.agency):
        raise _deny(_("The organisation board records exceptions to the HTXS quota only for "
                      "the agencies granted to it."))
    share, decision, reason = _clean_exception(
        scope=scope, agency=agency, valid_from=valid_from, valid_to=valid_to, share=share,
        decision=decision, decided_on=decided_on, reason=reason, on=on)
    why = (why or "").strip()
    if not why:
        raise ServiceError(_("Write why the exception is changed."), code="reason_required",
                           field="why")
    before, span = _exception_facts(exception), (exception.valid_from, exception.valid_to)
    exception.agency, exception.valid_from, exception.valid_to = agency, valid_from, valid_to
    exception.share, exception.decision = share, decision
    exception.decided_on, exception.reason = decided_on, reason
    after = _exception_facts(exception)
    changes = {name: [before[name], after[name]] for name in EXCEPTION_FIELDS
               if before[name] != after[name]}
    if not changes:
        return exception
    _check_periods_open([span, (valid_from, valid_to)])
    _check_no_overlap(agency=agency, valid_from=valid_from, valid_to=valid_to,
                      exclude=exception.pk)
    exception.save()
    audit_record(actor=actor, action="quota_exception.change",
                 object_type="evaluations.quotaexception", object_code=str(exception.pk),
                 reason=why, changes=changes)
    return exception


@transaction.atomic
def quota_exception_remove(*, actor: Any = None, exception: QuotaException,
                           why: str) -> None:
    """Remove an exception recorded by mistake or annulled (the board within its agencies,
    the administrator): the audit trail keeps its content and `why`. Refused when a period
    ending on one of its days is approved or later."""
    scope = _scope(actor)
    exception = QuotaException.objects.select_for_update().select_related("agency").get(
        pk=exception.pk)
    if not can_manage_quota_exception(scope, exception.agency):
        raise _deny(_("The organisation board records exceptions to the HTXS quota only for "
                      "the agencies granted to it."))
    why = (why or "").strip()
    if not why:
        raise ServiceError(_("Write why the exception is removed."),
                           code="reason_required", field="why")
    _check_periods_open([(exception.valid_from, exception.valid_to)])
    facts, pk = _exception_facts(exception), exception.pk
    exception.delete()
    audit_record(actor=actor, action="quota_exception.remove",
                 object_type="evaluations.quotaexception", object_code=str(pk),
                 reason=why, changes=facts)


# -- cards: self-score, review, approval -------------------------------------------------


def self_score_refusal(card: ScoreCard, *, period: Period | None = None
                       ) -> ServiceError | None:
    """Why the card's official may not self-score now, or None: only while the period is
    being scored or reviewed, and before their general criteria are assessed (the
    self-score informs the assessment; once it is made, it no longer can). The card's page
    asks this before offering the form."""
    period = period or card.period
    if period.status not in {PeriodStatus.SCORING, PeriodStatus.REVIEW}:
        return ServiceError(_("Self-scoring is closed for %(p)s.") % {"p": period.name},
                            code="period_status")
    assessed = Assessment.objects.filter(period=period, official_id=card.official_id).first()
    if assessed is not None:
        return ServiceError(
            _("Your general criteria for %(p)s were already assessed on %(d)s: a self-score "
              "can no longer inform the assessment. If you disagree, appeal once the grades "
              "are published.") % {"p": period.name,
                                   "d": timezone.localtime(assessed.updated_at)
                                   .strftime("%d/%m/%Y")},
            code="already_assessed")
    return None


@transaction.atomic
def card_self_score(*, actor: Any, card: ScoreCard, general_points: Any, note: str = ""
                    ) -> ScoreCard:
    """The official's own proposal for their general criteria (advisory to the head), until
    the head has assessed them (`self_score_refusal`)."""
    if actor is None or getattr(actor, "official_id", None) != card.official_id:
        raise _deny(_("Only the official self-scores their card."))
    period = _lock_period(card.period)
    if (refused := self_score_refusal(card, period=period)) is not None:
        raise refused
    points = _number(general_points, low=Decimal(0), high=GENERAL_MAX,
                     field="general_points", code="general_points")
    card.self_points = points
    card.self_note = note.strip()
    card.save(update_fields=["self_points", "self_note"])
    audit_record(actor=actor, action="card.self_score", object_type="evaluations.card",
                 object_code=f"{period.label}/{card.official.code}", reason=card.self_note,
                 changes={"self_points": str(points)})
    return card


def to_review(cards: Iterable[ScoreCard]) -> list[ScoreCard]:
    """The cards among `cards` (those a head reviews: `assessable`) that confirming the
    review would make reviewed: the drafts. The review screen offers "confirm the review"
    and the API its `review` only while there is one; `unit_review` refuses otherwise."""
    return [c for c in cards if c.status == CardStatus.DRAFT]


@transaction.atomic
def unit_review(*, actor: Any, period: Period, unit: Unit, reason: str = "") -> int:
    """The head of `unit` confirms the review of the unit's cards that they may assess.
    Refused when none is left to review (`to_review`: nothing is audited), and until every
    such card has its general criteria assessed. Returns how many cards became reviewed;
    those who approve them are told (`_notify_approval`)."""
    scope = _scope(actor)
    period = _lock_period(period)
    if period.status != PeriodStatus.REVIEW:
        raise ServiceError(_("Period %(p)s is not under review.") % {"p": period.name},
                           code="period_status")
    cards = assessable(scope, ScoreCard.objects.select_related("unit", "official")
                       .filter(period=period, unit=unit))
    if not cards:
        raise _deny(_("You review no card of this unit."))
    todo = to_review(cards)
    if not todo:
        raise ServiceError(_("No card is left to review: every card of %(u)s you review is "
                             "already reviewed.") % {"u": unit.name},
                           code="nothing_to_review")
    # named as the other messages name people: "Lê Văn Cường (CG.STAFF)"
    missing = [f"{c.official.name} ({c.official.code})" for c in cards
               if c.general_points is None]
    if missing:
        raise ServiceError(_("Assess the general criteria of %(o)s first.")
                           % {"o": ", ".join(missing)}, code="not_assessed")
    for card in todo:
        card.status = CardStatus.REVIEWED
        card.reviewed_by = actor if getattr(actor, "pk", None) else None
    ScoreCard.objects.bulk_update(todo, ["status", "reviewed_by"], batch_size=BULK_BATCH)
    audit_record(actor=actor, action="unit.review", object_type="evaluations.period",
                 object_code=f"{period.label}/{unit.code}", reason=reason,
                 changes={"reviewed": [c.official.code for c in todo]})
    _notify_approval(period, unit, todo, reviewer_id=scope.official_id)
    return len(todo)


def not_reviewed(cards: Iterable[ScoreCard], agency: Unit) -> list[str]:
    """The codes of the officials whose cards of `agency` itself, among those to approve
    from its page, are not reviewed yet: `agency_approve` refuses while there are any (the
    ranking page says so instead of offering the approval). The cards of agencies below
    left for the level above (their heads') are approved with them once reviewed, and wait
    otherwise without holding the agency's approval back."""
    return [c.official.code for c in cards
            if c.status == CardStatus.DRAFT and c.agency_id == agency.pk]


def stale_cards_refusal(period: Period) -> ServiceError | None:
    """Why the period's cards may not be approved as they stand, or None: since it was
    last scored, an exception to the HTXS quota applying to it was recorded, changed or
    removed (`adapters.unapplied_exceptions`), so its cards hold the quota decided with the
    old share; or the working calendar of a day its scoring reads was corrected
    (`selectors.calendar_changes`, allowed while it is under review: decision 0007), so its
    cards count delays with the old calendar. Scoring it again applies both. The
    exception's services lock the period, so one written while this approval runs waits
    for it, and is then refused (`period_fixed`) if the period became approved."""
    reasons = []
    if unapplied := adapters.unapplied_exceptions(period):
        reasons.append(_("The exceptions to the HTXS quota of %(agencies)s changed after "
                         "%(p)s was last scored: its cards hold the quota decided before.")
                       % {"agencies": ", ".join(unapplied), "p": period.name})
    if days := selectors.calendar_changes(period=period):
        reasons.append(calendar_changed_text(period, days))
    if not reasons:
        return None
    return ServiceError(" ".join([*reasons, str(_("Score the period again, then approve."))]),
                        code="stale_cards")


def calendar_changed_text(period: Period, days: list[dt.date]) -> str:
    """The calendar corrected since `period` was last scored, in words."""
    return _("The working calendar of %(days)s was corrected after %(p)s was last scored: "
             "its cards count working days with the calendar before.") % {
        "days": ", ".join(f"{day:%d/%m/%Y}" for day in days), "p": period.name}


@transaction.atomic
def agency_approve(*, actor: Any, period: Period, agency: Unit, reason: str = "") -> int:
    """Approve, from the page of `agency`, every card there the caller may approve
    (`selectors.approval_cards`): the head of the agency approves its cards but their own,
    which is left for the head of a unit above or the organisation board; they approve the
    cards of the heads of agencies below. Every card of the agency itself must be reviewed;
    the heads' cards below are approved once reviewed (`not_reviewed`). Returns how many cards
    became approved. When every card of the period is approved, the period is approved."""
    scope = _scope(actor)
    period = _lock_period(period)
    cards, own = selectors.approval_cards(scope=scope, period=period, unit=agency)
    if not cards and not selectors.approves_agency(scope, agency):
        raise _deny(_("Only the head of %(a)s approves its cards.") % {"a": agency.name})
    if period.status != PeriodStatus.REVIEW:
        raise ServiceError(_("Period %(p)s is not under review.") % {"p": period.name},
                           code="period_status")
    if not cards:
        if own is not None:
            raise ServiceError(_("Nobody approves their own card: yours is approved by the "
                                 "head of a unit above or the organisation board."),
                               code="own_card")
        raise ServiceError(_("%(a)s has no card in %(p)s.") % {"a": agency.code,
                                                                "p": period.name},
                           code="no_cards")
    if (stale := stale_cards_refusal(period)) is not None:
        raise stale
    waiting = not_reviewed(cards, agency)
    if waiting:
        raise ServiceError(_("Not reviewed yet: %(o)s.") % {"o": ", ".join(waiting)},
                           code="not_reviewed")
    todo = [c for c in cards if c.status == CardStatus.REVIEWED]
    for card in todo:
        card.status = CardStatus.APPROVED
        card.approved_by = actor if getattr(actor, "pk", None) else None
    ScoreCard.objects.bulk_update(todo, ["status", "approved_by"], batch_size=BULK_BATCH)
    if not ScoreCard.objects.filter(period=period).exclude(
            status=CardStatus.APPROVED).exists():
        period.status = PeriodStatus.APPROVED
        period.save(update_fields=["status"])
    audit_record(actor=actor, action="agency.approve", object_type="evaluations.period",
                 object_code=f"{period.label}/{agency.code}", reason=reason,
                 changes={"approved": [c.official.code for c in todo],
                          "left_out": own.official.code if own is not None else None,
                          "period_status": period.status})
    return len(todo)


# -- appeals -----------------------------------------------------------------------------


def second_appeal_refusal(card: ScoreCard) -> ServiceError | None:
    """Why the card's official may not appeal it again, or None: one appeal per card
    (docs/scoring.md, "The procedure"): one pending is being decided, and a decided one
    stands (its decision is on the card)."""
    found = card.appeals.order_by("-filed_at", "-pk").first()
    if found is None:
        return None
    if found.status == AppealStatus.PENDING:
        return ServiceError(_("An appeal on this card is already pending."),
                            code="appeal_pending")
    if (card.regraded_at is not None and found.decided_at is not None
            and found.decided_at < card.regraded_at):
        return None  # another's appeal moved the grade since: the new grade is appealed
    return ServiceError(
        _("Your appeal on this card was decided on %(d)s (%(s)s): one appeal is accepted "
          "per card, and its decision stands.")
        % {"d": timezone.localtime(found.decided_at).strftime("%d/%m/%Y")
           if found.decided_at else "—", "s": found.get_status_display()},
        code="appeal_decided")


def appeal_refusal(period: Period, *, on: dt.date | None = None,
                   card: ScoreCard | None = None) -> ServiceError | None:
    """Why `appeal_file` would refuse an appeal on the period's cards (on `card`, when
    given) on `on` (default today), or None when appeals are accepted: on published
    grades, up to and including `appeal_until`, or, for a card whose grade another's
    appeal moved, up to `card_appeal_until`. The card's page asks this before offering to
    appeal."""
    if period.status == PeriodStatus.LOCKED:
        return ServiceError(_("Period %(p)s is locked: its grades are final and no appeal is "
                              "accepted any more.") % {"p": period.name},
                            code="period_locked")
    if period.status != PeriodStatus.PUBLISHED:
        return ServiceError(_("Appeals are accepted only on published grades."),
                            code="period_status")
    own = card_appeal_until(card) if card is not None else None
    if own is not None and _today(on) <= own:
        return None
    if period.appeal_until is not None and _today(on) > period.appeal_until:
        closed = max(period.appeal_until, own) if own is not None else period.appeal_until
        return ServiceError(_("The appeal window closed on %(d)s.")
                            % {"d": closed.strftime("%d/%m/%Y")},
                            code="appeal_window_closed")
    return None


@transaction.atomic
def appeal_file(*, actor: Any, card: ScoreCard, reason: str, on: dt.date | None = None
                ) -> Appeal:
    """The official appeals their published card, with a reason, within the window
    (`appeal_refusal`). Those who may decide it are told (`appeal_deciders`)."""
    if actor is None or getattr(actor, "official_id", None) != card.official_id:
        raise _deny(_("Only the official appeals their own card."))
    period = _lock_period(card.period)
    refusal = appeal_refusal(period, on=on, card=card)
    if refusal is not None:
        raise refusal
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why you appeal."), code="reason_required", field="reason")
    if (refused := second_appeal_refusal(card)) is not None:
        raise refused
    appeal = Appeal.objects.create(card=card, reason=reason, filed_by=actor)
    audit_record(actor=actor, action="appeal.file", object_type="evaluations.appeal",
                 object_code=str(appeal.pk), reason=reason)
    _notify_appeal_filed(appeal, card=card, period=period)
    return appeal


@transaction.atomic
def appeal_decide(*, actor: Any, appeal: Appeal, accepted: bool, reason: str,
                  general_points: Any = None) -> Appeal:
    """Decide an appeal, with a reason. An accepted appeal may correct the general criteria
    (`general_points`); the period's cards are then computed again (the quota included) and
    the published grades follow. An accepted appeal never worsens the appellant's card: a
    correction below the published general criteria, or one after which the card's total
    or grade would be lower, is refused and nothing is written.

    The appellant is told the decision. Another official whose final grade the re-scoring
    changes (the HTXS quota is decided for the whole agency: an appellant lifted to HTXS
    may push a colleague down to HTT) is told too, and the change is in the audit trail
    (`card.grade`) with the appeal as its reason."""
    card = ScoreCard.objects.select_related("agency", "unit", "official", "period").get(
        pk=appeal.card_id)
    published = card.general_points  # the general criteria the card had
    scope = _scope(actor)
    if not can_decide_appeal(scope, card):
        raise _deny(_("Only the head of the agency or the board decides this appeal."))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise ServiceError(_("This appeal was already decided."), code="appeal_decided")
    period = _lock_period(card.period)
    if period.status != PeriodStatus.PUBLISHED:
        raise ServiceError(_("Period %(p)s is %(s)s: appeals can no longer be decided.")
                           % {"p": period.name, "s": period.get_status_display()},
                           code="period_closed")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the decision."), code="reason_required",
                           field="reason")
    if general_points not in (None, "") and not accepted:
        raise ServiceError(_("Only an accepted appeal changes the points."),
                           code="appeal_points", field="general_points")
    points = None  # the corrected general criteria, read once
    if accepted and general_points not in (None, ""):
        points = _number(general_points, low=Decimal(0), high=GENERAL_MAX,
                         field="general_points", code="general_points")
        if card.general_points is not None and points < card.general_points:
            raise ServiceError(
                _("An accepted appeal cannot lower the appellant's general criteria: they are "
                  "%(now)s, the correction gives %(new)s.")
                % {"now": number_format(card.general_points, 2),
                   "new": number_format(points, 2)},
                code="appeal_worsens", field="general_points")
        if points == published:
            # the points the card has: no correction, nothing computed again (re-scoring
            # would read today's data and decide the quota again for a card that stays)
            points = None
    appeal.status = AppealStatus.ACCEPTED if accepted else AppealStatus.REJECTED
    appeal.decision = reason
    appeal.decided_by = actor if getattr(actor, "pk", None) else None
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    changes: dict[str, Any] = {"status": appeal.status}
    moved: list[GradeMove] = []
    if points is not None:
        stored = Assessment.objects.filter(period=period, official=card.official).first()
        # the deduction left keeps the assessment's written reason: the decision is the
        # appeal's (recorded on it, shown beside the card's appeals), not the deduction's
        kept = stored.reason if stored is not None and stored.reason else reason
        row = AssessmentRow(card.official, points, kept,
                            stored.organising if stored else None,
                            stored.uniting if stored else None)
        _write_assessment(actor=actor, scope=scope, period=period, row=row, check=False)
        moved = _rescore_for_appeal(period=period, card=card)
        changes["general_points"] = str(general_points)
        if moved:
            changes["grades_moved"] = {m.code: [m.before, m.after] for m in moved}
    audit_record(actor=actor, action="appeal.decide", object_type="evaluations.appeal",
                 object_code=str(appeal.pk), reason=reason, changes=changes)
    _record_grade_moves(actor=actor, appeal=appeal, card=card, period=period, moved=moved)
    _notify_appeal_decided(appeal, card=card, period=period, rescored=points is not None)
    return appeal


# -- notifications (thông báo) ------------------------------------------------------------
#
# Officials read their notifications through their user account (`User.official`): the
# recipient is the official, as for the task and signal notifications. They are written in
# the transaction of the change they tell of, in the installation's language, and each has a
# unique key, so nothing is told twice.


def _note(*, recipient_id: int, key: str, title: str, body: str, url: str,
          now: dt.datetime) -> Notification:
    return Notification(recipient_id=recipient_id, kind=NotificationKind.EVALUATION,
                        key=key, created_at=now, title=title[:255], body=body, url=url)


def _card_url(label: str, official_code: str) -> str:
    return reverse("evaluations:card_detail", kwargs={"label": label, "official": official_code})


def _appeal_url(appeal: Appeal) -> str:
    return reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})


def _points(value: Decimal | None) -> str:
    return "—" if value is None else number_format(value, 2)


def no_grade_reason(*, task_points: Any, general_points: Any, assigned: Any) -> str:
    """Why a card has no grade (no total and no KHT ground), in words for its official:
    no product assigned in the period (no task points, never 100), a leader's ratings or
    unit result missing, or the general criteria not assessed."""
    if task_points is None and assigned is None:
        return _("no product was assigned with an original deadline in the period, so there "
                 "are no task points (no data)")
    if task_points is None:
        return _("the task points could not be computed: the unit's result or the leader's "
                 "ratings of capacity to organise and to unite are missing")
    if general_points is None:
        return _("the general criteria were not assessed")
    return _("there is no total")


def appeal_deciders(card: ScoreCard, *, on: dt.date | None = None) -> list[int]:
    """The officials told of an appeal on `card`: those who decide it
    (`can_decide_appeal`), i.e. the current heads of the card's agency (the post vacant:
    its deputies approving in the head's place, unless the card is a deputy's of the
    agency) and the members of the organisation board over it whose account is an
    official's. Never the appellant; the administrator, who may decide any appeal, is not
    told of each."""
    day = _today(on)
    agency = card.agency
    heads = list(Membership.objects.filter(_current(day), unit=agency, position=Position.HEAD
                                           ).values_list("official_id", flat=True))
    if not heads and selectors.vacant_by_deputies() and not selectors.left_for_above(
            card.unit_id, card.agency_id, card.position, vacant=selectors.NO_HEAD):
        heads = list(Membership.objects.filter(_current(day), unit=agency,
                                               position=Position.DEPUTY)
                     .values_list("official_id", flat=True))
    board = ScopeGrant.objects.filter(
        _current(day), role=GrantRole.BOARD, unit__lft__lte=agency.lft,
        unit__rgt__gte=agency.rgt, user__is_active=True, user__official__isnull=False,
    ).values_list("user__official_id", flat=True)
    return [official_id for official_id in dict.fromkeys([*heads, *board])
            if official_id != card.official_id]


def _notify_appeal_filed(appeal: Appeal, *, card: ScoreCard, period: Period) -> int:
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Appeal to decide: %(name)s, %(p)s") % {"name": card.official.name,
                                                          "p": period.name}
        return insert_notifications(
            _note(recipient_id=official_id, key=f"evaluation:appeal:{appeal.pk}:{official_id}",
                  title=title, body=appeal.reason, url=_appeal_url(appeal), now=now)
            for official_id in appeal_deciders(card))


def _notify_appeal_decided(appeal: Appeal, *, card: ScoreCard, period: Period,
                           rescored: bool) -> int:
    """Tell the appellant the decision (accepted or rejected, and the card after an
    accepted correction)."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {"p": period.name}
        title = (_("Your appeal on %(p)s was accepted") if appeal.status == AppealStatus.ACCEPTED
                 else _("Your appeal on %(p)s was rejected")) % values
        body = _("Reason: %(reason)s") % {"reason": appeal.decision}
        after = ScoreCard.objects.get(pk=card.pk)
        values = {"total": _points(after.total), "grade": after.grade or "—"}
        if rescored:
            body += " " + _("Your card was computed again: %(total)s points, grade %(grade)s."
                            ) % values
        elif appeal.status == AppealStatus.ACCEPTED:
            body += " " + _("The general criteria stay as they were, and so does your card: "
                            "%(total)s points, grade %(grade)s.") % values
        return insert_notifications([_note(recipient_id=card.official_id,
                              key=f"evaluation:decided:{appeal.pk}:{card.official_id}",
                              title=title, body=body, url=_appeal_url(appeal),
                              now=timezone.now())])


def _notify_published(period: Period) -> int:
    """Tell every official with a card in the period their published grade, a batch of
    cards at a time."""
    now = timezone.now()
    total = 0
    until = period.appeal_until.strftime("%d/%m/%Y") if period.appeal_until else "—"
    rows = (ScoreCard.objects.filter(period=period).order_by("pk")
            .values_list("official_id", "official__code", "total", "grade", "task_points",
                         "general_points", "data__assigned")
            .iterator(BULK_BATCH))
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Grades of %(p)s published") % {"p": period.name}
        notes: list[Notification] = []
        for official_id, code, points, grade, task, general, assigned in rows:
            values = {"p": period.name, "grade": grade, "total": _points(points),
                      "until": until}
            if grade:
                body = _("Your grade for %(p)s: %(grade)s (%(total)s points). If you "
                         "disagree, you may appeal, with a reason, until %(until)s.") % values
            else:
                body = _("Your card for %(p)s has no grade: %(why)s. If you disagree, you "
                         "may appeal, with a reason, until %(until)s.") % {
                    **values, "why": no_grade_reason(task_points=task,
                                                     general_points=general,
                                                     assigned=assigned)}
            notes.append(_note(recipient_id=official_id,
                               key=f"evaluation:published:{period.pk}:{official_id}",
                               title=title, body=body, url=_card_url(period.label, code),
                               now=now))
            if len(notes) >= BULK_BATCH:
                total += insert_notifications(notes)
                notes = []
        return total + insert_notifications(notes)


def notified_count(period: Period, what: str) -> int:
    """How many officials have been told of `what` for the period: "self_score" (they can
    self-score), "review" (cards to review), "published" (their grade). The period page's
    message after an action says it."""
    return Notification.objects.filter(
        kind=NotificationKind.EVALUATION, key__startswith=f"evaluation:{what}:{period.pk}:"
    ).count()


def _batched(notes: Iterable[Notification]) -> int:
    """Insert notifications a batch at a time; how many were given."""
    total = 0
    batch: list[Notification] = []
    for note in notes:
        batch.append(note)
        if len(batch) >= BULK_BATCH:
            total += insert_notifications(batch)
            batch = []
    return total + insert_notifications(batch)


def _notify_self_score(period: Period, official_ids: list[int]) -> int:
    """Tell the officials whose cards were just created that they can self-score their
    general criteria, until their assessment is made (`self_score_refusal`); not those
    already assessed. Keys are unique: a run that creates no card tells nobody again."""
    if not official_ids:
        return 0
    assessed = set(Assessment.objects.filter(period=period, official_id__in=official_ids)
                   .values_list("official_id", flat=True))
    codes = dict(Official.objects.filter(pk__in=official_ids).values_list("pk", "code"))
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Self-score your general criteria for %(p)s") % {"p": period.name}
        body = _("Your score card for %(p)s was computed. You can now propose your own "
                 "general criteria (0–30) on your card, until your head assesses them.") % {
            "p": period.name}
        return _batched(
            _note(recipient_id=official_id,
                  key=f"evaluation:self_score:{period.pk}:{official_id}", title=title,
                  body=body, url=_card_url(period.label, codes[official_id]), now=now)
            for official_id in official_ids if official_id not in assessed)


def _notify_review_undone(period: Period, undone: list[tuple[int, int]], *,
                          caused_by: Any) -> int:
    """Tell each leader whose review a scoring run undid (the card's content changed: back
    to draft, `period_score`) that the card waits for them again, unless the run was
    theirs: a deputy's corrected assessment, or a board's re-scoring, must not leave a
    head believing the cards they reviewed still stand. One note per card and run."""
    if not undone:
        return 0
    reviewers = dict(User.objects.filter(pk__in={user for user, _official in undone},
                                         official__isnull=False)
                     .values_list("pk", "official_id"))
    officials = {pk: (code, name) for pk, code, name in Official.objects.filter(
        pk__in={o for _user, o in undone}).values_list("pk", "code", "name")}
    now = timezone.now()
    by = getattr(caused_by, "official", None) if getattr(caused_by, "pk", None) else None
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Review again: a card of %(p)s changed") % {"p": period.name}
        if by is not None:
            who = _("%(name)s (%(code)s)") % {"name": by.name, "code": by.code}
        elif getattr(caused_by, "pk", None):
            who = caused_by.full_name or caused_by.get_username()
        else:
            who = _("the system")

        def body(official_id: int) -> str:
            return _("The score card of %(name)s (%(code)s) for %(p)s, which you reviewed, "
                     "went back to draft when %(who)s scored the period again: its content "
                     "changed. Review it again.") % {
                "name": officials[official_id][1], "code": officials[official_id][0],
                "p": period.name, "who": who}

        return _batched(
            _note(recipient_id=reviewers[user],
                  key=f"evaluation:review_undone:{period.pk}:{official_id}:{now:%Y%m%d%H%M%S%f}",
                  title=title, body=body(official_id),
                  url=_card_url(period.label, officials[official_id][0]), now=now)
            for user, official_id in undone if user in reviewers)


class _Tree:
    """The units' parents, the current heads and deputies of each unit, and the officials
    on the organisation board (with an account linked to an official) with the range they
    cover: enough to find who reviews or approves a card without a query per card."""

    def __init__(self, day: dt.date):
        self.parent: dict[int, int | None] = {}
        self.range: dict[int, tuple[int, int]] = {}
        for pk, parent_id, lft, rgt in Unit.objects.values_list("pk", "parent_id", "lft",
                                                                  "rgt"):
            self.parent[pk] = parent_id
            self.range[pk] = (lft, rgt)
        self.heads: dict[int, list[int]] = {}
        self.deputies: dict[int, list[int]] = {}
        for unit_id, position, official_id in Membership.objects.filter(
                _current(day), position__in=list(LEADER_POSITIONS)).order_by(
                "unit_id", "official_id").values_list("unit_id", "position", "official_id"):
            (self.heads if position == Position.HEAD else self.deputies).setdefault(
                unit_id, []).append(official_id)
        self.board = list(ScopeGrant.objects.filter(
            _current(day), role=GrantRole.BOARD, user__is_active=True,
            user__official__isnull=False).values_list("unit__lft", "unit__rgt",
                                                      "user__official_id"))

    def _nearest_above(self, unit_id: int, found_in) -> list[int]:
        """`found_in(unit)` for the nearest unit strictly above `unit_id` where it is not
        empty; [] when none."""
        unit_id = self.parent.get(unit_id)
        while unit_id is not None:
            found = found_in(unit_id)
            if found:
                return found
            unit_id = self.parent.get(unit_id)
        return []

    def heads_above(self, unit_id: int) -> list[int]:
        """The heads of the nearest unit strictly above `unit_id` that has one, else its
        deputies (the nearest unit above with a leader); [] when none."""
        return self._nearest_above(
            unit_id, lambda unit: self.heads.get(unit) or self.deputies.get(unit))

    def leader_reviews(self, unit_id: int, position: str, official_id: int) -> bool:
        """Whether a leader other than `official_id` reviews the card of a leader of
        `position` in `unit_id`: for a deputy, the head of the unit; else a head or deputy
        of any unit above (`reviewed_by_board` is its negation, for one card)."""
        if position == Position.DEPUTY and any(
                other != official_id for other in self.heads.get(unit_id, ())):
            return True
        unit_id = self.parent.get(unit_id)
        while unit_id is not None:
            if any(other != official_id for other in (*self.heads.get(unit_id, ()),
                                                      *self.deputies.get(unit_id, ()))):
                return True
            unit_id = self.parent.get(unit_id)
        return False

    def board_over(self, unit_id: int) -> list[int]:
        lft, rgt = self.range[unit_id]
        return [official_id for b_lft, b_rgt, official_id in self.board
                if b_lft <= lft and rgt <= b_rgt]

    def leader_reviewers(self, unit_id: int, position: str) -> list[int]:
        """The leaders who review the cards of `position` in `unit_id` (`can_assess`):
        staff, the head of their unit (else its deputies); a deputy, the head of their
        unit; a head, and a deputy whose unit has no head, the leaders of the nearest unit
        above with one; [] when there is none (the board reviews)."""
        found: list[int] = []
        if position not in LEADER_POSITIONS:
            found = self.heads.get(unit_id) or self.deputies.get(unit_id) or []
        elif position == Position.DEPUTY:
            found = self.heads.get(unit_id) or []
        return found or self.heads_above(unit_id)

    def reviewers(self, unit_id: int, position: str) -> list[int]:
        """Who is told to review the cards of `position` in `unit_id`: the leaders who
        review them (`leader_reviewers`); failing those, the board over the unit."""
        return self.leader_reviewers(unit_id, position) or self.board_over(unit_id)

    def acting_heads(self, agency_id: int) -> list[int]:
        """Who approves the agency's cards inside it (`selectors.approving_units`): its
        heads; where the post is vacant and the deputies approve in the head's place, its
        deputies."""
        return self.heads.get(agency_id) or (self.deputies.get(agency_id, [])
                                             if selectors.vacant_by_deputies() else [])

    def acting_above(self, unit_id: int) -> list[int]:
        """Those who approve, in the nearest unit strictly above `unit_id` where somebody
        does (`acting_heads`), the cards left for the level above; [] when none."""
        return self._nearest_above(unit_id, self.acting_heads)

    def vacancy(self, agency_id: int) -> str | None:
        """`selectors.vacancies` of one agency, read from the tree."""
        if agency_id in self.heads:
            return None
        return selectors.NO_HEAD if agency_id in self.deputies else selectors.NO_LEADER

    def left_for_above(self, unit_id: int, agency_id: int, position: str) -> bool:
        """`selectors.left_for_above`, the vacancy read from the tree."""
        return selectors.left_for_above(unit_id, agency_id, position,
                                        vacant=self.vacancy(agency_id))

    def approvers(self, unit_id: int, agency_id: int, position: str) -> list[int]:
        """Who approves such a card (`selectors.can_approve`): the heads of its agency
        (`acting_heads`); for a card left for the level above (the card of a head of the
        agency; where the head post is vacant, of a deputy of the agency or, as set, any
        card of it), those who approve in the nearest unit above (`acting_above`) and the
        board over the agency."""
        if self.left_for_above(unit_id, agency_id, position):
            return list(dict.fromkeys([*self.acting_above(agency_id),
                                       *self.board_over(agency_id)]))
        return self.acting_heads(agency_id)


def review_tree(*, on: dt.date | None = None) -> _Tree:
    """The units, their leaders and the board on `on` (today), read once (three queries):
    who reviews and who approves which card, for many cards at a time
    (`selectors.cards_waiting`)."""
    return _Tree(_today(on))


def _review_url(label: str, unit_code: str) -> str:
    return reverse("evaluations:unit_review", kwargs={"label": label, "code": unit_code})


def _notify_review(period: Period) -> int:
    """When the review starts: tell each leader (or board member with an official) the
    units whose cards they review (`_Tree.reviewers`), one notification each, linking to
    the review screen (or to the period's page when there are several units)."""
    tree = _Tree(timezone.localdate())
    units: dict[int, dict[int, None]] = {}  # official → units, in the tree's order
    rows = (ScoreCard.objects.filter(period=period).values_list("unit_id", "position")
            .distinct().order_by("unit__lft", "position"))
    owners = dict(ScoreCard.objects.filter(period=period, position__in=list(
        LEADER_POSITIONS)).values_list("official_id", "unit_id"))
    for unit_id, position in rows:
        for official_id in tree.reviewers(unit_id, position):
            if position == Position.HEAD and owners.get(official_id) == unit_id:
                continue  # never their own card
            units.setdefault(official_id, {})[unit_id] = None
    names = {pk: (code, name) for pk, code, name in Unit.objects.filter(
        pk__in={u for found in units.values() for u in found}).values_list("pk", "code",
                                                                           "name")}
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Review of %(p)s: cards for you to review") % {"p": period.name}

        def notes():
            for official_id, found in units.items():
                listed = [names[u][1] for u in found]
                body = _("The review of %(p)s has started. Assess the general criteria "
                         "(a written reason for every deduction) and confirm the review of "
                         "the cards of: %(units)s.") % {"p": period.name,
                                                        "units": "; ".join(listed)}
                url = (_review_url(period.label, names[next(iter(found))][0])
                       if len(found) == 1 else period.get_absolute_url())
                yield _note(recipient_id=official_id,
                            key=f"evaluation:review:{period.pk}:{official_id}", title=title,
                            body=body, url=url, now=now)

        return _batched(notes())


def _notify_approval(period: Period, unit: Unit, cards: list[ScoreCard],
                     reviewer_id: int | None = None) -> int:
    """Cards of `unit` were just reviewed: tell those who approve them
    (`_Tree.approvers`), once per unit reviewed, with a link to the agency's ranking where
    the approval is given; not the reviewer (`reviewer_id`), who knows."""
    if not cards:
        return 0
    tree = _Tree(timezone.localdate())
    counts: dict[int, dict[int, int]] = {}  # approver → agency → cards
    for card in cards:
        for official_id in tree.approvers(card.unit_id, card.agency_id, card.position):
            if official_id not in (card.official_id, reviewer_id):
                by_agency = counts.setdefault(official_id, {})
                by_agency[card.agency_id] = by_agency.get(card.agency_id, 0) + 1
    agencies = dict(Unit.objects.filter(
        pk__in={a for found in counts.values() for a in found}).values_list("pk", "code"))
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Cards to approve: %(u)s, %(p)s") % {"u": unit.name, "p": period.name}
        notes = []
        for official_id, by_agency in counts.items():
            n = sum(by_agency.values())
            body = ngettext(
                "%(n)d card of %(u)s was reviewed for %(p)s and waits for your approval.",
                "%(n)d cards of %(u)s were reviewed for %(p)s and wait for your approval.",
                n) % {"n": n, "u": unit.name, "p": period.name}
            agency = agencies[next(iter(by_agency))]
            notes.append(_note(
                recipient_id=official_id,
                key=f"evaluation:approve:{period.pk}:{unit.pk}:{official_id}", title=title,
                body=body, url=reverse("evaluations:unit_ranking",
                                       kwargs={"label": period.label, "code": agency}),
                now=now))
        return insert_notifications(notes)


@dataclass(frozen=True)
class GradeMove:
    """Another official's final grade moved by the HTXS quota, decided again for their
    agency after an accepted appeal (`_rescore_for_appeal`)."""

    card_id: int
    official_id: int
    code: str
    before: str
    after: str


def _worsens(card: ScoreCard) -> ServiceError:
    return ServiceError(
        _("With the corrected general criteria the appellant's total or grade would fall "
          "below the published %(before)s, %(g)s: an accepted appeal must not worsen the "
          "card.")
        % {"before": number_format(card.total, 2) if card.total is not None else "—",
           "g": card.grade or "—"},
        code="appeal_worsens", field="general_points")


def _rescore_for_appeal(*, period: Period, card: ScoreCard) -> list[GradeMove]:
    """After an accepted correction of the appellant's general criteria (already written):
    the appellant's card computed again by the engine, and the HTXS quota decided again
    over the cards of their agency. Every other card keeps its content as published, even
    if the work's data changed since (the appeal is about the appellant): only its quota
    outcome may move, and each move is returned. Refused (`appeal_worsens`, nothing kept)
    when the appellant's total or grade would fall below the published ones.

    The appellant's card keeps the KHT grounds it was published with (an approved period
    keeps its cards): a ground recorded, or a signal record confirmed, since it was scored
    is no business of the appeal, which corrects the general criteria only. So the fresh
    inputs keep only the grounds the stored card's `overrides` cite (`ground:<id>`,
    `signal:<id>`).

    The quota takes the exceptions the stored cards were computed with
    (`adapters.scored_exceptions`), never those recorded since: an appeal moves no other
    official's grade but for the appellant's own correction."""
    engine_period = EnginePeriod.parse(period.label)
    rubric = rubric_for(engine_period)
    inputs = adapters.period_inputs(engine_period)
    cited = {o.get("ref") for o in (card.data or {}).get("overrides", ()) if o.get("ref")}
    inputs = replace(inputs, grounds=tuple(g for g in inputs.grounds if g.ref in cited))
    with collector_paused():
        scores = adapters.score(inputs, rubric)
    fresh = next((c for c in scores.cards if c.official == card.official.code), None)
    if fresh is None:  # no longer placed in the period: nothing to correct
        raise _worsens(card)
    others = {data["official"]: (pk, official_id, data) for pk, official_id, data in
              ScoreCard.objects.filter(period=period, agency__code=fresh.agency)
              .exclude(pk=card.pk).values_list("pk", "official_id", "data")
              .iterator(BULK_BATCH)}
    final = {c.official: c for c in apply_quota(
        [adapters.before_quota(fresh)]
        + [adapters.stored_before_quota(data) for _pk, _id, data in others.values()],
        rubric, adapters.scored_exceptions(period))[0]}
    mine = final[fresh.official]
    if _worse((card.total, card.grade), (mine.total, mine.grade.value if mine.grade else "")):
        raise _worsens(card)  # inside the transaction: the decision and correction undone
    ScoreCard.objects.filter(pk=card.pk).update(**_card_values(mine, inputs))
    moved, changed = [], []
    for code, (pk, official_id, data) in others.items():
        decided = final[code].as_dict()
        outcome = {key: decided[key] for key in (*QUOTA_KEYS, "reasons")}
        if all(data.get(key) == value for key, value in outcome.items()):
            continue
        changed.append(ScoreCard(pk=pk, grade=outcome["grade"] or "",
                                 quota_applied=outcome["quota_applied"],
                                 data={**data, **outcome}))
        if (outcome["grade"] or "") != (data.get("grade") or ""):
            moved.append(GradeMove(pk, official_id, code, data.get("grade") or "",
                                   outcome["grade"] or ""))
    ScoreCard.objects.bulk_update(changed, ["grade", "quota_applied", "data"],
                                  batch_size=BULK_BATCH)
    return moved


def _record_grade_moves(*, actor: Any, appeal: Appeal, card: ScoreCard, period: Period,
                        moved: list[GradeMove]) -> None:
    """The audit entry of each moved card, with the appeal as the reason, and the
    notification of its official."""
    if not moved:
        return
    now = appeal.decided_at or timezone.now()
    # their own window to appeal the new grade (`card_appeal_until`)
    ScoreCard.objects.filter(pk__in=[m.card_id for m in moved]).update(regraded_at=now)
    until = _regraded_until(now)
    notes = []
    with translation.override(settings.LANGUAGE_CODE):
        for move in moved:
            values = {"p": period.name, "before": move.before or "—",
                      "after": move.after or "—", "n": appeal.pk, "o": card.official.code,
                      "until": until.strftime("%d/%m/%Y")}
            audit_record(
                actor=actor, action="card.grade", object_type="evaluations.card",
                object_code=f"{period.label}/{move.code}",
                reason=_("Appeal %(n)s of %(o)s accepted: the HTXS quota of the agency was "
                         "decided again and moved this grade.") % values,
                changes={"grade": [move.before, move.after], "appeal": appeal.pk})
            body = _("An appeal in your agency was accepted for %(p)s and the HTXS quota, "
                     "decided for the whole agency, was applied again: your grade changed "
                     "from %(before)s to %(after)s. Your card's content is unchanged. You "
                     "may appeal the new grade until %(until)s.") % values
            notes.append(_note(
                recipient_id=move.official_id,
                key=f"evaluation:grade:{appeal.pk}:{move.card_id}:{move.official_id}",
                title=_("Your grade for %(p)s changed: %(before)s → %(after)s") % values,
                body=body, url=_card_url(period.label, move.code), now=now))
    insert_notifications(notes)
