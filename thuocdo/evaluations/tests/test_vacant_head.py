"""Approval where an agency's head post is vacant (THUOCDO_VACANT_HEAD_APPROVAL,
docs/scoring.md "The procedure"): by default its deputies approve in the head's place, their
own cards going to the level above; with "above", the level above approves every card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import PermissionDeniedError
from thuocdo.core.scope import scope_for
from thuocdo.core.testing import PASSWORD
from thuocdo.evaluations import selectors, services
from thuocdo.evaluations.models import ScoreCard
from thuocdo.org import services as org
from thuocdo.org.models import Membership

from .test_services import LABEL, _review_everything, assess

pytestmark = pytest.mark.django_db


@pytest.fixture
def vacant(world):
    """2026-10 of the test world with a second deputy in HN.CG (CG.DEP2), every card
    reviewed; then the head of HN.CG (CG.HEAD) leaves the post: nobody heads it today."""
    official = org.official_create(code="CG.DEP2", name="Vũ Văn Hải", email="dep2@example.vn")
    org.membership_start(official=official, unit=world.units["HN.CG"], position="deputy",
                         task_group=world.groups["TH"], start=dt.date(2026, 1, 1))
    world.officials["CG.DEP2"] = official
    world.users["deputy2"] = accounts.user_create(email=official.email, password=PASSWORD,
                                                  official=official)
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    assess(world, "head", "CG.DEP2", 30, organising=1, uniting=1)
    _review_everything(world, period)
    membership = Membership.objects.get(official__code="CG.HEAD", unit=world.units["HN.CG"])
    org.membership_end(membership=membership,
                       end=timezone.localdate() - dt.timedelta(days=1), reason="nghỉ hưu")
    period.refresh_from_db()
    return period


def _card(code):
    return ScoreCard.objects.select_related("official", "unit", "agency").get(
        period__label=LABEL, official__code=code)


def _approvable(world, who):
    cards, _own = selectors.approval_cards(scope=scope_for(world.user(who)),
                                           period=_card("CG.STAFF").period,
                                           unit=world.units["HN.CG"])
    return sorted(c.official.code for c in cards)


def test_the_deputies_approve_in_the_vacant_heads_place_but_not_each_other(world, vacant):
    # in the head's place, also the card of the head of the agency below (HN.CG.DV)
    assert _approvable(world, "deputy") == ["CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    assert _approvable(world, "deputy2") == ["CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    scope = scope_for(world.user("deputy"))
    assert selectors.approves_agency(scope, world.units["HN.CG"])
    assert not selectors.can_approve(scope, _card("CG.DEP2"))
    assert not selectors.can_approve(scope, _card("CG.HEAD"))
    assert services.agency_approve(actor=world.user("deputy"), period=vacant,
                                   agency=world.units["HN.CG"]) == 3
    assert {c.official.code: c.status for c in ScoreCard.objects.filter(
        period=vacant, unit__code__startswith="HN.CG").select_related("official")} == {
        "CG.STAFF": "approved", "CG.STAFF2": "approved", "CG.HEAD": "reviewed",
        "CG.DEP": "reviewed", "CG.DEP2": "reviewed", "DV.HEAD": "approved"}


def test_the_deputies_cards_wait_for_the_level_above(world, vacant):
    board = scope_for(world.user("board"))
    left = sorted(c.official.code for c in selectors.heads_cards_to_approve(
        scope=board, period=vacant) if c.agency.code == "HN.CG")
    assert left == ["CG.DEP", "CG.DEP2", "CG.HEAD"]
    assert "CG.DEP" in _approvable(world, "board")


def test_who_is_told_and_who_may_act_agree(world, vacant):
    """The procedure's notices (`_Tree.approvers`) name exactly those officials who may
    approve each card (`can_approve`), among those with an account."""
    tree = services.review_tree()
    users = {u.official_id: u for u in world.users.values() if u.official_id}
    for card in ScoreCard.objects.filter(period=vacant).select_related("agency", "official"):
        named = set(tree.approvers(card.unit_id, card.agency_id, card.position))
        may = {pk for pk, user in users.items()
               if selectors.can_approve(scope_for(user), card)}
        assert named & users.keys() == may, card.official.code


def test_what_waits_for_the_acting_deputy(world, vacant):
    waiting = selectors.cards_waiting(scope=scope_for(world.user("deputy")),
                                      what=selectors.WAIT_APPROVE)
    assert sorted(c.official.code for c in waiting) == ["CG.STAFF", "CG.STAFF2", "DV.HEAD"]


def test_appeals_follow_the_approval(world, vacant):
    deputy = scope_for(world.user("deputy"))
    assert services.can_decide_appeal(deputy, _card("CG.STAFF"))
    assert not services.can_decide_appeal(deputy, _card("CG.DEP2"))
    assert world.officials["CG.DEP"].pk in services.appeal_deciders(_card("CG.STAFF"))
    assert world.officials["CG.DEP"].pk not in services.appeal_deciders(_card("CG.DEP2"))


def test_with_the_level_above_no_deputy_approves(world, vacant, settings):
    settings.THUOCDO_VACANT_HEAD_APPROVAL = "above"
    assert _approvable(world, "deputy") == []
    assert _approvable(world, "board") == ["CG.DEP", "CG.DEP2", "CG.HEAD", "CG.STAFF",
                                           "CG.STAFF2", "DV.HEAD"]
    with pytest.raises(PermissionDeniedError):
        services.agency_approve(actor=world.user("deputy"), period=vacant,
                                agency=world.units["HN.CG"])
    assert not services.can_decide_appeal(scope_for(world.user("deputy")), _card("CG.STAFF"))
    board = scope_for(world.user("board"))
    left = sorted(c.official.code for c in selectors.heads_cards_to_approve(
        scope=board, period=vacant) if c.agency.code == "HN.CG")
    assert left == ["CG.DEP", "CG.DEP2", "CG.HEAD", "CG.STAFF", "CG.STAFF2"]
    test_who_is_told_and_who_may_act_agree(world, vacant)


def test_an_agency_with_its_head_is_unchanged(world):
    """The head in post: the deputy approves nothing, as before."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    assert _approvable(world, "deputy") == []
    assert _approvable(world, "head") == ["CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"]


def test_the_period_page_lists_the_deputies_cards_for_the_board(world, vacant, client_for):
    page = client_for(world.user("board")).get(vacant.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "CG.DEP2 · " in text and "CG.DEP · " in text
    assert "phiếu điểm của chính các cấp phó chuyển lên cấp trên" in text


def test_an_agency_with_neither_head_nor_deputy_is_approved_by_the_level_above(world, vacant):
    """Both deputies leave too: nobody of HN.CG approves, so every card of it is left for
    the level above (the board here), whatever the setting."""
    for code in ("CG.DEP", "CG.DEP2"):
        org.membership_end(
            membership=Membership.objects.get(official__code=code, unit=world.units["HN.CG"]),
            end=timezone.localdate() - dt.timedelta(days=1), reason="chuyển công tác")
    board = scope_for(world.user("board"))
    left = sorted(c.official.code for c in selectors.heads_cards_to_approve(
        scope=board, period=vacant) if c.agency.code == "HN.CG")
    assert left == ["CG.DEP", "CG.DEP2", "CG.HEAD", "CG.STAFF", "CG.STAFF2"]
    assert "CG.STAFF" in _approvable(world, "board")
    test_who_is_told_and_who_may_act_agree(world, vacant)
