"""The demo's scores: last month scored, assessed (a reason for every deduction) and under
review; running it again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.evaluations.demo import demo_month, demo_scores
from thuocdo.evaluations.models import Assessment, Period, ScoreCard
from thuocdo.measure.scenario import exchange_part

from .helpers import CASES, read


def test_the_demo_month_is_the_last_complete_one():
    assert demo_month(dt.date(2026, 11, 23)) == "2026-10"
    assert demo_month(dt.date(2027, 1, 1)) == "2026-12"


@pytest.mark.django_db
def test_demo_scores_leave_the_month_in_review():
    from thuocdo.exchange.importer import import_document

    document = read(CASES[5])
    plain = {k: v for k, v in exchange_part(document).items()
             if k not in ("assessments", "discipline")}
    import_document(plain)
    summary = demo_scores(dt.date(2026, 11, 23))
    assert summary.startswith("2026-10")
    period = Period.objects.get(label="2026-10")
    assert period.status == "review"
    cards = ScoreCard.objects.filter(period=period)
    assert cards.count() == Assessment.objects.filter(period=period).count() > 0
    assert all(a.reason for a in Assessment.objects.filter(general_points__lt=30))
    assert cards.filter(quota_applied=True).exists(), "the quota binds"
    before = list(cards.order_by("id").values_list("data", "status"))
    demo_scores(dt.date(2026, 11, 23))
    assert list(cards.order_by("id").values_list("data", "status")) == before


@pytest.mark.django_db
def test_the_demo_complaint_shows_on_the_officials_card():
    from thuocdo.exchange.importer import import_document

    document = read(CASES[0])  # CB002: on-time and late work in October
    plain = {k: v for k, v in exchange_part(document).items()
             if k not in ("assessments", "discipline")}
    import_document(plain)
    demo_scores(dt.date(2026, 11, 23), complained_about="CB002")
    card = ScoreCard.objects.get(period__label="2026-10", official__code="CB002")
    findings = [d["finding"] for d in card.data["deductions"] if d.get("finding")]
    assert len(findings) == 1, "one verified complaint, counted as a major error"
    assert demo_scores(dt.date(2026, 11, 23), complained_about="CB002")
    card.refresh_from_db()
    assert [d["finding"] for d in card.data["deductions"] if d.get("finding")] == findings


@pytest.mark.django_db
def test_the_demo_leaves_the_staff_account_s_card_waiting_for_their_self_score():
    """Every card of the demo month was assessed, so the demo's staff account could not
    walk the self-score step: their card is left unassessed (they were told they can
    self-score), they self-score it, a later run leaves it to them, and a leader of their
    unit assesses it after."""
    from thuocdo.accounts.services import user_create
    from thuocdo.evaluations import services
    from thuocdo.exchange.importer import import_document
    from thuocdo.notifications.models import Notification

    document = read(CASES[0])
    plain = {k: v for k, v in exchange_part(document).items()
             if k not in ("assessments", "discipline")}
    import_document(plain)
    summary = demo_scores(dt.date(2026, 11, 23), complained_about="CB002",
                          self_scoring="CB002")
    assert "CB002 chờ tự chấm / waiting for their self-score" in summary
    period = Period.objects.get(label="2026-10", status="review")
    card = ScoreCard.objects.select_related("official").get(period=period,
                                                            official__code="CB002")
    assessed = set(Assessment.objects.filter(period=period)
                   .values_list("official__code", flat=True))
    others = set(ScoreCard.objects.filter(period=period).exclude(pk=card.pk)
                 .values_list("official__code", flat=True))
    assert others and assessed == others, "every other card is assessed"
    assert services.self_score_refusal(card) is None
    assert not card.grade and card.self_points is None
    assert Notification.objects.filter(
        recipient=card.official, key=f"evaluation:self_score:{period.pk}:{card.official_id}"
    ).exists()
    user = user_create(email="cb002@example.org", password=None, official=card.official,
                       validate=False)
    services.card_self_score(actor=user, card=card, general_points="28",
                             note="Hoàn thành đủ nhiệm vụ")
    demo_scores(dt.date(2026, 11, 23), complained_about="CB002", self_scoring="CB002")
    card.refresh_from_db()
    assert card.self_points == 28
    assert not Assessment.objects.filter(period=period, official__code="CB002").exists()
    assert services.self_score_refusal(card) is None
    services.assessment_set(period=period, official=card.official, general_points="28",
                            reason="Chưa có sáng kiến trong tháng")
    card.refresh_from_db()
    assert card.grade and services.self_score_refusal(card).service_code == "already_assessed"


def test_demo_assessments_vary_and_every_deduction_has_its_written_reason():
    """Most officials lose a few points of the general criteria, for reasons written down
    (one per deduction), few keep all 30; leaders get đ and e; the same code always gets
    the same assessment."""
    from thuocdo.evaluations.demo import DEDUCTIONS, demo_assessment

    codes = [f"CB{n:06d}" for n in range(1, 301)]
    assessed = {code: demo_assessment(code, "staff") for code in codes}
    points = [p for p, _reason, _o, _u in assessed.values()]
    assert sum(p == 30 for p in points) < 0.1 * len(points)
    assert len(set(points)) >= 8 and min(points) >= 15
    costs = {reason: cost for _aspect, _chance, cost, reason in DEDUCTIONS}
    for p, reason, organising, uniting in assessed.values():
        written = [r for r in reason.split("; ") if r]
        assert 30 - p == sum(costs[r] for r in written)
        assert organising is uniting is None
    assert demo_assessment("CB000007", "staff") == assessed["CB000007"]
    _p, _r, organising, uniting = demo_assessment("CB000007", "head")
    assert organising in {"1", "0.9", "0.8"} and uniting in {"1", "0.9"}


@pytest.mark.django_db
def test_demo_scores_make_two_officials_kht_by_their_grounds():
    """Two staff of the demo district get a KHT ground in the month (a reprimand, a
    conclusion of degradation), recorded through the board's service (audit trail): their
    cards are KHT whatever their score; the demo's accounts are spared; once only. No
    ground of kind "signal": the board no longer records one (a confirmed S14 record
    counts by itself)."""
    from thuocdo.core.models import AuditEntry
    from thuocdo.evaluations.models import Ground
    from thuocdo.exchange.importer import import_document

    document = read(CASES[5])
    plain = {k: v for k, v in exchange_part(document).items()
             if k not in ("assessments", "discipline")}
    import_document(plain)
    summary = demo_scores(dt.date(2026, 11, 23), district="HN.CG", spare=("CB101",))
    grounds = list(Ground.objects.order_by("id"))
    assert [(g.kind, g.level, g.signal) for g in grounds] == [
        ("discipline", "reprimand", ""), ("degradation", "", "")]
    assert all(g.reason and g.confirmed and g.on.month == 10 and g.on.weekday() < 5
               for g in grounds)
    codes = [g.official.code for g in grounds]
    assert "CB101" not in codes and all(code.startswith("CB") for code in codes)
    assert AuditEntry.objects.filter(action="ground.record").count() == 2
    cards = {c.official.code: c for c in ScoreCard.objects.filter(period__label="2026-10")}
    for code in codes:
        card = cards[code]
        assert card.grade == card.grade_before_quota == "KHT"
        assert card.data["overrides"], "KHT by override, not by score"
        assert card.data["grade_by_score"] != "KHT"
    assert ", ".join(codes) in summary and "KHT" in summary
    demo_scores(dt.date(2026, 11, 23), district="HN.CG", spare=("CB101",))
    assert Ground.objects.count() == 2


def test_the_demo_city_grades_spread_and_the_quota_moves_a_few():
    """The demo's month as `thuocdo demo` builds it on 23/11/2026 (its seed, 300 officials,
    three months of history to that day), scored by the engine with the demo's
    assessments: most cards HTT, some HTXS, a few HT; the quota binds, in the demo
    district too, but moves 5–15% of the cards (it once moved 214 of 300, when nearly every
    official scored 90 or more)."""
    from collections import Counter

    from thuocdo.core.management.commands.demo import DEMO_SEED
    from thuocdo.evaluations.demo import demo_assessment
    from thuocdo.exchange.generate import generate_city
    from thuocdo.measure.calendar import public_days
    from thuocdo.measure.scenario import load_scenario, scenario_years
    from thuocdo.measure.scoring import Assessment as Assessed
    from thuocdo.measure.scoring import OfficialInput, TaskInput, score_period

    zone = dt.timezone(dt.timedelta(hours=7))
    document = generate_city(officials=300, seed=DEMO_SEED, months=3, start=(2026, 9),
                             until=dt.datetime(2026, 11, 23, tzinfo=zone))
    days_off, workdays = public_days(scenario_years(document))
    scenario = load_scenario(document, holidays=days_off, workdays=workdays)
    tasks = [TaskInput(history, facts.product or "", facts.coefficient, facts.quantity)
             for code, history in scenario.histories.items()
             for facts in [scenario.tasks[code]]]
    officials = [OfficialInput(o.code, o.unit or "", o.position or "staff", o.task_group)
                 for o in scenario.people.officials.values()]
    assessments = {}
    for official in officials:
        points, reason, organising, uniting = demo_assessment(official.code,
                                                              official.position)
        assessments[official.code] = Assessed(points, (reason,) if reason else (),
                                              organising, uniting)
    cards = score_period(period="2026-10", officials=officials, tasks=tasks,
                         units=scenario.people.units, calendar=scenario.calendar,
                         assessments=assessments).cards
    graded = [c for c in cards if c.grade is not None]
    grades = Counter(str(c.grade) for c in graded)
    moved = [c for c in graded if c.quota_applied]
    assert grades["HTT"] > 0.7 * len(graded), grades
    assert 0.03 * len(graded) < grades["HTXS"] < 0.2 * len(graded), grades
    assert 0 < grades["HT"] < 0.12 * len(graded), grades
    assert 0.05 * len(graded) <= len(moved) <= 0.15 * len(graded), (len(moved), grades)
    assert any(c.agency == "HN.Q01" for c in moved), "the quota binds in the demo district"
