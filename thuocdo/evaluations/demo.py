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

from thuocdo.measure.scoring import Period as EnginePeriod

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


def demo_complaint(official_code: str, label: str) -> str | None:
    """A citizen's complaint about one of the official's finished tasks of the month,
    verified as founded by a leader of their unit ten days after the deadline (or at the
    month's end), so that the official's card shows a major error traced to it. Returns the
    complaint's code; None when the official finished no task that month. Once only."""
    from thuocdo.citizens import services as citizens
    from thuocdo.citizens.choices import FeedbackKind
    from thuocdo.citizens.models import Feedback
    from thuocdo.org.choices import LEADER_POSITIONS
    from thuocdo.org.models import Membership
    from thuocdo.tasks.models import Task

    period = EnginePeriod.parse(label)
    task = (Task.objects.filter(lead_official__code=official_code, due__gte=period.start,
                                due__lte=period.end, done_at__isnull=False,
                                done_at__lt=period.close)
            .select_related("lead_unit").order_by("due", "code").first())
    if task is None:
        return None
    existing = Feedback.objects.filter(task=task, kind=FeedbackKind.COMPLAINT).first()
    if existing is not None:
        return existing.code
    unit = task.lead_unit  # its leader, else the nearest one above
    leader = (Membership.objects.filter(unit__lft__lte=unit.lft, unit__rgt__gte=unit.rgt,
                                        position__in=LEADER_POSITIONS, start__lte=period.end)
              .exclude(end__lt=period.end).exclude(official__code=official_code)
              .select_related("official").order_by("-unit__lft", "official__code").first())
    if leader is None:
        return None
    zone = timezone.get_current_timezone()
    submitted = max(task.done_at, dt.datetime.combine(task.due, dt.time(8), tzinfo=zone))
    verified = min(submitted + dt.timedelta(days=3), period.close - dt.timedelta(hours=1))
    complaint, _key = citizens.feedback_submit(
        kind=FeedbackKind.COMPLAINT, category="conduct", unit=task.lead_unit,
        official=task.lead_official, contact_name="Nguyễn Thị Hạnh",
        text=f"Văn bản trả lời của phòng về việc \"{task.title}\" không đúng nội dung "
             "tôi đề nghị, tôi phải đi lại nhiều lần.",
        now=submitted)
    citizens.feedback_verify(user=None, actor=leader.official, feedback=complaint,
                             result="verified", task=task, now=verified,
                             note="Kiểm tra lại: văn bản trả lời chưa đúng quy định, "
                                  "yêu cầu rút kinh nghiệm")
    return complaint.code


def demo_scores(today: dt.date | None = None, complained_about: str = "") -> str:
    """Score the demo month (after a verified complaint about `complained_about`'s work, so
    their card shows it), assess it and start the review."""
    label = demo_month(today)
    period = services.period_open(label=label)
    if period.status not in SCORABLE:
        return f"{label}: {period.get_status_display()}"
    if complained_about:
        demo_complaint(complained_about, label)
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
