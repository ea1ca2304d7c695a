"""Services of feedback and dossiers: deadlines in working days across holidays, the
dossier's hash-chained log, the apology-slip rule and S10/S11/S3 through the adapter, the
rate limit, and refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from thuocdo.citizens import adapters, services
from thuocdo.citizens.models import Dossier, DossierEvent, Feedback, FeedbackEvent
from thuocdo.core.errors import PermissionDeniedError, ServiceError

from . import factories

VN = dt.timezone(dt.timedelta(hours=7))
pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=VN)


def test_dossier_deadline_counts_working_days_across_the_april_holidays(world):
    """Received Thursday 23/4/2026, 7 working days: 24/4 (1); 27/4 (Hùng Kings, observed),
    30/4 and 1/5 off; 28, 29/4 (2, 3); 4–7/5 (4–7) → 7/5."""
    dossier = factories.dossier(world, received_at=at("2026-04-23"))
    assert dossier.due == dt.date(2026, 5, 7)
    assert dossier.due_in_force == dossier.due
    assert dossier.holder_official.code == "CG.STAFF"
    assert dossier.events.get().kind == "receive"


def test_feedback_reply_deadline_counts_working_days_across_national_day(world):
    """Submitted Friday 28/8/2026: 31/8, 1/9, 2/9 off; 10 working days → 3/9 (1) … 16/9."""
    feedback = factories.feedback(world, submitted_at=at("2026-08-28"))
    assert feedback.reply_due == dt.date(2026, 9, 16)


def test_dossier_flow_log_and_hash_chain(world):
    staff, head = world.users["staff"], world.users["head"]
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    assert dossier.due == dt.date(2026, 10, 12)
    services.dossier_move(user=staff, dossier=dossier, at=at("2026-10-02"))
    services.dossier_request_supplement(user=staff, dossier=dossier, reason="Thiếu bản vẽ",
                                        at=at("2026-10-02", 15))
    dossier = services.dossier_receive_supplement(user=staff, dossier=dossier,
                                                  at=at("2026-10-06"))
    # waited 2/10 → 6/10: 5/10 and 6/10 are 2 working days
    assert dossier.due_in_force == dt.date(2026, 10, 14)
    dossier = services.dossier_move(user=head, dossier=dossier,
                                    to_official=world.officials["CG.DEP"], at=at("2026-10-07"))
    assert dossier.holder_unit.code == "HN.CG" and dossier.step == 3
    with pytest.raises(ServiceError) as refused:
        services.dossier_move(user=head, dossier=dossier, at=at("2026-10-08"))
    assert refused.value.service_code == "last_step"
    dossier = services.dossier_return_result(user=world.users["deputy"], dossier=dossier,
                                             at=at("2026-10-13"))
    assert dossier.done_late is False
    dossier = services.dossier_rate(user=world.users["deputy"], dossier=dossier,
                                    rating="satisfied", at=at("2026-10-13", 10))
    kinds = list(dossier.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == ["receive", "move", "supplement_request", "supplement_received", "move",
                     "result", "rate"]
    assert services.verify_dossier_chain(dossier)
    DossierEvent.objects.filter(dossier=dossier, seq=3).update(data={"reason": "sửa"})
    assert not services.verify_dossier_chain(dossier)


def test_only_the_holder_or_a_leader_acts_and_a_refusal_writes_nothing(world):
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    with pytest.raises(PermissionDeniedError):
        services.dossier_move(user=world.users["outsider"], dossier=dossier)
    with pytest.raises(PermissionDeniedError):
        services.dossier_move(user=world.users["inspector"], dossier=dossier)
    with pytest.raises(ServiceError) as refused:
        services.dossier_apology(user=world.users["staff"], dossier=dossier, reason="Quá tải",
                                 new_date=dossier.due_in_force)
    assert refused.value.field == "new_date"
    assert dossier.events.count() == 1
    assert Dossier.objects.get(pk=dossier.pk).apology_date is None


def test_second_supplement_request_raises_s10(world):
    staff = world.users["staff"]
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    for day in ("2026-10-02", "2026-10-06"):
        services.dossier_request_supplement(user=staff, dossier=dossier, reason="Thiếu giấy tờ",
                                            at=at(day))
        services.dossier_receive_supplement(user=staff, dossier=dossier, at=at(day, 16))
    found = adapters.citizen_signals(period_start=dt.date(2026, 10, 1),
                                     period_end=dt.date(2026, 10, 31), as_of=at("2026-10-09"))
    assert [(s.code, s.task, s.official, s.unit, s.raised_on) for s in found] == [
        ("S10", dossier.code, "CG.STAFF", "HN.CG.VP", dt.date(2026, 10, 6))]


def test_late_without_apology_raises_s11_and_a_slip_before_the_deadline_prevents_it(world):
    staff = world.users["staff"]
    late = factories.dossier(world, "D-LATE", received_at=at("2026-10-01"))
    excused = factories.dossier(world, "D-SLIP", received_at=at("2026-10-01"))
    services.dossier_apology(user=staff, dossier=excused, reason="Chờ xác minh thực địa",
                             new_date=dt.date(2026, 10, 20), at=at("2026-10-12", 8))
    period = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}
    assert adapters.citizen_signals(as_of=at("2026-10-12", 20), **period) == []
    found = adapters.citizen_signals(as_of=at("2026-10-13"), **period)
    assert [(s.code, s.task, s.official, s.raised_on) for s in found] == [
        ("S11", late.code, "CG.STAFF", dt.date(2026, 10, 12))]
    # a slip issued after the deadline is given to the applicant but does not excuse
    services.dossier_apology(user=staff, dossier=late, reason="Quá tải",
                             new_date=dt.date(2026, 10, 22), at=at("2026-10-13", 10))
    assert DossierEvent.objects.get(dossier=late, kind="apology").data["before_deadline"] is False
    assert [s.task for s in adapters.citizen_signals(as_of=at("2026-10-20"), **period)] == [
        late.code]


def test_forwarding_back_and_forth_raises_s3(world):
    head, dv_head = world.users["head"], None
    from thuocdo.accounts import services as accounts

    dv_head = accounts.user_create(email="dv@example.vn", password="x-Long-pass-123",
                                   official=world.officials["DV.HEAD"])
    feedback = factories.feedback(world, unit="HN.CG", submitted_at=at("2026-10-01"))
    services.feedback_forward(user=head, feedback=feedback, to_unit=world.units["HN.CG.DV"],
                              reason="Thuộc thẩm quyền phường", now=at("2026-10-02"))
    services.feedback_forward(user=dv_head, feedback=feedback, to_unit=world.units["HN.CG"],
                              reason="Vượt thẩm quyền phường", now=at("2026-10-05"))
    found = adapters.citizen_signals(period_start=dt.date(2026, 10, 1),
                                     period_end=dt.date(2026, 10, 31), as_of=at("2026-10-06"))
    assert [(s.code, s.task, s.official, s.unit, s.raised_on) for s in found] == [
        ("S3", feedback.code, "DV.HEAD", "HN.CG.DV", dt.date(2026, 10, 5))]
    public = FeedbackEvent.objects.filter(feedback=feedback, kind="forward", public=True)
    assert public.count() == 2
    assert public.first().data["to_unit_name"] == "UBND phường Dịch Vọng"


def test_feedback_assign_reply_close_rate(world):
    feedback = factories.feedback(world, submitted_at=at("2026-10-01"))
    with pytest.raises(PermissionDeniedError):
        services.feedback_assign(user=world.users["staff"], feedback=feedback,
                                 assignee=world.officials["CG.STAFF"], workdays=5)
    with pytest.raises(ServiceError) as refused:
        services.feedback_assign(user=world.users["head"], feedback=feedback,
                                 assignee=world.officials["BD.STAFF"], workdays=5)
    assert refused.value.field == "assignee"
    feedback = services.feedback_assign(user=world.users["head"], feedback=feedback,
                                        assignee=world.officials["CG.STAFF"], workdays=5,
                                        now=at("2026-10-02"))
    # the case's reply deadline stays; the official's is 5 working days after 2/10
    assert (feedback.reply_due, feedback.handling_due) == (dt.date(2026, 10, 15),
                                                           dt.date(2026, 10, 9))
    with pytest.raises(ServiceError):
        services.feedback_rate(feedback=feedback, rating="satisfied")
    services.feedback_reply(user=world.users["staff"], feedback=feedback,
                            answer="Đã chuyển hồ sơ sang bước thẩm định.", now=at("2026-10-05"))
    feedback = services.feedback_close(user=world.users["staff"], feedback=feedback,
                                       now=at("2026-10-06"))
    feedback = services.feedback_rate(feedback=feedback, rating="unsatisfied")
    with pytest.raises(ServiceError) as again:
        services.feedback_rate(feedback=feedback, rating="satisfied")
    assert again.value.service_code == "already_rated"
    assert Feedback.objects.get(pk=feedback.pk).rating == "unsatisfied"


def test_rate_limit_per_address(world):
    for _ in range(services.RATE_LIMIT_PER_HOUR):
        services.feedback_submit(category="urban", unit=world.units["HN.CG"],
                                 text="Rác thải tồn đọng ở ngõ 5.", source_address="10.0.0.1")
    with pytest.raises(ServiceError) as refused:
        services.feedback_submit(category="urban", unit=world.units["HN.CG"],
                                 text="Rác thải tồn đọng ở ngõ 5.", source_address="10.0.0.1")
    assert refused.value.service_code == "rate_limited"
    assert Feedback.objects.count() == services.RATE_LIMIT_PER_HOUR
    services.feedback_submit(category="urban", unit=world.units["HN.CG"],
                             text="Rác thải tồn đọng ở ngõ 5.", source_address="10.0.0.2")
    assert "10.0.0.1" not in Feedback.objects.first().source


def test_size_limits_write_nothing(world):
    with pytest.raises(ServiceError) as refused:
        services.feedback_submit(category="urban", unit=world.units["HN.CG"],
                                 text="x" * (services.TEXT_MAX + 1))
    assert refused.value.field == "text"
    with pytest.raises(ServiceError):
        services.feedback_submit(category="urban", unit=world.units["HN.CG"], text="ngắn")
    assert not Feedback.objects.exists()


def test_quality_findings_trace_complaints_and_low_ratings(world):
    staff, head = world.users["staff"], world.users["head"]
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    services.dossier_move(user=staff, dossier=dossier, to_official=world.officials["CG.STAFF2"],
                          at=at("2026-10-02"))
    complaint = factories.feedback(world, "PA-K1", kind="complaint", dossier=dossier,
                                   submitted_at=at("2026-10-05"))
    named = factories.feedback(world, "PA-K2", kind="complaint", official="CG.STAFF",
                               submitted_at=at("2026-10-05"))
    services.feedback_verify(user=head, feedback=complaint, result="verified",
                             note="Đúng là hồ sơ bị giữ quá lâu", now=at("2026-10-08"))
    services.feedback_verify(user=head, feedback=named, result="unfounded",
                             note="Không có căn cứ", now=at("2026-10-08"))
    found = adapters.quality_findings(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    assert [(f.official, f.dossier, f.feedback, f.kind, f.on, f.step) for f in found] == [
        ("CG.STAFF2", dossier.code, "PA-K1", "verified_complaint", dt.date(2026, 10, 8),
         "Thẩm định")]
    finding = found[0]
    from thuocdo.accounts import services as accounts

    staff2 = accounts.user_create(
        email="s2@example.vn", password="x-Long-pass-123", official=world.officials["CG.STAFF2"])
    with pytest.raises(PermissionDeniedError):
        services.finding_answer(user=staff, finding=finding, explanation="Không phải tôi")
    services.finding_answer(user=staff2, finding=finding,
                            explanation="Chờ ý kiến phòng Tài nguyên môi trường")
    services.finding_decide(user=head, finding=finding, decision="accepted",
                            note="Lý do khách quan")
    assert adapters.quality_findings(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)) == []
    assert [f.decision for f in adapters.all_findings(start=dt.date(2026, 10, 1),
                                                      end=dt.date(2026, 10, 31))] == ["accepted"]


def test_apology_prompt_one_working_day_before_a_deadline_that_will_be_missed(world):
    # received 1/10, 7 working days → 12/10 (Monday); still at step 1 of 3 on Friday 9/10
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    done = factories.dossier(world, "D-LAST", received_at=at("2026-10-01"))
    services.dossier_move(user=world.users["staff"], dossier=done, at=at("2026-10-02"),
                          to_official=world.officials["CG.STAFF"])
    services.dossier_move(user=world.users["head"], dossier=done, at=at("2026-10-05"),
                          to_official=world.officials["CG.HEAD"])
    assert services.apology_prompts_create(today=dt.date(2026, 10, 8)) == 0
    assert services.apology_prompts_create(today=dt.date(2026, 10, 9)) == 1
    from thuocdo.notifications.models import Notification
    from thuocdo.notifications.services import notifications_send_email

    prompt = Notification.objects.get()
    assert prompt.kind == "dossier_due" and prompt.task is None
    assert prompt.recipient.code == "CG.STAFF" and prompt.deadline == dt.date(2026, 10, 12)
    assert prompt.url == f"/citizens/dossier/{dossier.code}/"
    assert notifications_send_email() == 1
    assert len(mail.outbox) == 1 and dossier.code in mail.outbox[0].subject
    assert services.apology_prompts_create(today=dt.date(2026, 10, 9)) == 0
    from thuocdo.citizens import selectors
    from thuocdo.core.scope import scope_for

    assert [p["dossier"] for p in selectors.apology_prompts_for(
        scope=scope_for(world.users["staff"]))] == [dossier]
    services.dossier_apology(user=world.users["staff"], dossier=dossier, reason="Quá tải",
                             new_date=dt.date(2026, 10, 16), at=at("2026-10-09", 10))
    assert selectors.apology_prompts_for(scope=scope_for(world.users["staff"])) == []


def test_the_job_is_scheduled():
    from thuocdo.core.jobs import load_schedule

    assert "citizens.prompt_apology_slips" in load_schedule()


def test_low_ratings_are_traced_to_who_handled_the_work(world):
    staff, head = world.users["staff"], world.users["head"]
    feedback = factories.feedback(world, submitted_at=at("2026-10-01"))
    services.feedback_assign(user=head, feedback=feedback, assignee=world.officials["CG.STAFF"],
                             workdays=5, now=at("2026-10-01", 10))
    services.feedback_reply(user=staff, feedback=feedback, answer="Đã xử lý.",
                            now=at("2026-10-02"))
    services.feedback_close(user=staff, feedback=feedback, now=at("2026-10-02", 10))
    services.feedback_rate(feedback=feedback, rating="unsatisfied", now=at("2026-10-03"))
    # a dossier done late: the holder at the end of its deadline day answers for the rating
    dossier = factories.dossier(world, received_at=at("2026-10-01"))  # due 12/10
    services.dossier_move(user=staff, dossier=dossier, to_official=world.officials["CG.STAFF2"],
                          at=at("2026-10-02"))
    services.dossier_move(user=head, dossier=dossier, to_official=world.officials["CG.HEAD"],
                          at=at("2026-10-14"))
    services.dossier_return_result(user=head, dossier=dossier, at=at("2026-10-14", 10))
    services.dossier_rate(user=head, dossier=dossier, rating="unsatisfied",
                          at=at("2026-10-14", 11))
    found = adapters.quality_findings(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    assert [(f.kind, f.official, f.feedback, f.dossier, f.on, f.step) for f in found] == [
        ("low_rating", "CG.STAFF", "PA-CG", None, dt.date(2026, 10, 3), None),
        ("low_rating", "CG.STAFF2", None, dossier.code, dt.date(2026, 10, 14), "Thẩm định"),
    ]
    assert all(f.decision == "" for f in found)
