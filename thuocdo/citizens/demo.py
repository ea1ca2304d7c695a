"""Demo data of citizens: procedures, dossiers and feedback in a few communes of the demo
city, written through the services (as staff would have, over the last two months), so the
dossier lists, the feedback inbox, S3/S10/S11 and the service index have something to show.

Deterministic for a given day (a seeded random), and a no-op when already there. A few
dossiers (one returned and not rated yet, one still open, one with an apology slip or a
supplement request, where there are) get the access key `DEMO_KEY`, so the public look-up
(/phan-anh/ho-so/) can be tried; the summary names them.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Unit

from . import services
from .choices import DossierEventKind, DossierStatus
from .models import Dossier, Procedure

SEED = 766
COMMUNES = 4
DOSSIERS_PER_COMMUNE = 14
FEEDBACK_PER_COMMUNE = 5
DAYS_BACK = 60
#: the access key of the dossiers the demo opens to the public look-up
DEMO_KEY = "DEMKEY2345"

TEXTS = [
    ("urban", "Đèn chiếu sáng ngõ {n} bị hỏng hơn hai tuần, buổi tối rất tối và nguy hiểm."),
    ("environment", "Rác thải tập kết sai giờ trước số {n}, bốc mùi ảnh hưởng các hộ xung quanh."),
    ("urban", "Vỉa hè đoạn trước số {n} bị lấn chiếm làm chỗ để xe, người đi bộ phải "
              "xuống lòng đường."),
    ("procedure", "Tôi nộp hồ sơ chứng thực từ tuần trước nhưng chưa nhận được hẹn trả kết quả."),
    ("other", "Đề nghị bố trí thêm ghế chờ tại bộ phận một cửa, người cao tuổi phải đứng lâu."),
]
APPLICANTS = ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Minh Tuấn", "Phạm Thị Hương",
              "Hoàng Văn Nam", "Vũ Thị Thu", "Đỗ Quang Huy", "Bùi Thị Ngọc",
              "Công ty TNHH Xây dựng Thành Công", "Hộ kinh doanh Minh Anh"]


def _people(unit: Unit, today: dt.date) -> tuple[object | None, list]:
    rows = (Membership.objects.filter(unit=unit, start__lte=today)
            .exclude(end__lt=today).select_related("official").order_by("official__code"))
    heads = [m.official for m in rows if m.position in LEADER_POSITIONS]
    staff = [m.official for m in rows if m.position not in LEADER_POSITIONS]
    return (heads[0] if heads else None), staff


def demo_citizens(now: dt.datetime | None = None) -> str:
    """Write the demo's procedures, dossiers and feedback; returns a one-line summary."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(f"{SEED}-{today.isoformat()}")  # noqa: S311 - demo data, not secrets
    calendar = work_calendar(years=range(today.year - 1, today.year + 1))
    communes = []
    for unit in Unit.objects.filter(kind="commune", is_active=True).order_by("lft"):
        head, staff = _people(unit, today)
        if head is not None and len(staff) >= 2:
            communes.append((unit, head, staff))
        if len(communes) == COMMUNES:
            break
    made_dossiers = made_feedback = 0
    for unit, head, staff in communes:
        code = f"HT-KH.{unit.code}"
        if Procedure.objects.filter(code=code).exists():
            continue
        procedure = services.procedure_create(
            code=code, name="Đăng ký kết hôn", processing_days=5,
            steps=[("Tiếp nhận hồ sơ", unit, 1), ("Thẩm định", unit, 3),
                   ("Ký, trả kết quả", unit, 1)])
        made_dossiers += _dossiers(procedure, head, staff, rng, calendar, now)
        made_feedback += _feedback(unit, head, staff, rng, now)
    if made_dossiers:
        _demo_keys()
    summary = f"{made_dossiers} hồ sơ / dossiers, {made_feedback} phản ánh / feedback"
    keyed = list(Dossier.objects.filter(access_key_hash=services.access_key_hash(DEMO_KEY))
                 .order_by("code").values_list("code", flat=True))
    if keyed:
        summary += (f"; tra cứu hồ sơ / dossier look-up /phan-anh/ho-so/: {', '.join(keyed)}"
                    f", mã truy cập / access key {DEMO_KEY}")
    return summary


def _demo_keys() -> None:
    """Give `DEMO_KEY` to a dossier returned and not rated, one still open, and one whose
    timeline has an apology slip or a supplement request (the first of each, by code)."""
    rows = Dossier.objects.filter(procedure__code__startswith="HT-KH.").order_by("code")
    picks = [
        rows.filter(status=DossierStatus.DONE, rating="").first(),
        rows.exclude(status=DossierStatus.DONE).first(),
        rows.filter(events__kind__in=[DossierEventKind.APOLOGY,
                                      DossierEventKind.SUPPLEMENT_REQUEST]).first(),
    ]
    for dossier in {d.pk: d for d in picks if d is not None}.values():
        clerk = dossier.events.get(kind=DossierEventKind.RECEIVE).actor
        services.dossier_key_issue(user=None, actor=clerk, dossier=dossier,
                                   access_key=DEMO_KEY)


def _at(day: dt.date, hour: int, now: dt.datetime) -> dt.datetime | None:
    """`hour` o'clock (and a few minutes, varying by day) on `day`; None if not yet."""
    minute = (day.toordinal() * 7) % 50
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    return moment if moment <= now else None


def _dossiers(procedure, head, staff, rng, calendar, now) -> int:
    today = timezone.localdate(now)
    clerk, expert = staff[0], staff[1]
    made = 0
    kept_for_portal = False  # the first returned dossier waits for its rating on the portal
    for i in range(DOSSIERS_PER_COMMUNE):
        received_on = today - dt.timedelta(days=rng.randint(1, DAYS_BACK))
        if not calendar.is_workday(received_on):
            continue
        received_at = _at(received_on, 8 + i % 3, now)
        if received_at is None:
            continue
        dossier, _key = services.dossier_receive(
            user=None, actor=clerk, procedure=procedure, applicant=rng.choice(APPLICANTS),
            applicant_contact=f"09{rng.randint(10000000, 99999999)}",
            channel="online" if rng.random() < 0.45 else "counter", received_at=received_at)
        made += 1
        fate = rng.random()
        day = received_on

        def step(n: int, hour: int = 9):
            nonlocal day
            day = calendar.add_workdays(day, n)
            return _at(day, hour, now)

        moment = step(1)
        if moment is None:
            continue
        dossier = services.dossier_move(user=None, actor=clerk, dossier=dossier,
                                        to_official=expert, at=moment)
        if fate < 0.2:  # supplements, a second time for some (S10)
            for _ in range(2 if fate < 0.07 else 1):
                ask, back = step(1, 10), step(2, 9)
                if ask is None:
                    break
                dossier = services.dossier_request_supplement(
                    user=None, actor=expert, dossier=dossier, at=ask,
                    reason="Thiếu bản sao giấy xác nhận tình trạng hôn nhân")
                if back is None:
                    break
                dossier = services.dossier_receive_supplement(user=None, actor=expert,
                                                              dossier=dossier, at=back)
            if dossier.status != "processing":
                continue
        late = fate > 0.8
        if late and fate < 0.93:  # an apology slip the day before the deadline
            slip_day = calendar.add_workdays(dossier.due_in_force, 0)
            slip_day = max(day, slip_day - dt.timedelta(days=1))
            slip = _at(slip_day, 16, now)
            if slip is None:
                continue
            day = slip_day
            dossier = services.dossier_apology(
                user=None, actor=expert, dossier=dossier, at=slip,
                reason="Cần xác minh thông tin cư trú tại địa phương khác",
                new_date=calendar.add_workdays(dossier.due_in_force, 3))
        days_to_sign = (calendar.workdays_between(day, dossier.due_in_force) + 2 if late
                        else rng.randint(1, max(1, calendar.workdays_between(
                            day, dossier.due_in_force) - 1)))
        moment = step(days_to_sign, 10)
        if moment is None:
            continue
        dossier = services.dossier_move(user=None, actor=expert, dossier=dossier,
                                        to_official=head, at=moment)
        moment = _at(day, 15, now)
        if moment is None:
            continue
        dossier = services.dossier_return_result(user=None, actor=head, dossier=dossier,
                                                 at=moment)
        if not kept_for_portal:
            kept_for_portal = True
        elif rng.random() < 0.7:
            rating = ("unsatisfied" if late and rng.random() < 0.5
                      else rng.choice(["satisfied", "satisfied", "neutral"]))
            rated = _at(day, 16, now)
            if rated is not None:
                services.dossier_rate(user=None, actor=head, dossier=dossier, rating=rating,
                                      at=rated)
    return made


def _feedback(unit, head, staff, rng, now) -> int:
    today = timezone.localdate(now)
    district = unit.parent
    made = 0
    for i in range(FEEDBACK_PER_COMMUNE):
        category, text = TEXTS[i % len(TEXTS)]
        submitted = now - dt.timedelta(days=rng.randint(3, DAYS_BACK), hours=rng.randint(0, 8))
        feedback, _key = services.feedback_submit(
            category=category, unit=unit, text=text.format(n=rng.randint(2, 120)),
            contact=f"09{rng.randint(10000000, 99999999)}", contact_name=rng.choice(APPLICANTS),
            now=submitted, via="web")
        made += 1
        moment = submitted + dt.timedelta(hours=3)
        if i == 4 and district is not None:  # not ours: to the district
            services.feedback_forward(user=None, actor=head, feedback=feedback,
                                      to_unit=district, now=moment,
                                      reason="Việc bố trí cơ sở vật chất do UBND quận quyết định")
            continue
        services.feedback_assign(user=None, actor=head, feedback=feedback,
                                 assignee=staff[i % len(staff)], workdays=5, now=moment)
        if i == 3:  # still open
            continue
        answered = moment + dt.timedelta(days=rng.randint(1, 9))
        if timezone.localdate(answered) >= today:
            continue
        services.feedback_reply(user=None, actor=staff[i % len(staff)], feedback=feedback,
                                answer="Đơn vị đã kiểm tra, xử lý và thông báo kết quả cho "
                                       "người phản ánh.", now=answered)
        services.feedback_close(user=None, actor=head, feedback=feedback,
                                now=answered + dt.timedelta(hours=2))
        rated = answered + dt.timedelta(days=1)
        if rated < now:
            services.feedback_rate(feedback=feedback, rating=rng.choice(
                ["satisfied", "satisfied", "neutral", "unsatisfied"]), now=rated)
    return made
