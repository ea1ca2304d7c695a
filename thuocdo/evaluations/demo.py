"""The demo's scores: the last complete month scored, assessed and under review, so that a
head sees the HTXS quota bind in their unit's ranking and an official opens their card. One
card is left unassessed: the demo's staff account's, which waits for their self-score (a
new user walks that step, then a leader of their unit or above assesses the card).

Assessments are made up but deterministic (from the official's code): most officials lose
a few points of the general criteria, each deduction with its written reason, and few keep
all 30; leaders get their capacity to organise and to unite. With the generated task
results (most products done, some late or unfinished at the month's close) most cards are
HTT, some HTXS (the quota moves a few of them down) and a few HT. In the demo district two
officials are KHT whatever their score: one disciplined with a reprimand during the month,
one with a competent conclusion of ethical degradation (both recorded as KHT grounds by the
board's service; a confirmed S14 signal needs no ground: its record counts by itself).
Running the demo again the same month changes nothing; a period the demo's users already
moved past review is left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

from django.utils import timezone

from thuocdo.measure.scoring import Period as EnginePeriod

from . import services
from .choices import SCORABLE, DisciplineLevel, GroundKind, PeriodStatus
from .models import Assessment, Ground, ScoreCard

#: The demo's general-criteria deductions: (aspect, chance in hundredths, points, the
#: written reason). Whether an official has each is fixed by their code (`_draw`), so most
#: lose a few points for everyday reasons and few keep all 30.
DEDUCTIONS = (
    ("initiative", 85, 4, "Chưa có sáng kiến, giải pháp đổi mới được ghi nhận trong tháng"),
    ("proposals", 60, 2, "Chưa chủ động đề xuất cách tháo gỡ vướng mắc trong lĩnh vực phụ trách"),
    ("learning", 60, 1, "Chưa tích cực tham gia học tập, sinh hoạt chuyên đề của cơ quan"),
    ("hours", 45, 1, "Có lúc chưa chấp hành đúng giờ giấc làm việc"),
    ("advice", 40, 2, "Chất lượng tham mưu có lúc chưa cao, văn bản phải sửa nhiều lần"),
    ("coordination", 30, 2, "Phối hợp với đơn vị khác còn chậm"),
    ("citizens", 5, 3, "Người dân phản ánh về thái độ khi hướng dẫn, tiếp nhận hồ sơ"),
    ("rules", 10, 4, "Vi phạm quy chế làm việc của cơ quan, đã bị nhắc nhở bằng văn bản"),
)


def _draw(code: str, aspect: str) -> int:
    """A number in [0, 100) fixed by the official's code and the aspect."""
    digest = hashlib.blake2b(f"thuocdo-demo:{code}:{aspect}".encode(), digest_size=4)
    return int.from_bytes(digest.digest()) % 100


def demo_assessment(code: str, position: str) -> tuple[int, str, str | None, str | None]:
    """The demo's assessment of one official: (general points, the written reasons of its
    deductions, and for a head or deputy đ and e), fixed by their code."""
    points, reasons = 30, []
    for aspect, chance, cost, reason in DEDUCTIONS:
        if _draw(code, aspect) < chance:
            points -= cost
            reasons.append(reason)
    organising = uniting = None
    if position in ("head", "deputy"):
        roll = _draw(code, "organising")
        organising = "1" if roll < 40 else "0.9" if roll < 85 else "0.8"
        uniting = "1" if _draw(code, "uniting") < 60 else "0.9"
    return points, "; ".join(reasons), organising, uniting


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


#: The demo's KHT grounds: (kind, discipline level, signal, the written reason)
GROUNDS = (
    (GroundKind.DISCIPLINE, DisciplineLevel.REPRIMAND, "",
     "Quyết định kỷ luật khiển trách: để nhiều hồ sơ của người dân quá hạn, không báo cáo "
     "lãnh đạo và không có văn bản xin lỗi"),
    (GroundKind.DEGRADATION, "", "",
     "Kết luận của cấp ủy về suy thoái đạo đức, lối sống: nhận quà của doanh nghiệp có hồ "
     "sơ đang do mình thụ lý"),
)


def demo_grounds(district: str, label: str, spare: tuple[str, ...] = ()) -> list[str]:
    """Record the demo's KHT grounds (`GROUNDS`) for staff of the divisions of `district`
    (its agency, so that its head sees them in their ranking), other than the officials in
    `spare` (the demo's accounts): one each, dated in the month `label`, so that their
    cards of that month are KHT whatever their score. Returns their codes. Once a year."""
    from thuocdo.org.models import Membership, Unit

    unit = Unit.objects.filter(code=district).first()
    if unit is None:
        return []
    period = EnginePeriod.parse(label)
    on = period.start.replace(day=12)
    on -= dt.timedelta(days=max(0, on.weekday() - 4))  # a weekday: Friday for a weekend
    members = list(Membership.objects
                   .filter(unit__lft__gt=unit.lft, unit__rgt__lt=unit.rgt,
                           unit__kind="division", position="staff", start__lte=period.end)
                   .exclude(end__lt=period.end).exclude(official__code__in=spare)
                   .select_related("official").order_by("unit__lft", "official__code"))
    firsts: dict[int, object] = {}
    for membership in members:
        firsts.setdefault(membership.unit_id, membership.official)
    # one from each of the first divisions, then (too few divisions) from the same ones
    chosen = [*firsts.values(),
              *(m.official for m in members if m.official not in firsts.values())]
    codes = []
    for official, (kind, level, signal, reason) in zip(chosen, GROUNDS, strict=False):
        if not Ground.objects.filter(official=official, kind=kind, on__year=on.year).exists():
            services.ground_record(kind=kind, official=official, on=on, level=level,
                                   signal=signal, reason=reason)
        codes.append(official.code)
    return codes


def demo_scores(today: dt.date | None = None, complained_about: str = "",
                district: str = "", spare: tuple[str, ...] = (), self_scoring: str = "") -> str:
    """Score the demo month (after a verified complaint about `complained_about`'s work, so
    their card shows it, and with KHT grounds for two officials of `district`, see
    `demo_grounds`), assess it and start the review. The card of the official coded
    `self_scoring` is not assessed: it waits for their self-score (`self_score_refusal`),
    then for a leader's assessment, and a later run leaves it to them."""
    label = demo_month(today)
    period = services.period_open(label=label)
    if period.status not in SCORABLE:
        return f"{label}: {period.get_status_display()}"
    if complained_about:
        demo_complaint(complained_about, label)
    kht = demo_grounds(district, label, spare=(complained_about, *spare)) if district else []
    services.period_score(period=period, reason="thuocdo demo")
    rows = []
    for card in ScoreCard.objects.filter(period=period).select_related("official"):
        if card.official.code == self_scoring:
            continue
        points, reason, organising, uniting = demo_assessment(card.official.code,
                                                              card.position)
        rows.append(services.AssessmentRow(card.official, points, reason,
                                           organising=organising, uniting=uniting))
    services.assessments_save(period=period, rows=rows)
    period.refresh_from_db()
    if period.status == PeriodStatus.SCORING:
        services.period_start_review(period=period, reason="thuocdo demo")
    cards = ScoreCard.objects.filter(period=period)
    grades = Counter(cards.values_list("grade", flat=True))
    moved = cards.filter(quota_applied=True).count()
    counts = ", ".join(f"{grades[grade]} {grade}" for grade in ("HTXS", "HTT", "HT", "KHT"))
    overridden = (f"; KHT (kỷ luật, suy thoái / discipline, degradation): {', '.join(kht)}"
                  if kht else "")
    waiting = (f"; {self_scoring} chờ tự chấm / waiting for their self-score"
               if self_scoring and not Assessment.objects.filter(
                   period=period, official__code=self_scoring).exists() else "")
    return (f"{label}: {cards.count()} phiếu điểm / cards: {counts}; {moved} HTXS → HTT "
            f"(hạn mức / quota){overridden}{waiting}; đang xem xét / under review")
