"""The procedure through the evaluations API: the official's self-score, the general criteria
assessed one card at a time or a unit at once (a written reason for every deduction, đ and e
for leaders), the unit's review, the agency's approval and the board's steps on the period
(score, start the review, publish, lock), each through the pages' own services and checks;
the `allowed_actions` of cards, units and periods; bad input named by field in the caller's
language; refusals (403, 400 with the service's code), a locked period's above all, writing
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import assert_error, ok
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Assessment, Period, ScoreCard
from thuocdo.notifications.models import Notification
from thuocdo.org.models import Official, Unit

from .helpers import quota_case_under_review

pytestmark = pytest.mark.django_db

LABEL = "2026-10"


@pytest.fixture
def scored(world):
    """2026-10 opened and scored by the board: self-scoring."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


@pytest.fixture
def review(world, scored):
    services.period_start_review(actor=world.user("board"), period=scored)
    return Period.objects.get(pk=scored.pk)


def card_url(official, name="score-card-detail", label=LABEL):
    return reverse(f"api:{name}", kwargs={"period": label, "official": official})


def unit_url(unit, name="evaluation-unit-detail", label=LABEL):
    return reverse(f"api:{name}", kwargs={"period": label, "unit": unit})


def period_url(name="evaluation-period-detail", label=LABEL):
    return reverse(f"api:{name}", kwargs={"label": label})


def card(code, label=LABEL) -> ScoreCard:
    return ScoreCard.objects.get(period__label=label, official__code=code)


def written():
    """Everything a refused step must leave as it was."""
    return (
        list(
            Assessment.objects.order_by("pk").values_list(
                "official__code", "general_points", "reason", "organising", "uniting"
            )
        ),
        list(
            ScoreCard.objects.order_by("pk").values_list(
                "official__code",
                "status",
                "self_points",
                "self_note",
                "general_points",
                "reviewed_by",
                "approved_by",
            )
        ),
        list(
            Period.objects.order_by("pk").values_list(
                "label", "status", "appeal_until", "scored_at"
            )
        ),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def in_vietnamese(message: str) -> str:
    with translation.override("vi"):
        return gettext(message)


# -- the official's self-score ------------------------------------------------------------


def test_an_official_self_scores_their_card_until_it_is_assessed(world, api, review):
    url = card_url("CG.STAFF", "score-card-self-score")
    assert ok(api("staff").get(card_url("CG.STAFF")))["allowed_actions"] == ["self_score"]
    assert "self_score" not in ok(api("head").get(card_url("CG.STAFF")))["allowed_actions"]
    body = ok(
        api("staff").post(url, {"general_points": "28.5", "note": " Đủ việc "}, format="json")
    )
    assert (body["self_points"], body["self_note"]) == (28.5, "Đủ việc")
    assert (card("CG.STAFF").self_points, card("CG.STAFF").self_note) == (
        Decimal("28.5"),
        "Đủ việc",
    )
    assert AuditEntry.objects.filter(
        action="card.self_score", object_code="2026-10/CG.STAFF"
    ).exists()
    # again, as often as they like, until the head assesses them
    assert ok(api("staff").post(url, {"general_points": 29}, format="json"))["self_points"] == 29
    services.assessment_set(
        actor=world.user("head"),
        period=review,
        official=world.officials["CG.STAFF"],
        general_points=27,
        reason="Chậm một báo cáo",
    )
    assert ok(api("staff").get(card_url("CG.STAFF")))["allowed_actions"] == []
    before = written()
    assert_error(
        api("staff").post(url, {"general_points": 30}, format="json"), 400, "already_assessed"
    )
    assert written() == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ba mươi", "invalid"),  # not a number
        ("28.555", "invalid"),  # more than 2 decimals
        (None, "invalid"),  # missing
        ("31", "general_points"),  # the service's range
        ("-1", "general_points"),
    ],
)
def test_a_bad_self_score_is_named_on_its_field(world, api, scored, value, code):
    before = written()
    data = {} if value is None else {"general_points": value}
    body = assert_error(
        api("staff").post(card_url("CG.STAFF", "score-card-self-score"), data, format="json"),
        400,
        code,
    )
    assert set(body["errors"]) == {"general_points"}
    assert written() == before


@pytest.mark.parametrize(("language", "translate"), [("en", str), (None, in_vietnamese)])
def test_a_self_score_out_of_range_answers_in_the_callers_language(
    world, api, scored, language, translate
):
    body = assert_error(
        api("staff", language).post(
            card_url("CG.STAFF", "score-card-self-score"), {"general_points": 31}, format="json"
        ),
        400,
        "general_points",
    )
    message = translate("Enter a number from %(low)s to %(high)s.") % {"low": 0, "high": 30}
    assert body["message"] == message and body["errors"] == {"general_points": [message]}
    if language is None:
        assert message != "Enter a number from 0 to 30."  # really translated


def test_only_the_cards_official_self_scores(world, api, scored):
    before = written()
    url = card_url("CG.STAFF", "score-card-self-score")
    for role in ("head", "deputy", "board", "inspector", "admin"):
        assert_error(api(role).post(url, {"general_points": 30}, format="json"), 403, "forbidden")
    assert_error(api("outsider").post(url, {"general_points": 30}, format="json"), 404, "not_found")
    assert_error(
        api(None).post(url, {"general_points": 30}, format="json"), 403, "not_authenticated"
    )
    assert written() == before


# -- assessing one card -------------------------------------------------------------------


def test_the_head_assesses_a_card_and_it_is_computed_again(world, api, review):
    url = card_url("CG.STAFF", "score-card-assessment")
    assert "assess" in ok(api("head").get(card_url("CG.STAFF")))["allowed_actions"]
    assert "assess" not in ok(api("board").get(card_url("CG.STAFF")))["allowed_actions"]
    body = ok(
        api("head").post(url, {"general_points": 27, "reason": "Chậm một báo cáo"}, format="json")
    )
    assert body["general_points"] == 27 and body["official"] == "CG.STAFF"
    assert body["changed"] == 1 and body["scored"]["changed"] >= 1
    assert body["scored"]["to_draft"] == body["scored"]["unapproved"] == []  # all drafts
    assert [d["reason"] for d in body["deductions"] if d["kind"] == "general"] == [
        "Chậm một báo cáo"
    ]
    stored = Assessment.objects.get(official__code="CG.STAFF")
    assert (stored.general_points, stored.assessor) == (27, world.officials["CG.HEAD"])
    assert card("CG.STAFF").general_points == 27
    assert AuditEntry.objects.filter(
        action="assessment.set", object_code="2026-10/CG.STAFF"
    ).exists()
    # the same again: nothing changed, nothing computed
    body = ok(
        api("head").post(url, {"general_points": 27, "reason": "Chậm một báo cáo"}, format="json")
    )
    assert (body["changed"], body["scored"]) == (0, None)
    # a leader: đ and e, by a leader above (the head of the unit, for their deputy)
    body = ok(
        api("head").post(
            card_url("CG.DEP", "score-card-assessment"),
            {"general_points": 30, "organising": "0.9", "uniting": 1},
            format="json",
        )
    )
    assert (body["organising"], body["uniting"]) == (0.9, 1.0)


def test_an_assessment_says_whose_review_and_approval_it_undid(db):
    """Golden case 06 (three candidates for HTXS in HN.CG, one kept), HN.CG approved:
    CB105 assessed 30 becomes a candidate; their card goes back to draft and the quota's
    outcome changes for CB201…CB203, whose approval is undone. The card's answer says so,
    as the unit's assessments (and the review screen) do."""
    period, admin = quota_case_under_review()
    services.assessment_set(
        actor=admin,
        period=period,
        official=Official.objects.get(code="CB000"),
        general_points=30,
        organising=1,
        uniting=1,
    )
    for code in ("HN.CG.VP", "HN.CG"):
        services.unit_review(actor=admin, period=period, unit=Unit.objects.get(code=code))
    services.agency_approve(actor=admin, period=period, agency=Unit.objects.get(code="HN.CG"))
    client = APIClient()
    client.force_authenticate(admin)
    body = ok(
        client.post(
            card_url("CB105", "score-card-assessment"), {"general_points": 30}, format="json"
        )
    )
    assert (body["official"], body["status"], body["changed"]) == ("CB105", "draft", 1)
    assert body["scored"]["to_draft"] == ["CB105"]
    assert sorted(body["scored"]["unapproved"]) == ["CB201", "CB202", "CB203"]
    assert {card(c).status for c in ("CB201", "CB202", "CB203")} == {"reviewed"}
    assert set(body["scored"]) == {
        "created",
        "changed",
        "unchanged",
        "removed",
        "to_draft",
        "unapproved",
        "quota_only",
        "notified",
    }


@pytest.mark.parametrize(
    ("official", "data", "code", "field"),
    [
        ("CG.STAFF", {"general_points": 27}, "reason_required", "reason"),
        ("CG.STAFF", {"general_points": 27, "reason": "   "}, "reason_required", "reason"),
        ("CG.STAFF", {"general_points": 30.5}, "general_points", "general_points"),
        ("CG.STAFF", {"general_points": "nhiều"}, "invalid", "general_points"),
        ("CG.STAFF", {"reason": "Thiếu điểm"}, "invalid", "general_points"),
        ("CG.DEP", {"general_points": 30}, "leader_rating", "organising"),
        ("CG.DEP", {"general_points": 30, "organising": 1}, "leader_rating", "uniting"),
        (
            "CG.DEP",
            {"general_points": 30, "organising": 2, "uniting": 1},
            "leader_rating",
            "organising",
        ),
        (
            "CG.DEP",
            {"general_points": 30, "organising": 0.5, "uniting": "0.1234"},
            "invalid",
            "uniting",
        ),
    ],
)
def test_a_bad_assessment_is_named_on_its_field_and_nothing_is_written(
    world, api, review, official, data, code, field
):
    before = written()
    body = assert_error(
        api("head").post(card_url(official, "score-card-assessment"), data, format="json"),
        400,
        code,
    )
    assert set(body["errors"]) == {field}
    assert written() == before


@pytest.mark.parametrize(("language", "translate"), [("en", str), (None, in_vietnamese)])
def test_a_deduction_without_a_reason_answers_in_the_callers_language(
    world, api, review, language, translate
):
    body = assert_error(
        api("head", language).post(
            card_url("CG.STAFF", "score-card-assessment"), {"general_points": 25}, format="json"
        ),
        400,
        "reason_required",
    )
    message = translate("A deduction of the general criteria needs a written reason.")
    assert body["errors"] == {"reason": [message]}


@pytest.mark.parametrize(
    ("role", "official"),
    [
        ("board", "CG.STAFF"),  # the board assesses only a leader no leader above reviews
        ("inspector", "CG.STAFF"),
        ("head", "CG.HEAD"),  # nobody assesses themself
        ("deputy", "CG.HEAD"),  # a deputy does not assess their head
        ("staff", "CG.STAFF"),
    ],
)
def test_who_may_not_assess_is_refused_before_the_body_is_read(world, api, review, role, official):
    before = written()
    body = assert_error(
        api(role, "en").post(
            card_url(official, "score-card-assessment"), {"general_points": "?"}, format="json"
        ),
        403,
        "forbidden",
    )
    assert body["message"] == f"You may not assess {official}."
    assert written() == before


def test_the_board_assesses_a_leader_no_leader_above_reviews(world, api, review):
    """CG.HEAD heads HN.CG, and nobody leads HN above it: the board over HN.CG assesses
    them, as on the review screen."""
    assert "assess" in ok(api("board").get(card_url("CG.HEAD")))["allowed_actions"]
    body = ok(
        api("board").post(
            card_url("CG.HEAD", "score-card-assessment"),
            {"general_points": 29, "reason": "Chậm chỉ đạo", "organising": 1, "uniting": "0.8"},
            format="json",
        )
    )
    assert (body["general_points"], body["uniting"]) == (29, 0.8)


# -- a unit at once -----------------------------------------------------------------------


def test_a_unit_is_assessed_at_once_and_computed_once(world, api, review):
    before = AuditEntry.objects.filter(action="period.score").count()
    state = ok(api("head").get(unit_url("HN.CG.VP")))
    assert state == {
        "period": LABEL,
        "period_status": "review",
        "unit": "HN.CG.VP",
        "name": world.units["HN.CG.VP"].name,
        "assessable": ["CG.STAFF", "CG.STAFF2"],
        "to_review": ["CG.STAFF", "CG.STAFF2"],
        "to_approve": [],
        "not_reviewed": [],
        "allowed_actions": ["assess", "review"],
    }
    body = ok(
        api("head").post(
            unit_url("HN.CG.VP", "evaluation-unit-assessments"),
            {
                "assessments": [
                    {"official": "CG.STAFF", "general_points": 27, "reason": "Chậm một báo cáo"},
                    {"official": "cg.staff2", "general_points": "30"},  # a code in any case
                ]
            },
            format="json",
        )
    )
    assert body["changed"] == 2 and body["scored"] is not None
    assert {c: card(c).general_points for c in ("CG.STAFF", "CG.STAFF2")} == {
        "CG.STAFF": 27,
        "CG.STAFF2": 30,
    }
    # one computing of the period for the whole unit
    assert AuditEntry.objects.filter(action="period.score").count() == before + 1
    # saved again unchanged: nothing changes, nothing is computed
    body = ok(
        api("head").post(
            unit_url("HN.CG.VP", "evaluation-unit-assessments"),
            {"assessments": [{"official": "CG.STAFF2", "general_points": 30}]},
            format="json",
        )
    )
    assert (body["changed"], body["scored"]) == (0, None)


@pytest.mark.parametrize(
    ("rows", "code", "errors"),
    [
        (
            [
                {"official": "CG.STAFF", "general_points": 30},
                {"official": "CG.STAFF2", "general_points": 26},
            ],
            "reason_required",
            {"assessments": [{}, {"reason": ["…"]}]},
        ),
        (
            [
                {"official": "CG.STAFF", "general_points": 40, "reason": "x"},
                {"official": "CG.STAFF2", "general_points": 30},
            ],
            "general_points",
            {"assessments": [{"general_points": ["…"]}, {}]},
        ),
        (
            [
                {"official": "CG.STAFF", "general_points": 30},
                {"official": "CG.STAFF", "general_points": 30},
            ],
            "listed_twice",
            {"assessments": [{}, {"official": ["…"]}]},
        ),
        (
            [
                {"official": "CG.STAFF", "general_points": 30},
                {"official": "BD.STAFF", "general_points": 30},
            ],
            "not_in_unit",
            {"assessments": [{}, {"official": ["…"]}]},
        ),
        (
            [{"official": "CG.STAFF", "general_points": 30}, {"official": "CG.STAFF2"}],
            # DRF's refusal of a row, in the documented shape: a list, {} for a good row
            "invalid",
            {"assessments": [{}, {"general_points": ["…"]}]},
        ),
        ([], "invalid", {"assessments": {"non_field_errors": ["…"]}}),
    ],
)
def test_a_refused_row_is_named_and_nothing_is_written(world, api, review, rows, code, errors):
    before = written()
    body = assert_error(
        api("head").post(
            unit_url("HN.CG.VP", "evaluation-unit-assessments"),
            {"assessments": rows},
            format="json",
        ),
        400,
        code,
    )

    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return (
                [shape(v) for v in value]
                if value and not isinstance(value[0], str)
                else ["…"] * len(value)
            )
        return value

    assert shape(body["errors"]) == errors
    assert written() == before


def test_a_row_the_caller_may_not_assess_refuses_the_whole(world, api, review):
    """The head of HN.CG assesses their deputy, not themself: the whole is refused."""
    before = written()
    body = assert_error(
        api("head", "en").post(
            unit_url("HN.CG", "evaluation-unit-assessments"),
            {
                "assessments": [
                    {"official": "CG.DEP", "general_points": 30, "organising": 1, "uniting": 1},
                    {"official": "CG.HEAD", "general_points": 30, "organising": 1, "uniting": 1},
                ]
            },
            format="json",
        ),
        403,
        "forbidden",
    )
    assert body["message"] == "You may not assess CG.HEAD."
    # the deputy assesses nobody in HN.CG: refused before the body is read
    assert_error(
        api("deputy").post(unit_url("HN.CG", "evaluation-unit-assessments"), {}, format="json"),
        403,
        "forbidden",
    )
    assert written() == before


# -- the review and the approval ----------------------------------------------------------


def test_the_review_waits_for_every_assessment_then_reviews(world, api, review):
    url = unit_url("HN.CG.VP", "evaluation-unit-review")
    services.assessment_set(
        actor=world.user("head"),
        period=review,
        official=world.officials["CG.STAFF"],
        general_points=30,
    )
    before = written()
    body = assert_error(api("head").post(url, format="json"), 400, "not_assessed")
    staff2 = world.officials["CG.STAFF2"]
    assert f"{staff2.name} (CG.STAFF2)" in body["message"], "named, as people are elsewhere"
    assert written() == before
    services.assessment_set(
        actor=world.user("head"),
        period=review,
        official=world.officials["CG.STAFF2"],
        general_points=30,
    )
    body = ok(api("head").post(url, {"note": "Đã rà soát"}, format="json"))
    assert (body["reviewed"], body["to_review"]) == (2, [])
    assert {card(c).status for c in ("CG.STAFF", "CG.STAFF2")} == {"reviewed"}
    assert card("CG.STAFF").reviewed_by == world.user("head")
    assert AuditEntry.objects.get(action="unit.review").reason == "Đã rà soát"
    # for the head of the agency to approve
    assert ok(api("head").get(unit_url("HN.CG")))["to_approve"] == ["CG.STAFF", "CG.STAFF2"]


def test_a_review_confirming_nobody_is_refused_and_not_offered(world, api, review):
    """Nothing left to review: `review` is not offered (as the review screen hides its
    button), and a review confirming nobody is refused, audited nowhere."""
    url = unit_url("HN.CG.VP", "evaluation-unit-review")
    for code in ("CG.STAFF", "CG.STAFF2"):
        services.assessment_set(
            actor=world.user("head"),
            period=review,
            official=world.officials[code],
            general_points=30,
        )
    state = ok(api("head").get(unit_url("HN.CG.VP")))
    assert (state["to_review"], state["allowed_actions"]) == (
        ["CG.STAFF", "CG.STAFF2"],
        ["assess", "review"],
    )
    ok(api("head").post(url, format="json"))
    state = ok(api("head").get(unit_url("HN.CG.VP")))
    assert (state["to_review"], state["allowed_actions"]) == ([], ["assess"])
    before = written()
    body = assert_error(api("head").post(url, format="json"), 400, "nothing_to_review")
    assert written() == before
    assert AuditEntry.objects.filter(action="unit.review").count() == 1
    unit_name = world.units["HN.CG.VP"].name
    assert body["message"] == in_vietnamese(
        "No card is left to review: every card of %(u)s you review is already reviewed."
    ) % {"u": unit_name}
    english = assert_error(api("head", "en").post(url, format="json"), 400, "nothing_to_review")
    assert english["message"].startswith("No card is left to review")
    # a card back to draft (its content changed) is to review again
    ok(
        api("head").post(
            card_url("CG.STAFF", "score-card-assessment"),
            {"general_points": 28, "reason": "Chậm một báo cáo"},
            format="json",
        )
    )
    state = ok(api("head").get(unit_url("HN.CG.VP")))
    assert (state["to_review"], state["allowed_actions"]) == (["CG.STAFF"], ["assess", "review"])
    assert ok(api("head").post(url, format="json"))["reviewed"] == 1


def test_no_review_before_it_starts(world, api, scored):
    before = written()
    assert "review" not in ok(api("head").get(unit_url("HN.CG.VP")))["allowed_actions"]
    assert_error(
        api("head").post(unit_url("HN.CG.VP", "evaluation-unit-review"), format="json"),
        400,
        "period_status",
    )
    assert written() == before


def test_the_approval_waits_for_the_review_then_approves(world, api, review):
    url = unit_url("HN.CG", "evaluation-unit-approve")
    before = written()
    assert_error(api("head").post(url, format="json"), 400, "not_reviewed")
    assert_error(api("deputy").post(url, format="json"), 403, "forbidden")
    assert_error(api("inspector").post(url, format="json"), 403, "forbidden")
    assert_error(api("staff").post(url, format="json"), 404, "not_found")
    assert written() == before
    assess_and_review_everything(world, api)
    state = ok(api("head").get(unit_url("HN.CG")))
    # the head still assesses their deputy in HN.CG, until the period moves on; nobody is
    # left for them to review there
    assert (state["allowed_actions"], state["to_review"]) == (["assess", "approve"], [])
    assert state["to_approve"] == ["CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    body = ok(api("head").post(url, {"note": "Đồng ý"}, format="json"))
    assert (body["approved"], body["to_approve"]) == (4, [])
    assert "approve" not in body["allowed_actions"]
    assert card("CG.HEAD").status == "reviewed"  # their own: for the level above
    assert card("CG.STAFF").approved_by == world.user("head")
    assert AuditEntry.objects.filter(action="agency.approve").latest("pk").reason == "Đồng ý"
    assert ok(api("board").get(unit_url("HN.CG")))["to_approve"] == ["CG.HEAD"]
    assert ok(api("board").post(url, format="json"))["approved"] == 1
    assert ok(api("head").post(url, format="json"))["approved"] == 0  # nothing left


def assess_and_review_everything(world, api):
    """Every card of 2026-10 assessed and reviewed through the API, by those who may."""

    def post(role, url, data=None):
        return ok(api(role).post(url, data or {}, format="json"))

    leader = {"general_points": 30, "organising": 1, "uniting": 1}
    post(
        "head",
        unit_url("HN.CG.VP", "evaluation-unit-assessments"),
        {
            "assessments": [
                {"official": "CG.STAFF", "general_points": 27, "reason": "Chậm một báo cáo"},
                {"official": "CG.STAFF2", "general_points": 30},
            ]
        },
    )
    post("head", card_url("CG.DEP", "score-card-assessment"), leader)
    post("head", card_url("DV.HEAD", "score-card-assessment"), leader)
    post("board", card_url("CG.HEAD", "score-card-assessment"), leader)
    post("admin", card_url("BD.STAFF", "score-card-assessment"), {"general_points": 30})
    post("head", unit_url("HN.CG.VP", "evaluation-unit-review"))
    post("head", unit_url("HN.CG", "evaluation-unit-review"))  # the deputy's card
    post("board", unit_url("HN.CG", "evaluation-unit-review"))  # the head's card
    post("head", unit_url("HN.CG.DV", "evaluation-unit-review"))
    post("admin", unit_url("HN.BD.VP", "evaluation-unit-review"))


# -- the board's steps on the period ------------------------------------------------------


def test_the_whole_procedure_through_the_api(world, api):
    board = api("board")
    services.period_open(actor=world.user("board"), label=LABEL)
    detail = ok(board.get(period_url()))
    assert (detail["status"], detail["allowed_actions"]) == ("open", ["score"])
    assert ok(api("head").get(period_url()))["allowed_actions"] == []
    body = ok(board.post(period_url("evaluation-period-score"), format="json"))
    assert body["status"] == "scoring" and body["allowed_actions"] == ["score", "start_review"]
    assert body["scored"]["created"] == len(world.officials)
    assert body["notified"] == services.notified_count(Period.objects.get(), "self_score") > 0
    assert body["card_counts"] == {"draft": 5, "reviewed": 0, "approved": 0}
    assert AuditEntry.objects.get(action="period.score").reason == in_vietnamese(
        "computed through the API"
    )
    body = ok(board.post(period_url("evaluation-period-start-review"), format="json"))
    assert body["status"] == "review" and body["allowed_actions"] == ["score"]
    assert body["notified"] == services.notified_count(Period.objects.get(), "review") > 0
    assess_and_review_everything(world, api)
    ok(api("head").post(unit_url("HN.CG", "evaluation-unit-approve"), format="json"))
    ok(board.post(unit_url("HN.CG", "evaluation-unit-approve"), format="json"))
    assert ok(board.get(period_url()))["status"] == "review"  # Ba Đình waits
    ok(api("admin").post(unit_url("HN.BD", "evaluation-unit-approve"), format="json"))
    detail = ok(board.get(period_url()))
    assert (detail["status"], detail["allowed_actions"]) == ("approved", ["publish"])
    body = ok(
        board.post(period_url("evaluation-period-publish"), {"appeal_days": 0}, format="json")
    )
    assert (body["status"], body["appeal_until"]) == ("published", timezone.localdate().isoformat())
    assert body["notified"] == len(world.officials) and body["allowed_actions"] == []
    assert ok(api("staff").get(card_url("CG.STAFF")))["allowed_actions"] == ["appeal"]
    before = written()
    assert_error(
        board.post(period_url("evaluation-period-lock"), format="json"), 400, "appeal_window_open"
    )
    assert written() == before
    Period.objects.update(appeal_until=timezone.localdate() - dt.timedelta(days=1))
    assert ok(board.get(period_url()))["allowed_actions"] == ["lock"]
    body = ok(
        board.post(
            period_url("evaluation-period-lock"), {"note": "Hết hạn kiến nghị"}, format="json"
        )
    )
    assert (body["status"], body["allowed_actions"], body["notified"]) == ("locked", [], None)
    assert AuditEntry.objects.get(action="period.lock").reason == "Hết hạn kiến nghị"


@pytest.mark.parametrize("step", ["score", "start-review", "publish", "lock"])
@pytest.mark.parametrize("role", ["head", "deputy", "staff", "inspector", "outsider"])
def test_only_the_board_takes_the_periods_steps(world, api, scored, step, role):
    before = written()
    assert_error(
        api(role).post(
            period_url(f"evaluation-period-{step}"), {"appeal_days": "-5"}, format="json"
        ),
        403,
        "forbidden",
    )
    assert_error(
        api(None).post(period_url(f"evaluation-period-{step}"), format="json"),
        403,
        "not_authenticated",
    )
    assert written() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"appeal_days": 61}, "appeal_days"),
        ({"appeal_days": -1}, "appeal_days"),
        ({"appeal_days": "mười"}, "appeal_days"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_a_bad_publication_is_named_on_its_field(world, api, scored, data, field):
    Period.objects.update(status="approved")
    before = written()
    body = assert_error(
        api("board").post(period_url("evaluation-period-publish"), data, format="json"),
        400,
        "invalid",
    )
    assert set(body["errors"]) == {field}
    assert written() == before


@pytest.mark.parametrize(
    ("step", "status", "code"),
    [
        ("start-review", "review", "period_status"),
        ("publish", "review", "period_status"),
        ("lock", "approved", "period_status"),
        ("score", "approved", "period_closed"),
        ("score", "published", "period_closed"),
    ],
)
def test_a_step_out_of_turn_is_refused_and_nothing_is_written(
    world, api, scored, step, status, code
):
    Period.objects.update(status=status)
    before = written()
    assert_error(
        api("admin").post(period_url(f"evaluation-period-{step}"), format="json"), 400, code
    )
    assert written() == before


def test_cards_are_not_computed_before_the_period_ends(world, api):
    services.period_open(actor=world.user("board"), label="2030-01")
    url = period_url(label="2030-01")
    assert ok(api("board").get(url))["allowed_actions"] == []
    body = assert_error(
        api("board").post(period_url("evaluation-period-score", label="2030-01"), format="json"),
        400,
        "period_not_ended",
    )
    assert set(body["errors"]) == {"period"}
    assert Period.objects.get(label="2030-01").status == "open"


# -- a locked period ----------------------------------------------------------------------


def test_a_locked_period_refuses_every_step_and_nothing_is_written(world, api, review):
    services.assessment_set(
        actor=world.user("head"),
        period=review,
        official=world.officials["CG.STAFF"],
        general_points=30,
    )
    Period.objects.update(status="locked", appeal_until=dt.date(2026, 11, 15))
    before = written()
    for role in ("staff", "head"):
        assert ok(api(role).get(card_url("CG.STAFF")))["allowed_actions"] == []
    assert ok(api("board").get(period_url()))["allowed_actions"] == []
    assert ok(api("head").get(unit_url("HN.CG.VP")))["allowed_actions"] == []
    refusals = [
        (
            api("head").post(
                card_url("CG.HEAD", "score-card-self-score"), {"general_points": 30}, format="json"
            ),
            "period_status",
        ),
        (
            api("head").post(
                card_url("CG.STAFF2", "score-card-assessment"),
                {"general_points": 30},
                format="json",
            ),
            "period_closed",
        ),
        (
            api("head").post(
                unit_url("HN.CG.VP", "evaluation-unit-assessments"),
                {"assessments": [{"official": "CG.STAFF2", "general_points": 30}]},
                format="json",
            ),
            "period_closed",
        ),
        (
            api("head").post(unit_url("HN.CG.VP", "evaluation-unit-review"), format="json"),
            "period_status",
        ),
        (
            api("head").post(unit_url("HN.CG", "evaluation-unit-approve"), format="json"),
            "period_status",
        ),
        (api("board").post(period_url("evaluation-period-score"), format="json"), "period_closed"),
        (
            api("board").post(period_url("evaluation-period-start-review"), format="json"),
            "period_status",
        ),
        (
            api("board").post(period_url("evaluation-period-publish"), format="json"),
            "period_status",
        ),
        (api("board").post(period_url("evaluation-period-lock"), format="json"), "period_status"),
    ]
    for response, code in refusals:
        assert_error(response, 400, code)
    assert written() == before
