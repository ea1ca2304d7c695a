"""Who the board reviews, for many cards at once: the same answer as card by card
(`reviewed_by_board`), in a fixed number of queries (a city's ranking has thousands of
leaders' cards)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from thuocdo.evaluations import services
from thuocdo.org import services as org_services
from thuocdo.org.models import Membership

pytestmark = pytest.mark.django_db


def _places() -> list[SimpleNamespace]:
    """A card-like place for every membership current today."""
    today = timezone.localdate()
    return [SimpleNamespace(official_id=m.official_id, unit=m.unit, position=m.position)
            for m in Membership.objects.select_related("unit")
            if m.start <= today and (m.end is None or m.end >= today)]


def _one_by_one(places) -> set[int]:
    return {p.official_id for p in places if services.reviewed_by_board(p)}


def test_many_at_once_answer_as_one_by_one(world):
    places = _places()
    # the city has no head: the head of Cầu Giấy is the board's to review; her deputy is
    # the head's, the commune's head is the district's leaders'
    assert services.board_reviewed_officials(places) == _one_by_one(places) == {
        world.officials["CG.HEAD"].pk}
    # the head's post falls vacant: the deputy, with nobody above, is the board's too
    head = Membership.objects.get(official=world.officials["CG.HEAD"], end__isnull=True)
    org_services.membership_end(membership=head, end=timezone.localdate() - dt.timedelta(days=1))
    places = _places()
    assert services.board_reviewed_officials(places) == _one_by_one(places) == {
        world.officials["CG.DEP"].pk}


def test_a_board_member_checks_many_cards_in_a_fixed_number_of_queries(world):
    from thuocdo.core.scope import scope_for

    scope = scope_for(world.user("board"))
    places = _places()
    with CaptureQueriesContext(connection) as few:
        mine = services.assessable(scope, places)
    with CaptureQueriesContext(connection) as many:
        services.assessable(scope, places * 20)
    assert len(many) == len(few)
    assert {p.official_id for p in mine} == {world.officials["CG.HEAD"].pk}
