"""What waits for a user among the signals (`selectors.decide_q`, `selectors.explain_q`):
the same rule in SQL as the services' (`services.can_decide`, `services.can_explain`), and
the signal list's "waiting for you" filter listing exactly those signals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability import selectors, services
from thuocdo.accountability.models import SignalRecord, SignalStep
from thuocdo.core.scope import scope_for
from thuocdo.measure.history import local_day

from .helpers import member, today_month

pytestmark = pytest.mark.django_db


def _signal(world, key: str, *, unit: str, official: str | None, status: str,
            due_in: int | None = None, escalate_to: str | None = None) -> SignalRecord:
    now = timezone.now()
    today = local_day(now)
    return SignalRecord.objects.create(
        key=key, code="S8", period=today_month(), raised_on=today, subject_kind="person",
        unit=world.units[unit], official=world.officials[official] if official else None,
        escalate_to=world.units[escalate_to] if escalate_to else None,
        explanation="Im lặng", first_seen=now, last_seen=now, status=status,
        explanation_due=today + dt.timedelta(days=due_in) if due_in is not None else None)


@pytest.fixture
def many_signals(world):
    """Signals about every kind of subject in every state a decision depends on: naming
    staff, a deputy, a head, nobody (a unit), escalated; explained, requested and overdue,
    requested and not due yet, requested with no due day, open, decided; one explained by
    the head himself."""
    member(world, "DV.DEP", unit="HN.CG.DV", position="deputy")
    subjects = [("HN.CG.VP", "CG.STAFF", None), ("HN.CG", "CG.DEP", None),
                ("HN.CG", "CG.HEAD", None), ("HN.CG", None, None), ("HN.CG.DV", None, None),
                ("HN.CG.DV", "DV.DEP", None), ("HN.CG.DV", "DV.HEAD", "HN.CG"),
                ("HN.BD.VP", "BD.STAFF", None), ("HN.CG.VP", "CG.STAFF2", None)]
    states = [("explained", None), ("requested", -2), ("requested", 3), ("requested", None),
              ("open", None), ("confirmed", None)]
    signals = [_signal(world, f"{unit}|{official}|{status}|{due}", unit=unit,
                       official=official, status=status, due_in=due, escalate_to=escalate)
               for unit, official, escalate in subjects for status, due in states]
    # the head explained one about his deputy's work (he answers for it: never decides it)
    explained = next(s for s in signals if s.official_id == world.officials["CG.DEP"].pk
                     and s.status == "explained")
    SignalStep.objects.create(signal=explained, action="explain", at=timezone.now(),
                              by=world.user("head"), text="Tôi giải trình thay")
    return signals


def test_the_waiting_decisions_are_the_services_rule_in_sql(world, many_signals):
    """For every user of the world (the administrator apart), the signals `decide_q`
    selects are exactly those the services let them decide today and they may read; those
    `explain_q` selects, exactly the requested ones they may explain."""
    from thuocdo.accounts.models import User

    today = timezone.localdate()
    checked = 0
    for user in User.objects.filter(is_superuser=False):
        scope = scope_for(user)
        readable = list(SignalRecord.objects.filter(selectors.signal_scope_q(scope))
                        .select_related("unit__parent", "escalate_to", "official"))
        answering = selectors.answering_for(scope, day=today)
        decide = set(SignalRecord.objects.filter(
            selectors.signal_scope_q(scope),
            selectors.decide_q(scope, day=today, answering=answering))
            .values_list("pk", flat=True))
        assert decide == {s.pk for s in readable if services.can_decide(user, s, today=today)
                          }, user.email
        explain = set(SignalRecord.objects.filter(
            selectors.signal_scope_q(scope), selectors.explain_q(scope, answering=answering))
            .values_list("pk", flat=True))
        assert explain == {s.pk for s in readable if s.status == "requested"
                           and services.can_explain(user, s)}, user.email
        checked += bool(decide) + bool(explain)
    assert checked >= 4  # the rule was tried on something


def test_the_list_filter_and_the_counts_agree(world, many_signals, client_for):
    """The signal list filtered to "waiting for you: your decision" (or explanation) lists
    what `waiting_for` counts, and says so in its filter."""
    for role in ("head", "deputy", "board", "staff", "inspector"):
        user = world.user(role)
        waiting = selectors.waiting_for(scope=scope_for(user), today=timezone.localdate())
        client = client_for(user)
        for value, count in (("decide", waiting.to_decide), ("explain", waiting.to_explain)):
            response = client.get(reverse("accountability:signal_list"), {"waiting": value})
            assert response.status_code == 200
            assert response.context["page"].paginator.count == count, (role, value)
            assert response.context["form"]["waiting"].value() == value
    head = selectors.waiting_for(scope=scope_for(world.user("head")),
                                 today=timezone.localdate())
    assert head.to_decide and head.to_explain
    assert selectors.waiting_for(scope=scope_for(world.user("inspector")),
                                 today=timezone.localdate()).to_decide == 0


def test_explanations_asked_of_the_head_of_a_unit_are_his(world, client_for):
    """The list's box of explanations asked of the caller includes a signal about the unit
    he heads with nobody named (he explains it), not only those naming him."""
    signal = _signal(world, "unit", unit="HN.CG", official=None, status="requested",
                     due_in=2)
    response = client_for(world.user("head")).get(reverse("accountability:signal_list"))
    assert [s.pk for s in response.context["waiting"]] == [signal.pk]
