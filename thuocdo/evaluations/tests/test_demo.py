"""The demo's scores: last month scored, assessed (a reason for every deduction) and under
review; running it again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.evaluations.demo import demo_month, demo_scores
from thuocdo.evaluations.models import Assessment, Period, ScoreCard

from .helpers import CASES, read, with_accepts


def test_the_demo_month_is_the_last_complete_one():
    assert demo_month(dt.date(2026, 11, 23)) == "2026-10"
    assert demo_month(dt.date(2027, 1, 1)) == "2026-12"


@pytest.mark.django_db
def test_demo_scores_leave_the_month_in_review():
    from thuocdo.exchange.importer import import_document

    document = read(CASES[5])
    plain = {k: v for k, v in document.items()
             if k not in ("expected", "description", "assessments", "discipline")}
    import_document(with_accepts(plain)[0], on=dt.date(2026, 1, 1))
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
    plain = {k: v for k, v in document.items()
             if k not in ("expected", "description", "assessments", "discipline")}
    import_document(with_accepts(plain)[0], on=dt.date(2026, 1, 1))
    demo_scores(dt.date(2026, 11, 23), complained_about="CB002")
    card = ScoreCard.objects.get(period__label="2026-10", official__code="CB002")
    findings = [d["finding"] for d in card.data["deductions"] if d.get("finding")]
    assert len(findings) == 1, "one verified complaint, counted as a major error"
    assert demo_scores(dt.date(2026, 11, 23), complained_about="CB002")
    card.refresh_from_db()
    assert [d["finding"] for d in card.data["deductions"] if d.get("finding")] == findings
