"""The procedure and who may do what: self-score → the head of unit reviews → the head of
the agency approves → published → appeal window (appeal with a reason, decision recorded)
→ locked. Every refusal writes nothing; every change is in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Appeal, Assessment, Period, ScoreCard

LABEL = "2026-10"


@pytest.fixture
def scored(world):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return period


def card(code: str) -> ScoreCard:
    return ScoreCard.objects.select_related("official", "unit", "agency", "period").get(
        period__label=LABEL, official__code=code)


def assess(world, who: str, code: str, points=30, reason="", **leader):
    return services.assessment_set(actor=world.user(who), period=Period.objects.get(label=LABEL),
                                   official=world.officials[code], general_points=points,
                                   reason=reason, **leader)


def test_only_the_board_opens_and_scores(world):
    with pytest.raises(PermissionDeniedError):
        services.period_open(actor=world.user("staff"), label=LABEL)
    with pytest.raises(PermissionDeniedError):
        services.period_open(actor=world.user("inspector"), label=LABEL)
    assert not Period.objects.exists()
    period = services.period_open(actor=world.user("board"), label=LABEL)
    with pytest.raises(PermissionDeniedError):
        services.period_score(actor=world.user("staff"), period=period)
    result = services.period_score(actor=world.user("board"), period=period)
    assert result.created == len(world.officials)
    period.refresh_from_db()
    assert period.status == "scoring" and period.rubric_version == "ND335-2025/1"
    assert AuditEntry.objects.filter(action="period.score", object_code=LABEL).exists()


def test_a_period_before_the_rubric_or_badly_written_is_refused(world):
    with pytest.raises(ServiceError, match=period_name("2025-12")):
        services.period_open(actor=world.user("board"), label="2025-12")
    with pytest.raises(ServiceError) as error:
        services.period_open(actor=world.user("board"), label="2026/10")
    assert error.value.service_code == "period_label"


def test_self_score_only_by_the_official(world, scored):
    services.card_self_score(actor=world.user("staff"), card=card("CG.STAFF"),
                             general_points=28, note="Hoàn thành đủ việc")
    assert card("CG.STAFF").self_points == 28
    with pytest.raises(PermissionDeniedError):
        services.card_self_score(actor=world.user("staff"), card=card("CG.STAFF2"),
                                 general_points=30)
    with pytest.raises(PermissionDeniedError):
        services.card_self_score(actor=world.user("head"), card=card("CG.STAFF"),
                                 general_points=30)


def test_who_assesses_whom(world, scored):
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    assess(world, "head", "CG.DEP", 28, "Chưa đôn đốc", organising="0.9", uniting=1)
    assess(world, "deputy", "CG.STAFF2", 30)
    for who, code in (("staff", "CG.STAFF2"), ("deputy", "CG.HEAD"), ("head", "CG.HEAD"),
                      ("outsider", "CG.STAFF"), ("inspector", "CG.STAFF"),
                      ("board", "CG.STAFF")):
        with pytest.raises(PermissionDeniedError):
            assess(world, who, code, 30)
    assert Assessment.objects.count() == 3
    assert card("CG.STAFF").general_points == 27  # the period was re-scored


def test_a_deduction_needs_a_reason_and_leaders_need_ratings(world, scored):
    with pytest.raises(ServiceError) as error:
        assess(world, "head", "CG.STAFF", 25)
    assert error.value.service_code == "reason_required"
    with pytest.raises(ServiceError) as error:
        assess(world, "head", "CG.DEP", 30)
    assert error.value.service_code == "leader_rating"
    with pytest.raises(ServiceError):
        assess(world, "head", "CG.STAFF", 31)
    assert not Assessment.objects.exists()


def _review_everything(world, period):
    admin = world.user("admin")
    services.period_start_review(actor=world.user("board"), period=period)
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    assess(world, "head", "CG.STAFF2", 30)
    assess(world, "head", "CG.DEP", 29, "Chưa đôn đốc", organising=1, uniting=1)
    for code in ("CG.HEAD", "DV.HEAD"):
        assess(world, "admin", code, 30, organising=1, uniting=1)
    assess(world, "admin", "BD.STAFF", 30)
    units = world.units
    services.unit_review(actor=world.user("head"), period=period, unit=units["HN.CG.VP"])
    services.unit_review(actor=world.user("head"), period=period, unit=units["HN.CG"])
    for unit in ("HN.CG", "HN.CG.DV", "HN.BD.VP"):
        services.unit_review(actor=admin, period=period, unit=units[unit])


def test_the_whole_procedure(world, scored):
    period = scored
    with pytest.raises(ServiceError):  # review has not started
        services.unit_review(actor=world.user("head"), period=period,
                             unit=world.units["HN.CG.VP"])
    _review_everything(world, period)
    assert card("CG.STAFF").status == "reviewed"
    with pytest.raises(PermissionDeniedError):
        services.agency_approve(actor=world.user("deputy"), period=period,
                                agency=world.units["HN.CG"])
    # the head approves the agency's cards but their own, and the card of the head of the
    # commune below (DV.HEAD): CG.DEP, CG.STAFF, CG.STAFF2, DV.HEAD
    assert services.agency_approve(actor=world.user("head"), period=period,
                                   agency=world.units["HN.CG"]) == 4
    assert card("CG.HEAD").status == "reviewed"
    assert services.agency_approve(actor=world.user("admin"), period=period,
                                   agency=world.units["HN.CG.DV"]) == 0
    services.agency_approve(actor=world.user("admin"), period=period,
                            agency=world.units["HN.BD"])
    period.refresh_from_db()
    assert period.status == "review"
    # the head's own card: the organisation board over the agency approves it
    assert services.agency_approve(actor=world.user("board"), period=period,
                                   agency=world.units["HN.CG"]) == 1
    period.refresh_from_db()
    assert period.status == "approved"
    with pytest.raises(ServiceError):  # approved: never re-scored
        services.period_score(actor=world.user("board"), period=period)

    today = dt.date(2026, 11, 2)
    services.period_publish(actor=world.user("board"), period=period, appeal_days=5, on=today)
    with pytest.raises(PermissionDeniedError):
        services.appeal_file(actor=world.user("deputy"), card=card("CG.STAFF"), reason="x",
                             on=today)
    with pytest.raises(ServiceError):
        services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"), reason="  ",
                             on=today)
    with pytest.raises(ServiceError):
        services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                             reason="Muộn", on=today + dt.timedelta(days=6))
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Báo cáo chậm do chờ số liệu", on=today)
    with pytest.raises(ServiceError):  # the window is open
        services.period_lock(actor=world.user("board"), period=period, on=today)
    for who in ("staff", "deputy", "outsider", "inspector"):
        with pytest.raises(PermissionDeniedError):
            services.appeal_decide(actor=world.user(who), appeal=appeal, accepted=True,
                                   reason="Đồng ý")
    with pytest.raises(ServiceError):  # pending appeal blocks the lock
        services.period_lock(actor=world.user("board"), period=period,
                             on=today + dt.timedelta(days=6))
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                           reason="Có nguyên nhân khách quan", general_points=30)
    assert Appeal.objects.get().status == "accepted"
    assert card("CG.STAFF").general_points == 30
    assert card("CG.STAFF").status == "approved"
    period.refresh_from_db()
    assert period.status == "published"
    services.period_lock(actor=world.user("board"), period=period,
                         on=today + dt.timedelta(days=6))
    period.refresh_from_db()
    assert period.status == "locked"
    before = list(ScoreCard.objects.order_by("id").values_list("data", flat=True))
    with pytest.raises(ServiceError):
        services.period_score(period=period)
    with pytest.raises(ServiceError):
        assess(world, "admin", "CG.STAFF", 20, "thử")
    with pytest.raises(ServiceError):
        services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"), reason="x",
                             on=today)
    assert list(ScoreCard.objects.order_by("id").values_list("data", flat=True)) == before
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"period.open", "period.score", "period.review", "assessment.set", "unit.review",
            "agency.approve", "period.publish", "appeal.file", "appeal.decide",
            "period.lock"} <= actions


def test_review_needs_every_card_assessed(world, scored):
    services.period_start_review(actor=world.user("board"), period=scored)
    assess(world, "head", "CG.STAFF", 30)
    with pytest.raises(ServiceError) as error:
        services.unit_review(actor=world.user("head"), period=scored,
                             unit=world.units["HN.CG.VP"])
    assert "CG.STAFF2" in error.value.service_message
    assert not ScoreCard.objects.filter(status="reviewed").exists()
    with pytest.raises(PermissionDeniedError):
        services.unit_review(actor=world.user("staff"), period=scored,
                             unit=world.units["HN.CG.VP"])


def test_an_approval_needs_the_agency_reviewed(world, scored):
    services.period_start_review(actor=world.user("board"), period=scored)
    with pytest.raises(ServiceError) as error:
        services.agency_approve(actor=world.user("head"), period=scored,
                                agency=world.units["HN.CG"])
    assert error.value.service_code == "not_reviewed"


def test_a_changed_card_goes_back_to_draft(world, scored):
    _review_everything(world, scored)
    assert card("CG.STAFF").status == "reviewed"
    assess(world, "head", "CG.STAFF", 26, "Thêm một sai sót")
    assert card("CG.STAFF").status == "draft"
    assert card("CG.STAFF").general_points == 26  # the new content stored
    assert card("CG.STAFF").data["general_points"] == 26
    assert card("CG.STAFF2").status == "reviewed"


def test_grounds_are_recorded_by_the_board_only(world, scored):
    with pytest.raises(PermissionDeniedError):
        services.ground_record(actor=world.user("head"), official=world.officials["CG.STAFF"],
                               on=dt.date(2026, 10, 3), level="reprimand")
    with pytest.raises(ServiceError):
        services.ground_record(actor=world.user("board"), kind="corruption",
                               on=dt.date(2026, 10, 3))
    services.ground_record(actor=world.user("board"), official=world.officials["CG.STAFF"],
                           on=dt.date(2026, 10, 3), level="reprimand", reason="Vi phạm")
    assess(world, "head", "CG.STAFF", 30)
    data = card("CG.STAFF").data
    assert data["overrides"][0]["kind"] == "discipline"
