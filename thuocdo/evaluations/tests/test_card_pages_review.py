"""Findings of a user review of the demo's card pages: the export carries the assessment's
written reason for deducting the general criteria in its own column and the notes on the
grade (quota, KHT grounds) in another; the appeal page says why no appeal can be filed
instead of offering a form that would be refused; the card says why the official can no
longer self-score (and shows the self-score given); the period page counts the agency
heads' cards by what they wait for (their review, then the caller's approval); the pages
name task groups, agencies and officials instead of showing their codes alone; numbers the
pages format follow the active language."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from thuocdo.accounts import services as accounts
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services, views
from thuocdo.evaluations.models import Appeal, Period, ScoreCard

from .helpers import CASES, load_golden, read
from .test_services import LABEL, _review_everything, assess, card

PASSWORD = "Thuocdo-test-2026"


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _card_url(code: str) -> str:
    return reverse("evaluations:card_detail", kwargs={"label": LABEL, "official": code})


def _appeal_url(code: str) -> str:
    return reverse("evaluations:appeal_create", kwargs={"label": LABEL, "official": code})


@pytest.fixture
def scored(world):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


def _approve_everything(world, period) -> None:
    """Review (`_review_everything` starts the review) and approve every card."""
    _review_everything(world, period)
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=world.user("admin"), period=period,
                                agency=world.units[agency])


@pytest.fixture
def under_review(world, scored):
    services.period_start_review(actor=world.user("board"), period=scored)
    return Period.objects.get(pk=scored.pk)


# -- 1. the export: the assessment's reason and the notes on the grade, apart -------------


@pytest.fixture
def quota_case(db):
    """Golden case 06 scored: CB202 (general criteria 25.5, "Chưa có sáng kiến") is moved
    down by the quota; CB101 (10, "Chưa chủ động") is not a candidate."""
    load_golden(read(CASES[5]))
    period = services.period_open(label=LABEL)
    services.period_score(period=period)
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    return period, admin


def test_the_export_carries_the_assessment_s_reason_apart_from_the_quota(client, quota_case):
    _period, admin = quota_case
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    response = client.get(reverse("evaluations:unit_export",
                                  kwargs={"label": LABEL, "code": "HN.CG"}))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[4]
    reason = header.index(gettext(
        "Reason for the deduction of the general criteria (assessment)"))
    notes = header.index(gettext("Notes on the grade: HTXS quota, KHT grounds, missing data"))
    assert (reason, notes) == (19, 20)
    assert gettext("Reasons") not in header
    by_code = {r[1]: r for r in rows[5:] if r[0]}
    moved = ScoreCard.objects.get(official__code="CB202").data
    assert by_code["CB202"][reason] == "Chưa có sáng kiến"
    assert by_code["CB202"][notes] == moved["quota"]["reason"]
    assert by_code["CB101"][reason] == "Chưa chủ động", "a reason without any note"
    assert by_code["CB101"][notes] is None
    assert header[21:25] == tuple(gettext(h) for h in (
        "Status", "Agency", "Task group", "Rank in the agency"))


# -- 2. no appeal form while no appeal can be filed ----------------------------------------


def test_the_appeal_page_says_why_no_appeal_can_be_filed_during_the_review(
        world, under_review, client_for):
    client = client_for(world.user("staff"))
    refusal = services.appeal_refusal(under_review)
    assert refusal.service_code == "period_status"
    response = client.get(_appeal_url("CG.STAFF"))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert response.context["refusal"] == refusal.service_message
    html = response.content.decode()
    assert refusal.service_message in html
    assert 'name="reason"' not in html and "<form" not in html.split("<main", 1)[-1]
    # a post (from a page opened before) is not taken either
    response = client.post(_appeal_url("CG.STAFF"), {"reason": "Không đồng ý"})
    assert response.status_code == 200 and response.context["form"] is None
    assert not Appeal.objects.exists()
    # the card does not offer the appeal either
    page = client.get(_card_url("CG.STAFF"))
    assert not page.context["can_appeal"]
    assert _appeal_url("CG.STAFF") not in page.content.decode()


def test_the_appeal_page_says_an_appeal_is_already_pending(world, scored, client_for):
    _approve_everything(world, scored)
    period = Period.objects.get(pk=scored.pk)
    services.period_publish(actor=world.user("board"), period=period, appeal_days=10,
                            on=timezone.localdate())
    client = client_for(world.user("staff"))
    offered = client.get(_appeal_url("CG.STAFF"))
    assert offered.context["form"] is not None and not offered.context.get("refusal")
    services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"), reason="Chưa đúng")
    response = client.get(_appeal_url("CG.STAFF"))
    assert response.context["form"] is None
    assert response.context["refusal"] == gettext("An appeal on this card is already pending.")
    assert Appeal.objects.count() == 1


# -- 3. the card says why the official can no longer self-score -----------------------------


def test_the_card_says_why_the_self_score_is_closed_once_assessed(world, under_review,
                                                                  client_for):
    services.card_self_score(actor=world.user("staff"), card=card("CG.STAFF"),
                             general_points="28.5", note="Đủ việc")
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    refusal = services.self_score_refusal(card("CG.STAFF"))
    assert refusal.service_code == "already_assessed"
    client = client_for(world.user("staff"))
    response = client.get(_card_url("CG.STAFF"))
    assert not response.context["can_self_score"]
    assert response.context["self_refusal"] == refusal.service_message
    html = response.content.decode()
    assert 'id="self-heading"' in html and refusal.service_message in html
    assert "28,50/30 — Đủ việc" in html
    assert "card_self_score" not in html and "/self/" not in html
    english = _english(client).get(_card_url("CG.STAFF")).content.decode()
    assert "My self-assessed general criteria: 28.50/30 — Đủ việc" in english


def test_the_card_says_self_scoring_is_closed_after_the_review(world, scored, client_for):
    _approve_everything(world, scored)
    period = Period.objects.get(pk=scored.pk)
    assert period.status == "approved"
    response = _english(client_for(world.user("staff"))).get(_card_url("CG.STAFF"))
    with translation.override("en"):
        message = gettext("Self-scoring is closed for %(p)s.") % {"p": period_name(LABEL)}
    assert response.context["self_refusal"] == message
    html = response.content.decode()
    assert message in html
    assert "You did not self-assess your general criteria in this period." in html


def test_another_reader_sees_no_self_scoring_section(world, under_review, client_for):
    response = client_for(world.user("head")).get(_card_url("CG.STAFF"))
    assert response.context["self_refusal"] == ""
    assert 'id="self-heading"' not in response.content.decode()


# -- 4. the period page counts the heads' cards by what they wait for ----------------------


def test_the_period_page_says_the_heads_cards_wait_for_their_review_first(
        world, under_review, client_for):
    """Both heads' cards are drafts: they wait for their review, not for the approval. The
    head of HN.CG reviews the commune head's card (a leader above): the page links to the
    review; the board reviews nobody: the review is for a leader above."""
    period = under_review
    head = _english(client_for(world.user("head"))).get(period.get_absolute_url())
    assert [r["card"].official.code for r in head.context["heads_cards"]] == ["DV.HEAD"]
    assert (head.context["heads_to_review"], head.context["heads_to_approve"]) == (1, 0)
    html = head.content.decode()
    assert "waiting for your approval: 2" not in html
    assert "Reviewed, waiting for your approval: 0 cards." in html
    assert "Not reviewed yet: 1 card; it can be approved once reviewed." in html
    review = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.DV"})
    assert f'<a href="{review}">your review</a>' in html
    board = _english(client_for(world.user("board"))).get(period.get_absolute_url())
    assert (board.context["heads_to_review"], board.context["heads_to_approve"]) == (2, 0)
    html = board.content.decode()
    assert "Not reviewed yet: 2 cards; they can be approved once reviewed." in html
    # the commune head's card is for the head of HN.CG; nobody leads a unit above HN.CG,
    # so the board reviews its head's card (test_procedure_review2)
    assert html.count("the review by a leader of a unit above") == 1
    own_review = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG"})
    assert f'<a href="{own_review}">your review</a>' in html
    assert html.count("/review/") == 1


def test_the_period_page_counts_the_reviewed_heads_cards_as_waiting_for_approval(
        world, scored, client_for):
    _review_everything(world, scored)
    response = _english(client_for(world.user("board"))).get(scored.get_absolute_url())
    assert (response.context["heads_to_review"], response.context["heads_to_approve"]) \
        == (0, 2)
    html = response.content.decode()
    assert "Reviewed, waiting for your approval: 2 cards." in html
    assert "Not reviewed yet" not in html
    ranking = reverse("evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"})
    assert f'<a href="{ranking}">your approval</a>' in html


# -- 5. names instead of codes --------------------------------------------------------------


def test_the_card_names_the_task_group_and_the_agency(world, scored, client_for):
    html = _english(client_for(world.user("staff"))).get(_card_url("CG.STAFF")) \
        .content.decode()
    group = world.groups["CM"]
    assert f'task group: <span title="CM">{group.name}</span>' in html
    assert f'agency: <span title="HN.CG">{world.units["HN.CG"].name}</span>' in html
    assert "task group CM" not in html


def test_the_card_names_the_quota_s_scopes(client, quota_case):
    """CB202 was moved down by the quota in HN.CG: the card says where the quota was counted
    by name (codes in the tooltip), and the quota's reasoning is not repeated among the
    notes."""
    _period, admin = quota_case
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    response = _english(client).get(_card_url("CB202"))
    scopes = response.context["quota_scopes"]
    agency = ScoreCard.objects.select_related("agency").get(official__code="CB202").agency
    assert scopes[0] == {"text": f"agency {agency.name}", "codes": agency.code}
    html = response.content.decode()
    assert f'<li title="{agency.code}">agency {agency.name}</li>' in html
    reason = ScoreCard.objects.get(official__code="CB202").data["quota"]["reason"]
    assert reason not in response.context["notes"] and response.context["quota_in_notes"]
    # shown once, with the names of the agency and the task group in place of their codes
    assert html.count(response.context["quota_reason"]) == 1 and reason not in html
    assert "The HTXS quota's decision on this card: see below." in html


def test_the_unit_result_deduction_names_the_unit(client, db):
    """A leader's d (the result of their unit) is listed with the unit's name (golden case
    05: the leaders' units lost points)."""
    from thuocdo.org.models import Unit

    load_golden(read(CASES[4]))
    period = services.period_open(label=LABEL)
    services.period_score(period=period)
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    found = [(c.official.code, d["unit"]) for c in ScoreCard.objects.select_related("official")
             for d in c.data["deductions"] if d["kind"] == "unit_result"]
    assert found, "golden case 05 has a leader who lost points on d"
    official, code = found[0]
    html = client.get(_card_url(official)).content.decode()
    assert f'<span title="{code}">{Unit.objects.get(code=code).name}</span>' in html


def test_lists_of_officials_give_names_and_one_ellipsis(db, monkeypatch):
    monkeypatch.setattr(views, "NAMED", 2)
    with translation.override("en"):
        assert views._listed(["A (1)", "B (2)"]) == "A (1), B (2)"
        assert views._listed(["A (1)", "B (2)", "C (3)"]) == "A (1), B (2), … and 1 more"
        assert views._listed(list("ABCDE")) == "A, B, … and 3 more"


def test_the_ranking_names_the_cards_not_reviewed(world, under_review, client_for,
                                                  monkeypatch):
    monkeypatch.setattr(views, "NAMED", 2)
    response = _english(client_for(world.user("head"))).get(reverse(
        "evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"}))
    waits = response.context["approval_waits_for"]
    officials = world.officials
    # HN.CG's own cards (CG.DEP, CG.STAFF, CG.STAFF2): the ward head's card below (DV.HEAD),
    # approved from here once reviewed, does not hold the district's approval back
    assert waits == (f"{officials['CG.DEP'].name} (CG.DEP), "
                     f"{officials['CG.STAFF'].name} (CG.STAFF), … and 1 more")
    assert waits.count("…") == 1
    assert f"not reviewed yet: {waits}." in response.content.decode()
