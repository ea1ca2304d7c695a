"""A quarter rolls up each month's card as its agency approved it (THUOCDO_ROLLUP_MONTHS,
default "approved"): a decision given after the approval (here an initiative protected
by an S15, which takes an unfinished task out of September) changes neither September nor the
quarter built on it; with "live" the quarter computes September again and takes it."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.evaluations import services
from thuocdo.evaluations.choices import CardStatus
from thuocdo.evaluations.models import ScoreCard
from thuocdo.tasks.tests.api_routes import make_task

from .test_protected_initiative import decide_initiative

pytestmark = pytest.mark.django_db


def _september_approved_then_protected(world):
    task = make_task(world, code="T-SK", days_ago=60, due_in=-30)
    task.due = dt.date(2026, 9, 21)  # September's, whatever today is
    task.save(update_fields=["due"])
    board = world.user("board")
    september = services.period_open(actor=board, label="2026-09")
    services.period_score(actor=board, period=september)
    ScoreCard.objects.filter(period=september).update(status=CardStatus.APPROVED)
    card = ScoreCard.objects.get(period=september, official__code="CG.STAFF")
    assert card.task_points == 0  # the task left unfinished at September's close
    # after the approval, the unfinished task is found to be a protected initiative
    decide_initiative(world, task, "accept", on=dt.date(2026, 9, 1))
    quarter = services.period_open(actor=board, label="2026-Q3")
    services.period_score(actor=board, period=quarter)
    return card, ScoreCard.objects.get(period=quarter, official__code="CG.STAFF")


def test_the_quarter_keeps_the_approved_month(world):
    september, quarter = _september_approved_then_protected(world)
    assert quarter.task_points == 0
    assert quarter.data["months"][-1] == ["2026-09", 0.0]
    assert quarter.data["tasks"] == september.data["tasks"]
    assert [d["kind"] for d in quarter.data["deductions"]] == ["not_completed"]
    assert quarter.data["months_approved"] == ["2026-09"]  # the card records what it took


def test_live_recomputes_the_month(world, settings):
    settings.THUOCDO_ROLLUP_MONTHS = "live"
    _september, quarter = _september_approved_then_protected(world)
    assert quarter.task_points is None  # the protected initiative no longer counts
    assert quarter.data["deductions"] == []
    assert "months_approved" not in quarter.data


def test_a_month_not_approved_is_computed_afresh(world):
    task = make_task(world, code="T-SK", days_ago=60, due_in=-30)
    task.due = dt.date(2026, 9, 21)
    task.save(update_fields=["due"])
    board = world.user("board")
    september = services.period_open(actor=board, label="2026-09")
    services.period_score(actor=board, period=september)
    # a stored draft with other content is not what the quarter reads
    card = ScoreCard.objects.get(period=september, official__code="CG.STAFF")
    card.data = {**card.data, "task_points": 12.5}
    card.save(update_fields=["data"])
    quarter = services.period_open(actor=board, label="2026-Q3")
    services.period_score(actor=board, period=quarter)
    assert ScoreCard.objects.get(period=quarter, official__code="CG.STAFF").task_points == 0


def test_the_months_table_says_what_the_card_took_not_what_stands_now(world):
    """A quarter computed while September was a draft took it as computed; approved later,
    the card still says so (it is what the card's T was computed from), until the quarter
    is computed again (a review found the table read today's status instead)."""
    from thuocdo.evaluations.card_sheets import month_rows

    task = make_task(world, code="T-SK", days_ago=60, due_in=-30)
    task.due = dt.date(2026, 9, 21)
    task.save(update_fields=["due"])
    board = world.user("board")
    september = services.period_open(actor=board, label="2026-09")
    services.period_score(actor=board, period=september)
    quarter = services.period_open(actor=board, label="2026-Q3")
    services.period_score(actor=board, period=quarter)
    ScoreCard.objects.filter(period=september).update(status=CardStatus.APPROVED)
    card = ScoreCard.objects.get(period=quarter, official__code="CG.STAFF")
    rows = {row.label: row for row in month_rows(card, {"2026-09": CardStatus.APPROVED})}
    assert rows["2026-09"].status == CardStatus.APPROVED
    assert not rows["2026-09"].as_approved
    services.period_score(actor=board, period=quarter)
    card.refresh_from_db()
    rows = {row.label: row for row in month_rows(card, {"2026-09": CardStatus.APPROVED})}
    assert rows["2026-09"].as_approved
