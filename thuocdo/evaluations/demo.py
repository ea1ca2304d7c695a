"""The demo's scores: the last complete month scored, assessed and under review, so that a
head sees the HTXS quota bind in their unit's ranking and an official opens their card.

Assessments are made up but deterministic (from the official's code): most officials get
the full 30 points of the general criteria, one in four loses a few with a written reason;
leaders get their capacity to organise and to unite. Running the demo again the same month
changes nothing; a period the demo's users already moved past review is left alone.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.utils import timezone

from . import services
from .choices import SCORABLE, PeriodStatus
from .models import ScoreCard

DEDUCTIONS = (
    (27, "Chưa chủ động báo cáo tiến độ công việc được giao"),
    (28, "Có lúc chưa chấp hành đúng giờ giấc làm việc"),
    (26, "Phối hợp với đơn vị khác còn chậm"),
)


def demo_month(today: dt.date | None = None) -> str:
    """The last complete month before `today` (e.g. 2026-10 on 23/11/2026)."""
    today = today or timezone.localdate()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def demo_scores(today: dt.date | None = None) -> str:
    label = demo_month(today)
    period = services.period_open(label=label)
    if period.status not in SCORABLE:
        return f"{label}: {period.get_status_display()}"
    services.period_score(period=period, reason="thuocdo demo")
    rows = []
    for card in ScoreCard.objects.filter(period=period).select_related("official"):
        pick = zlib.crc32(card.official.code.encode())
        points, reason = (30, "") if pick % 4 else DEDUCTIONS[pick // 4 % len(DEDUCTIONS)]
        leader = card.position in ("head", "deputy")
        rows.append(services.AssessmentRow(
            card.official, points, reason,
            organising="0.9" if leader and pick % 3 == 0 else "1" if leader else None,
            uniting="1" if leader else None))
    services.assessments_save(period=period, rows=rows)
    period.refresh_from_db()
    if period.status == PeriodStatus.SCORING:
        services.period_start_review(period=period, reason="thuocdo demo")
    cards = ScoreCard.objects.filter(period=period)
    moved = cards.filter(quota_applied=True).count()
    return (f"{label}: {cards.count()} phiếu điểm / cards, {moved} HTXS → HTT "
            f"(hạn mức / quota), đang xem xét / under review")
