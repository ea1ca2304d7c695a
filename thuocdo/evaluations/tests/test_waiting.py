"""What waits for a leader or the board in the evaluations (`selectors.cards_waiting`,
`appeals_to_decide`, `periods_waiting`), and the lists that show exactly that: the
ranking's "waiting for you" filter and the period page's appeals to decide."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.accountability.tests.helpers import member
from thuocdo.accounts import services as accounts
from thuocdo.core.scope import scope_for
from thuocdo.evaluations import selectors, services

from .routes import PUBLISHED, _period
from .test_services import LABEL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def under_review(world):
    member(world, "DV.STAFF", unit="HN.CG.DV", position="staff", user=False)
    board = world.user("board")
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    return period


def _codes(cards) -> list[str]:
    return sorted(card.official.code for card in cards)


def test_a_card_waits_for_who_reviews_it_not_for_everyone_who_may(world, under_review):
    """The head of HN.CG may assess the staff of the commune below, but the commune's own
    head reviews them: the card waits for him, as the review's notification says; the
    head of HN.CG reviews the commune's head."""
    cg = scope_for(world.user("head"))
    staff = under_review.cards.select_related("unit", "official").get(
        official__code="DV.STAFF")
    assert services.can_assess(cg, staff)
    assert _codes(selectors.cards_waiting(scope=cg, what=selectors.WAIT_REVIEW)) == [
        "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    assert selectors.cards_waiting(scope=scope_for(world.user("staff")),
                                   what=selectors.WAIT_REVIEW) == []
    dv_head = accounts.user_create(email="dvhead@example.vn", password="Thuocdo-test-2026",
                                   official=world.officials["DV.HEAD"])
    assert _codes(selectors.cards_waiting(scope=scope_for(dv_head),
                                          what=selectors.WAIT_REVIEW)) == ["DV.STAFF"]
    # none waits for the administrator for their power alone, nor outside a review
    assert selectors.cards_waiting(scope=scope_for(world.user("admin")),
                                   what=selectors.WAIT_REVIEW) == []
    under_review.status = "scoring"
    under_review.save(update_fields=["status"])
    assert selectors.cards_waiting(scope=cg, what=selectors.WAIT_REVIEW) == []


def test_the_rankings_filter_lists_the_cards_waiting_for_the_caller(world, under_review,
                                                                   client_for):
    """The ranking of HN.CG filtered to "waiting for you: your review" lists the cards the
    head reviews; a value that is not offered is an error on the field."""
    url = reverse("evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"})
    client = client_for(world.user("head"))
    response = client.get(url, {"waiting": "review"})
    assert _codes(response.context["cards"]) == ["CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    assert response.context["filtered"]
    assert "Waiting for you" in response.content.decode()
    assert client.get(url, {"waiting": "approve"}).context["page"].paginator.count == 0
    # the inspector reads the ranking; nothing waits for them
    inspector = client_for(world.user("inspector"))
    assert inspector.get(url, {"waiting": "review"}).context["page"].paginator.count == 0


def test_the_period_page_puts_the_appeals_the_caller_decides_first(world, client_for):
    """The head of the agency decides CG.STAFF's appeal: the period page lists it under the
    appeals waiting for his decision; the deputy, who reads it but does not decide it, sees
    it among the others."""
    period = _period(world, PUBLISHED)
    head = client_for(world.user("head")).get(period.get_absolute_url())
    assert [a.card.official.code for a in head.context["appeals_to_decide"]] == ["CG.STAFF"]
    assert list(head.context["appeals"]) == []
    deputy = client_for(world.user("deputy")).get(period.get_absolute_url())
    assert deputy.context["appeals_to_decide"] == []
    assert [a.card.official.code for a in deputy.context["appeals"]] == ["CG.STAFF"]
    assert 'id="appeals-to-decide"' not in deputy.content.decode()


def test_the_boards_steps(world):
    """An open period that has ended waits for its cards to be computed; one in
    self-scoring for the review to start; a published one with its window open, for
    nothing yet. Only the board is told."""
    board = world.user("board")
    ended = services.period_open(actor=board, label="2026-08")
    scoring = services.period_open(actor=board, label="2026-09")
    services.period_score(actor=board, period=scoring)
    assert [(p.label, step) for p, step in selectors.periods_waiting(
        scope=scope_for(board))] == [(ended.label, "score"), (scoring.label, "review")]
    assert selectors.periods_waiting(scope=scope_for(world.user("head"))) == []


def test_cards_wait_for_approval_only_once_their_agency_has_no_draft(world, under_review):
    """The head approves HN.CG's cards together, once every one is reviewed
    (`services.agency_approve`): reviewed staff cards do not wait for him while the
    deputy's card is still a draft, and do once it is reviewed."""
    from .test_services import assess

    head = scope_for(world.user("head"))
    assess(world, "head", "CG.STAFF", 30)
    assess(world, "head", "CG.STAFF2", 30)
    services.unit_review(actor=world.user("head"), period=under_review,
                         unit=world.units["HN.CG.VP"])
    assert _codes(selectors.cards_waiting(scope=head, what=selectors.WAIT_APPROVE)) == []
    assess(world, "head", "CG.DEP", 30, organising=1, uniting=1)
    services.unit_review(actor=world.user("head"), period=under_review,
                         unit=world.units["HN.CG"])
    assert _codes(selectors.cards_waiting(scope=head, what=selectors.WAIT_APPROVE)) == [
        "CG.DEP", "CG.STAFF", "CG.STAFF2"]
