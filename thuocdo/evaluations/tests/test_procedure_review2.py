"""Findings of the second review of the procedure: the card of a head whom no leader above
reviews (the city's chairman) is reviewed by the organisation board, so the period can be
approved and published; an accepted appeal keeps the assessment's written reason; a card
without a grade says why; one appeal per card, and the period page lists the decided ones;
scoring, the review and each unit's review tell those who act next; the period page's
messages say what was done and how many were told (docs/scoring.md, "The procedure")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.scope import scope_for
from thuocdo.evaluations import selectors, services
from thuocdo.evaluations.choices import PeriodStatus
from thuocdo.evaluations.models import Assessment, Period, ScoreCard
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification
from thuocdo.org import services as org

from .test_services import LABEL, _review_everything, card

PASSWORD = "Thuocdo-test-2026"
SINCE = dt.date(2026, 1, 1)


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _notes(what: str, period: Period) -> dict[str, Notification]:
    """The evaluation notifications of `what` for the period, by their recipient's code."""
    return {n.recipient.code: n for n in Notification.objects.filter(
        kind=NotificationKind.EVALUATION, key__startswith=f"evaluation:{what}:{period.pk}:"
    ).select_related("recipient")}


@pytest.fixture
def scored(world):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


@pytest.fixture
def chairman(world):
    """The city's chairman: head of HN, the top unit (no unit above); a board member over
    HN without an official (as the board usually is) and one whose account is an
    official's."""
    official = org.official_create(code="HN.CT", name="Chu Văn Chính", email="ct@example.vn")
    org.membership_start(official=official, unit=world.units["HN"], position="head",
                         start=SINCE)
    user = accounts.user_create(email=official.email, password=PASSWORD, official=official)
    board = accounts.user_create(email="btc@example.vn", password=PASSWORD,
                                 full_name="Ban Tổ chức Thành ủy")
    accounts.scope_grant(user=board, role="board", unit=world.units["HN"], start=SINCE)
    clerk = org.official_create(code="TC.CV", name="Vũ Thị Hoa", email="tc.cv@example.vn")
    org.membership_start(official=clerk, unit=world.units["HN.SNV.TCCB"], position="staff",
                         start=SINCE)
    clerk_user = accounts.user_create(email=clerk.email, password=PASSWORD, official=clerk)
    accounts.scope_grant(user=clerk_user, role="board", unit=world.units["HN"], start=SINCE)
    return {"official": official, "user": user, "board": board, "clerk": clerk_user}


# -- 1. the head of the top unit is reviewed by the organisation board -----------------------


def test_the_board_reviews_the_card_of_the_head_of_the_top_unit(world, chairman, client_for):
    """The chairman's card (head of HN, no unit above) is assessed and reviewed by the board
    over HN, from the review page of HN (which answered 403 before); a head with a leader
    above (CG.HEAD, under the chairman) is not the board's to review."""
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    top = card("HN.CT")
    assert services.reviewed_by_board(top) and not services.reviewed_by_board(card("CG.HEAD"))
    assert services.can_assess(scope_for(board), top)
    assert not services.can_assess(scope_for(board), card("CG.HEAD")), "the chairman's"
    assert not services.can_assess(scope_for(board), card("CG.STAFF"))
    assert not services.can_assess(scope_for(chairman["user"]), top), "not their own"
    assert services.can_assess(scope_for(chairman["user"]), card("CG.HEAD"))
    client = _english(client_for(board))
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN"})
    page = client.get(url)
    assert page.status_code == 200
    assert [row["card"].official.code for row in page.context["rows"]] == ["HN.CT"]
    prefix = f"c{top.pk}"
    response = client.post(url, {"action": "save", f"{prefix}-general_points": "29",
                                 f"{prefix}-reason": "Chậm chỉ đạo một việc",
                                 f"{prefix}-organising": "1", f"{prefix}-uniting": "1"})
    assert response.status_code == 302
    assert Assessment.objects.get(period=period, official__code="HN.CT").general_points == 29
    client.post(url, {"action": "confirm"})
    assert card("HN.CT").status == "reviewed" and card("HN.CT").reviewed_by == board
    # the period page offers the board its review while it is a draft, and says who
    # reviews it on the card
    card_page = client.get(reverse("evaluations:card_detail",
                                   kwargs={"label": LABEL, "official": "HN.CT"}))
    assert card_page.context["by_board"]
    assert "no unit above has a leader to review this card" in card_page.content.decode()


def test_the_period_reaches_approved_and_published_with_the_top_head_s_card(
        world, chairman, client_for):
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    page = _english(client_for(board)).get(period.get_absolute_url())
    (row,) = [r for r in page.context["heads_cards"] if r["card"].official.code == "HN.CT"]
    assert row["to_review"] and row["can_review"] and row["by_board"]
    review = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN"})
    assert f'<a href="{review}">your review</a>' in page.content.decode()
    admin = world.user("admin")
    for code in ScoreCard.objects.filter(period=period).values_list("official__code",
                                                                     flat=True):
        if code == "HN.CT":
            continue
        leader = {"organising": 1, "uniting": 1} if card(code).position != "staff" else {}
        services.assessment_set(actor=admin, period=period, official=card(code).official,
                                general_points=30, **leader)
    services.assessment_set(actor=board, period=period, official=card("HN.CT").official,
                            general_points=30, organising=1, uniting=1)
    for code in ("HN.CG.VP", "HN.CG", "HN.CG.DV", "HN.BD.VP", "HN.SNV.TCCB"):
        services.unit_review(actor=admin, period=period, unit=world.units[code])
    services.unit_review(actor=board, period=period, unit=world.units["HN"])
    for code in ("HN.CG", "HN.CG.DV", "HN.BD", "HN.SNV"):
        services.agency_approve(actor=admin, period=period, agency=world.units[code])
    # nobody approves their own card: the chairman's approval from HN leaves it out
    assert not selectors.can_approve(scope_for(chairman["user"]), card("HN.CT"))
    services.agency_approve(actor=chairman["user"], period=period, agency=world.units["HN"])
    assert card("HN.CT").status == "reviewed"
    services.agency_approve(actor=board, period=period, agency=world.units["HN"])
    period.refresh_from_db()
    assert period.status == PeriodStatus.APPROVED
    services.period_publish(actor=board, period=period, appeal_days=10)
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.PUBLISHED


def test_the_board_reviews_nobody_else(world, scored):
    """Staff and deputies, and heads with a leader above, stay for their leaders: the board
    over HN.CG assesses CG.HEAD (nobody leads HN) and nobody else."""
    board = scope_for(world.user("board"))
    assert services.can_assess(board, card("CG.HEAD"))
    for code in ("CG.DEP", "CG.STAFF", "DV.HEAD", "BD.STAFF"):
        assert not services.can_assess(board, card(code)), code
    with pytest.raises(PermissionDeniedError):
        services.assessment_set(actor=world.user("board"), period=scored,
                                official=world.officials["CG.STAFF"], general_points=30)


# -- 2. an accepted appeal keeps the assessment's reason -----------------------------------


@pytest.fixture
def published(world, scored):
    _review_everything(world, scored)
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=world.user("admin"), period=scored,
                                agency=world.units[agency])
    return services.period_publish(actor=world.user("board"), period=scored, appeal_days=10)


def test_an_accepted_appeal_keeps_the_reason_of_the_deduction(world, published):
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Báo cáo chậm do chờ số liệu")
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                           reason="Chấp nhận một phần: cộng 1 điểm", general_points=28)
    assessment = Assessment.objects.get(period=published, official__code="CG.STAFF")
    assert assessment.general_points == 28 and assessment.reason == "Chậm một báo cáo"
    (general,) = [d for d in card("CG.STAFF").data["deductions"] if d["kind"] == "general"]
    assert "Chậm một báo cáo" in general["reason"]
    assert "Chấp nhận một phần" not in general["reason"]
    appeal.refresh_from_db()
    assert appeal.decision == "Chấp nhận một phần: cộng 1 điểm"


# -- 3. a card without a grade says why ---------------------------------------------------


def test_a_card_without_a_grade_says_why(world, published, client_for):
    """No task in this world: no product assigned, no task points, no grade. The
    publication's notification and the card say so in words, not "— (— points)"."""
    note = _notes("published", published)["CG.STAFF"]
    assert card("CG.STAFF").grade == ""
    assert "—" not in note.body
    with translation.override(settings.LANGUAGE_CODE):
        why = services.no_grade_reason(task_points=None, general_points=27, assigned=None)
    assert why in note.body
    response = _english(client_for(world.user("staff"))).get(reverse(
        "evaluations:card_detail", kwargs={"label": LABEL, "official": "CG.STAFF"}))
    assert "This card has no grade: no product was assigned" in response.content.decode()


# -- 4. one appeal per card; the period page lists the decided ones -------------------------


def test_a_decided_appeal_stands_and_is_listed(world, published, client_for):
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc")
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=False,
                           reason="Không có căn cứ mới")
    with pytest.raises(ServiceError) as refused:
        services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                             reason="Lần hai")
    assert refused.value.service_code == "appeal_decided"
    client = _english(client_for(world.user("staff")))
    page = client.get(reverse("evaluations:card_detail",
                              kwargs={"label": LABEL, "official": "CG.STAFF"}))
    assert not page.context["can_appeal"]
    assert "one appeal is accepted per card" in page.context["appeal_done"]
    create = reverse("evaluations:appeal_create", kwargs={"label": LABEL,
                                                          "official": "CG.STAFF"})
    assert f'href="{create}"' not in page.content.decode()
    assert client.get(create).context["form"] is None
    head = _english(client_for(world.user("head"))).get(published.get_absolute_url())
    assert list(head.context["decided_appeals"]) == [appeal]
    assert not list(head.context["appeals"])
    html = head.content.decode()
    assert "Decided appeals" in html and "Không có căn cứ mới" in html
    assert timezone.localdate().strftime("%d/%m/%Y") in html


# -- 5. those who act next are told ---------------------------------------------------------


def test_scoring_tells_each_official_they_can_self_score(world):
    board = world.user("board")
    period = services.period_open(actor=board, label=LABEL)
    result = services.period_score(actor=board, period=period)
    notes = _notes("self_score", period)
    assert set(notes) == set(world.officials) and result.notified == len(world.officials)
    assert notes["CG.STAFF"].url == reverse("evaluations:card_detail",
                                            kwargs={"label": LABEL, "official": "CG.STAFF"})
    again = services.period_score(actor=board, period=period)
    assert again.notified == 0 and len(_notes("self_score", period)) == len(notes)


def test_starting_the_review_tells_the_leaders_what_to_review(world, chairman):
    """The chairman reviews the head of HN.CG (and of the other units under HN without
    leaders); the head of HN.CG their unit, its division and the commune's head; the board
    member whose account is an official's, the chairman's card; the board member without
    an official has no inbox."""
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    notes = _notes("review", period)
    assert set(notes) == {"HN.CT", "CG.HEAD", "TC.CV"}
    for unit in ("UBND quận Cầu Giấy", "Văn phòng HĐND và UBND quận", "UBND phường Dịch Vọng"):
        assert unit in notes["CG.HEAD"].body
    assert "UBND Thành phố Hà Nội" in notes["TC.CV"].body
    assert notes["TC.CV"].url == reverse("evaluations:unit_review",
                                         kwargs={"label": LABEL, "code": "HN"})
    assert "UBND quận Cầu Giấy" in notes["HN.CT"].body
    services.period_score(actor=board, period=period)  # re-scoring tells nobody again
    assert len(_notes("review", period)) == 3


def test_a_unit_s_review_tells_those_who_approve(world, chairman):
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    services.assessment_set(actor=world.user("deputy"), period=period,
                            official=world.officials["CG.STAFF"], general_points=30)
    services.assessment_set(actor=world.user("deputy"), period=period,
                            official=world.officials["CG.STAFF2"], general_points=30)
    services.unit_review(actor=world.user("deputy"), period=period,
                         unit=world.units["HN.CG.VP"])
    approve = Notification.objects.filter(key__startswith=f"evaluation:approve:{period.pk}:")
    (note,) = approve.select_related("recipient")
    assert note.recipient.code == "CG.HEAD" and "2" in note.body
    assert note.url == reverse("evaluations:unit_ranking",
                               kwargs={"label": LABEL, "code": "HN.CG"})
    # the head of HN.CG's card, reviewed by the chairman: the heads above (the chairman,
    # who reviewed it, is not told again) and the board member with an official approve it
    for code in ("CG.HEAD", "CG.DEP"):
        services.assessment_set(actor=chairman["user"], period=period,
                                official=world.officials[code], general_points=30,
                                organising=1, uniting=1)
    services.unit_review(actor=chairman["user"], period=period, unit=world.units["HN.CG"])
    told = {n.recipient.code for n in approve.filter(
        key__startswith=f"evaluation:approve:{period.pk}:{world.units['HN.CG'].pk}:")
        .select_related("recipient")}
    assert told == {"CG.HEAD", "TC.CV"}, "CG.DEP's card is the head's to approve"


# -- 6. the period page says what was done and how many were told ----------------------------


def test_the_period_actions_say_what_was_done(world, client_for):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    client = _english(client_for(world.user("board")))

    def act(action, **data):
        response = client.post(reverse("evaluations:period_act",
                                       kwargs={"label": LABEL, "action": action}), data,
                               follow=True)
        return [str(m) for m in response.context["messages"]]

    n = len(world.officials)
    assert f"The cards were computed: {n} new, 0 changed, 0 unchanged. {n} officials were " \
           "told they can self-score." in act("score")
    assert "The review started; 1 leader was told which cards to review." in act("review")
    _review_everything_after_start(world, period)
    assert f"The grades were published; {n} officials were told their grade." \
        in act("publish", appeal_days=0)
    Period.objects.filter(pk=period.pk).update(appeal_until=dt.date(2026, 11, 1))
    assert "The period was locked: its grades are final." in act("lock")


def _review_everything_after_start(world, period):
    """`_review_everything` without starting the review, then every approval."""
    from .test_services import assess

    admin = world.user("admin")
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    assess(world, "head", "CG.STAFF2", 30)
    assess(world, "head", "CG.DEP", 29, "Chưa đôn đốc", organising=1, uniting=1)
    for code in ("CG.HEAD", "DV.HEAD"):
        assess(world, "admin", code, 30, organising=1, uniting=1)
    assess(world, "admin", "BD.STAFF", 30)
    for unit in ("HN.CG.VP", "HN.CG", "HN.CG.DV", "HN.BD.VP"):
        services.unit_review(actor=admin, period=period, unit=world.units[unit])
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=admin, period=period, agency=world.units[agency])


# -- confirming with changes typed and not saved ------------------------------------------


def test_confirming_with_changes_not_saved_keeps_them_and_confirms_nothing(world, chairman,
                                                                          client_for):
    """The save and confirm buttons share the form: "confirm" read none of it, so what the
    head had just typed was dropped and the card, with its old points, marked reviewed.
    Now it is refused, naming whose row changed, the typed values kept; confirming the
    saved values (posted unchanged) reviews the card."""
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    top = card("HN.CT")
    client = _english(client_for(board))
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN"})
    prefix = f"c{top.pk}"
    saved = {f"{prefix}-general_points": "29", f"{prefix}-reason": "Chậm chỉ đạo một việc",
             f"{prefix}-organising": "1", f"{prefix}-uniting": "1"}
    client.post(url, {"action": "save", **saved})
    typed = {**saved, f"{prefix}-general_points": "27"}
    response = client.post(url, {"action": "confirm", **typed})
    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert any("Nothing was confirmed" in text and "HN.CT" in text for text in said), said
    assert card("HN.CT").status != "reviewed"
    assert Assessment.objects.get(period=period, official__code="HN.CT").general_points == 29
    [row] = response.context["rows"]
    assert row["form"]["general_points"].value() == "27"
    client.post(url, {"action": "confirm", **saved})
    assert card("HN.CT").status == "reviewed"


def test_a_reason_given_back_untouched_with_the_browser_s_line_breaks_is_no_change(
        world, chairman, client_for):
    """A reason stored with "\n" (the API, an import) comes back from the browser's text
    box with "\r\n": the row untouched must confirm, not be "changed and not saved"."""
    board = chairman["board"]
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    top = card("HN.CT")
    services.assessments_save(actor=board, period=period, rows=[services.AssessmentRow(
        top.official, 29, "Chậm chỉ đạo\nmột việc", 1, 1)])
    client = _english(client_for(board))
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN"})
    prefix = f"c{top.pk}"
    client.post(url, {"action": "confirm", f"{prefix}-general_points": "29",
                      f"{prefix}-reason": "Chậm chỉ đạo\r\nmột việc",
                      f"{prefix}-organising": "1", f"{prefix}-uniting": "1"})
    assert card("HN.CT").status == "reviewed"
