"""A protected initiative (S15, decided "protected") is not held against its official
(domain.md, S15; `adapters.protected_initiatives`): the October card of Cầu Giấy's staff
member does not count the initiative left unfinished, and counts it again when the same
initiative is not protected."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.accountability import services as signals
from thuocdo.evaluations import services
from thuocdo.evaluations.models import ScoreCard
from thuocdo.tasks.tests.api_routes import make_task

from .test_services import LABEL

pytestmark = pytest.mark.django_db


def decide_initiative(world, task, decision: str, *, on: dt.date) -> None:
    """Cầu Giấy's staff member's `task` recorded as an initiative (S15) on `on`, explained,
    and decided by the head: "accept" (protected) or "confirm" (not protected)."""
    signal = signals.signal_record(user=world.user("inspector"), code="S15",
                                   official=world.officials["CG.STAFF"],
                                   on=on, text="Thí điểm một cửa số", task=task)
    head = world.user("head")
    signals.signal_request_explanation(signal=signal, user=head, text="Trình bày động cơ")
    signals.signal_explain(signal=signal, user=world.user("staff"), text="Vì người dân")
    signals.signal_decide(signal=signal, user=head, decision=decision, text="Quyết định")


def _initiative(world, decision: str):
    task = make_task(world, code="T-SK", days_ago=60, due_in=-30)
    task.due = dt.date(2026, 10, 20)  # October's, whatever today is
    task.save(update_fields=["due"])
    decide_initiative(world, task, decision, on=dt.date(2026, 10, 1))
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return ScoreCard.objects.get(period=period, official__code="CG.STAFF")


def test_a_protected_initiative_left_unfinished_is_not_counted(world):
    card = _initiative(world, "accept")
    assert card.task_points is None  # nothing else assigned: no data, never 100
    assert "không được giao sản phẩm" in " ".join(card.data["reasons"])


def test_an_initiative_not_protected_counts_as_unfinished(world):
    card = _initiative(world, "confirm")
    assert card.task_points == 0
    assert [d["kind"] for d in card.data["deductions"]] == ["not_completed"]
