"""Notifications from the event log and the calendar: the right person, exactly once, in
few queries; the fill state; e-mail once; marking read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thuocdo.core.errors import PermissionDeniedError
from thuocdo.notifications import services
from thuocdo.notifications.choices import NotificationKind as K
from thuocdo.notifications.models import Notification, NotificationFillState
from thuocdo.tasks.models import TaskEvent

from .helpers import D, act, assign, at

pytestmark = pytest.mark.django_db
#: the opinions' notices of the morning run: none waits in these tests
QUIET = {"opinion_soon": 0, "opinion_late": 0}

NOW = at(6, 17)  # the job runs after the events of 1–5 October 2026


def run(**kwargs) -> int:
    return services.notifications_from_events(now=kwargs.pop("now", NOW), **kwargs)


def notes(**filters) -> list[tuple[str, str, str]]:
    """(recipient code, kind, task code) of the stored notifications, in id order."""
    return list(Notification.objects.filter(**filters).order_by("id").values_list(
        "recipient__code", "kind", "task__code"))


# -- events ----------------------------------------------------------------------------


def test_each_event_notifies_the_right_person_once(world):
    """Assigned → the lead; transfer and return → the new holder; remind → the holder.
    Accepting and the like notify nobody."""
    task = assign(world)
    act(world, task, "accept", "CG.STAFF", at(2))
    act(world, task, "transfer", "CG.STAFF", at(2, 10), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="đúng chuyên môn")
    act(world, task, "return", "CG.STAFF2", at(3), to_unit="HN.CG.VP", to_official="CG.STAFF",
        reason="trả lại")
    act(world, task, "remind", "CG.DEP", at(5), note="sắp đến hạn")
    assert run() == 4
    code = task.code
    assert notes() == [
        ("CG.STAFF", K.ASSIGNED, code),
        ("CG.STAFF2", K.TRANSFERRED, code),
        ("CG.STAFF", K.TRANSFERRED, code),
        ("CG.STAFF", K.REMINDED, code),
    ]
    by_event = {n.event.kind: n for n in Notification.objects.select_related("event")}
    assigned = by_event["create"]
    assert assigned.key == f"event:{assigned.event_id}:{world.officials['CG.STAFF'].pk}"
    assert assigned.url == services.task_url(code)
    assert assigned.deadline == D(2026, 10, 15)
    assert assigned.read_at is None
    # dated when the event happened, not when the job ran
    assert assigned.created_at == assigned.event.at < NOW
    assert by_event["remind"].created_at == at(5)
    assert code in assigned.title and "15/10/2026" in assigned.body
    assert "Nguyễn Văn Đức" in assigned.body  # who assigned it
    assert "đúng chuyên môn" in by_event["transfer"].body  # the reason given
    assert "sắp đến hạn" in by_event["remind"].body


def test_running_again_notifies_nothing_new(world):
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    assert run() == 2
    assert run() == 0
    # Even re-reading the whole log on purpose notifies nothing twice.
    assert run(since_id=0) == 0
    assert Notification.objects.count() == 2
    act(world, task, "remind", "CG.HEAD", at(3))
    assert run() == 1
    assert Notification.objects.count() == 3


def test_nobody_is_told_about_their_own_action(world):
    """A head who assigns work to themselves gets no "assigned to you"."""
    assign(world, lead="CG.HEAD", unit="HN.CG")
    assert run() == 0


def test_work_held_by_a_unit_with_no_official_named_notifies_its_leaders(world):
    """Passed to the ward with nobody named: its head is told (more in test_unit_held)."""
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.DV", reason="thuộc phường")
    assert run() == 2
    assert notes() == [("CG.STAFF", K.ASSIGNED, task.code),
                       ("DV.HEAD", K.TRANSFERRED, task.code)]


def test_old_events_are_history_not_news(world):
    """Events older than a week when the job first sees them (an imported history) are
    passed over, and the fill state still moves past them."""
    assign(world)
    assert run(now=at(20)) == 0
    assert NotificationFillState.objects.get().last_event_id == TaskEvent.objects.get().pk
    assert run(now=at(20), since_id=0, max_age=None) == 1


def test_query_count_does_not_grow_with_the_number_of_events(world, django_assert_max_num_queries):
    def build(n: int) -> int:
        for _ in range(n):
            task = assign(world)
            act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
                to_official="CG.STAFF2", reason="x")
            act(world, task, "remind", "CG.DEP", at(3))
        with CaptureQueriesContext(connection) as queries:
            assert run() == 3 * n
        return len(queries)

    build(1)  # the first run also creates the fill-state row
    few = build(2)
    many = build(15)
    assert many == few
    for _ in range(10):
        assign(world)
    with django_assert_max_num_queries(12):
        assert run() == 10


def test_a_crash_writes_nothing_and_the_next_run_does_everything(world, monkeypatch):
    """Fill state and notifications move together: an exception half-way through leaves
    neither written; the next run notifies every event, once."""
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    real_insert = services.insert_notifications

    def insert_then_crash(rows):
        real_insert(rows)  # written inside the transaction...
        raise RuntimeError("worker killed")  # ...then the run dies

    monkeypatch.setattr(services, "insert_notifications", insert_then_crash)
    with pytest.raises(RuntimeError):
        run()
    assert Notification.objects.count() == 0
    assert not NotificationFillState.objects.filter(last_event_id__gt=0).exists()
    monkeypatch.setattr(services, "insert_notifications", real_insert)
    assert run() == 2
    assert NotificationFillState.objects.get().last_event_id == TaskEvent.objects.order_by(
        "-id").first().pk


def test_a_crash_in_a_later_window_keeps_the_windows_before_it(world, monkeypatch):
    """Windows are transactions: a crash in the second keeps the first and its fill state;
    the next run resumes and every event ends up notified exactly once."""
    tasks = [assign(world) for _ in range(4)]
    ids = sorted(TaskEvent.objects.values_list("id", flat=True))
    first_window_end = ids[0] - 1 + 2
    real_insert = services.insert_notifications
    calls = []

    def crash_on_second(rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_insert(rows)

    monkeypatch.setattr(services, "insert_notifications", crash_on_second)
    with pytest.raises(RuntimeError):
        run(since_id=ids[0] - 1, window=2)
    assert Notification.objects.count() == 2
    assert NotificationFillState.objects.get().last_event_id == first_window_end
    monkeypatch.setattr(services, "insert_notifications", real_insert)
    assert run(window=2) == 2
    assert sorted(Notification.objects.values_list("task_id", flat=True)) == sorted(
        t.pk for t in tasks)


# -- deadlines -------------------------------------------------------------------------


def due_soon(today: dt.date) -> list[str]:
    services.notifications_due_and_overdue(today=today, now=NOW)
    return [code for _, kind, code in notes() if kind == K.DUE_SOON]


def test_due_in_two_working_days_across_a_weekend(world):
    """On Thursday 8/10/2026 the deadline 2 working days away is Monday 12/10: Friday is
    one, the weekend none. A Saturday deadline counts as its Friday: told on Wednesday."""
    monday = assign(world, due=D(2026, 10, 12))
    saturday = assign(world, due=D(2026, 10, 10))
    friday = assign(world, due=D(2026, 10, 9))
    assert set(due_soon(D(2026, 10, 7))) == {saturday.code, friday.code}
    # Thursday adds Monday's (the lists are cumulative: nothing is told twice).
    assert set(due_soon(D(2026, 10, 8))) == {saturday.code, friday.code, monday.code}
    note = Notification.objects.get(task=monday, kind=K.DUE_SOON)
    assert note.recipient == world.officials["CG.STAFF"]
    assert note.key == f"due_soon:{monday.pk}:2026-10-12:{world.officials['CG.STAFF'].pk}"
    assert "12/10/2026" in note.body


def test_due_in_two_working_days_across_the_30_4_holidays(world):
    """Tuesday 28/4/2026: Wednesday is one working day, 30/4 and 1/5 are holidays, the
    weekend follows: the second working day is Monday 4/5. A deadline on the holiday 30/4
    counts as Wednesday 29/4: from Friday 24/4 that is 2 working days (Monday 27/4 is the
    observed Hùng Kings' day, off)."""
    may4 = assign(world, due=D(2026, 5, 4), when=at(1, 8, month=4))
    april30 = assign(world, due=D(2026, 4, 30), when=at(1, 8, month=4))
    assert due_soon(D(2026, 4, 23)) == []
    assert due_soon(D(2026, 4, 24)) == [april30.code]
    assert due_soon(D(2026, 4, 27)) == [april30.code]
    assert due_soon(D(2026, 4, 28)) == [april30.code, may4.code]
    assert due_soon(D(2026, 4, 29)) == [april30.code, may4.code]  # nothing twice


def test_an_extra_day_off_set_by_the_administrator_counts(world):
    from thuocdo.core.services import calendar_overrides_bulk_set

    task = assign(world, due=D(2026, 10, 13))  # Tuesday
    assert due_soon(D(2026, 10, 8)) == []  # Thursday: Friday, Monday → Monday is the 2nd
    calendar_overrides_bulk_set(days={D(2026, 10, 9): "holiday"})
    assert due_soon(D(2026, 10, 8)) == [task.code]  # Friday off: Tuesday is the 2nd


def test_done_submitted_and_cancelled_tasks_are_never_due(world):
    submitted = assign(world, due=D(2026, 10, 12))
    act(world, submitted, "accept", "CG.STAFF", at(2))
    act(world, submitted, "submit", "CG.STAFF", at(3))
    cancelled = assign(world, due=D(2026, 10, 12))
    act(world, cancelled, "cancel", "CG.HEAD", at(2), reason="trùng")
    counts = services.notifications_due_and_overdue(today=D(2026, 10, 8), now=NOW)
    later = services.notifications_due_and_overdue(today=D(2026, 10, 20), now=NOW)
    assert counts == later == {"due_soon": 0, "overdue": 0, **QUIET}


def test_overdue_once_per_deadline_and_again_when_the_extension_is_missed(world):
    task = assign(world, due=D(2026, 10, 15))
    check = services.notifications_due_and_overdue
    assert check(today=D(2026, 10, 15), now=NOW)["overdue"] == 0  # due today: not yet late
    assert check(today=D(2026, 10, 16), now=NOW)["overdue"] == 1
    assert check(today=D(2026, 10, 19), now=NOW)["overdue"] == 0  # the same deadline
    act(world, task, "extension_grant", "CG.HEAD", at(19), new_due="2026-10-30",
        reason="chờ số liệu")
    assert check(today=D(2026, 10, 26), now=NOW) == {"due_soon": 0, "overdue": 0, **QUIET}
    assert check(today=D(2026, 10, 28), now=NOW)["due_soon"] == 1
    assert check(today=D(2026, 11, 2), now=NOW)["overdue"] == 1
    assert check(today=D(2026, 11, 3), now=NOW)["overdue"] == 0
    overdue = list(Notification.objects.filter(kind=K.OVERDUE).order_by("id"))
    assert [n.deadline for n in overdue] == [D(2026, 10, 15), D(2026, 10, 30)]
    assert {n.recipient.code for n in overdue} == {"CG.STAFF"}
    assert "1" in overdue[0].body and "15/10/2026" in overdue[0].body


def test_overdue_work_passed_on_tells_the_new_holder_too(world):
    task = assign(world, due=D(2026, 10, 15))
    services.notifications_due_and_overdue(today=D(2026, 10, 16), now=NOW)
    act(world, task, "transfer", "CG.STAFF", at(16), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    services.notifications_due_and_overdue(today=D(2026, 10, 17), now=NOW)
    assert [c for c, kind, _ in notes() if kind == K.OVERDUE] == ["CG.STAFF", "CG.STAFF2"]


def test_deadline_queries_do_not_grow_with_the_number_of_tasks(world):
    def queries(n: int, today: dt.date) -> int:
        for _ in range(n):
            assign(world, due=D(2026, 10, 15))
        with CaptureQueriesContext(connection) as captured:
            assert services.notifications_due_and_overdue(today=today, now=NOW)["overdue"] == n
        return len(captured)

    assert queries(2, D(2026, 10, 16)) == queries(12, D(2026, 10, 17))


# -- e-mail ----------------------------------------------------------------------------


def test_each_notification_is_emailed_once(world):
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    run()
    assert services.notifications_send_email() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["cg.staff2@example.vn",
                                                    "cg.staff@example.vn"]
    message = next(m for m in mail.outbox if m.to == ["cg.staff@example.vn"])
    assert task.code in message.subject
    assert services.task_url(task.code) in message.body
    # the same words whether the link opens a task, a signal or a card
    assert "Xem chi tiết trên Thước đo: http" in message.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert services.notifications_send_email() == 0
    assert len(mail.outbox) == 2


def test_no_address_no_email_and_read_ones_are_not_sent(world):
    from thuocdo.org.models import Official

    Official.objects.filter(code="CG.STAFF2").update(email="")  # and no user account
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    run()
    staff = world.officials["CG.STAFF"]
    services.notifications_mark_all_read(official=staff)
    assert services.notifications_send_email() == 0
    assert mail.outbox == []


def test_the_users_address_is_used_when_the_official_has_none(world):
    from thuocdo.org.models import Official

    Official.objects.filter(code="CG.STAFF").update(email="")
    world.user("staff").__class__.objects.filter(pk=world.user("staff").pk).update(
        email="le.cuong@example.vn")
    assign(world)
    run()
    assert services.notifications_send_email() == 1
    assert mail.outbox[0].to == ["le.cuong@example.vn"]


def test_a_failed_email_is_sent_by_the_next_run_and_the_sent_ones_are_not(world, monkeypatch):
    from django.core.mail import EmailMessage

    for _ in range(3):
        assign(world)
    run()
    real_send = EmailMessage.send
    sent = []

    def flaky(self, fail_silently=False):
        if len(sent) == 1:
            raise OSError("SMTP server went away")
        sent.append(self.subject)
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with pytest.raises(OSError):
        services.notifications_send_email()
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 1
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert services.notifications_send_email() == 2
    assert len(mail.outbox) == 3
    assert len({m.subject for m in mail.outbox}) == 3


# -- reading ---------------------------------------------------------------------------


def test_mark_read_only_by_the_recipient(world):
    assign(world)
    run()
    note = Notification.objects.get()
    with pytest.raises(PermissionDeniedError):
        services.notification_mark_read(official=world.officials["CG.STAFF2"],
                                         notification=note)
    with pytest.raises(PermissionDeniedError):
        services.notification_mark_read(official=None, notification=note)
    note.refresh_from_db()
    assert note.read_at is None
    services.notification_mark_read(official=world.officials["CG.STAFF"], notification=note)
    first = note.read_at
    assert first is not None
    services.notification_mark_read(official=world.officials["CG.STAFF"], notification=note)
    assert note.read_at == first  # already read: unchanged


def test_mark_all_read_touches_only_ones_own(world):
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    assign(world)
    run()
    assert services.notifications_mark_all_read(official=world.officials["CG.STAFF"]) == 2
    assert services.notifications_mark_all_read(official=world.officials["CG.STAFF"]) == 0
    assert notes(read_at__isnull=True) == [("CG.STAFF2", K.TRANSFERRED, task.code)]
    assert services.notifications_mark_all_read(official=None) == 0


def test_task_url_uses_the_task_route_when_there_is_one():
    from django.urls import NoReverseMatch, reverse

    try:
        expected = reverse("tasks:task_detail", kwargs={"code": "NV/1"})
    except NoReverseMatch:
        expected = "/tasks/NV/1/"
    assert services.task_url("NV/1") == expected


# -- waiting for a decision, and the decision ------------------------------------------


def test_who_decides_is_told_what_waits_and_the_holder_is_told_the_answer(world):
    """Extension request → the assigner; submit → the reviewer; guidance request → the
    official asked; rework, extension granted (new deadline) or refused (reason), guidance
    answered → the holder. Each once."""
    task = assign(world)
    act(world, task, "accept", "CG.STAFF", at(2))
    act(world, task, "extension_request", "CG.STAFF", at(2, 10), new_due="2026-10-22",
        reason="chờ số liệu")
    act(world, task, "extension_refuse", "CG.HEAD", at(2, 11), reason="không đủ căn cứ")
    act(world, task, "extension_request", "CG.STAFF", at(2, 12), new_due="2026-10-21",
        reason="chờ số liệu quận")
    act(world, task, "extension_grant", "CG.HEAD", at(2, 14), new_due="2026-10-21",
        reason="chờ số liệu")
    act(world, task, "guidance_request", "CG.STAFF", at(2, 15), to_official="CG.DEP",
        question="Số liệu quý mấy?")
    act(world, task, "guidance_reply", "CG.DEP", at(2, 16), answer="Quý III")
    act(world, task, "submit", "CG.STAFF", at(5))
    act(world, task, "rework", "CG.HEAD", at(5, 10), major_error=False, reason="thiếu phụ lục")
    run()
    code = task.code
    assert notes()[1:] == [
        ("CG.HEAD", K.EXTENSION_REQUESTED, code),
        ("CG.STAFF", K.EXTENSION_REFUSED, code),
        ("CG.HEAD", K.EXTENSION_REQUESTED, code),
        ("CG.STAFF", K.EXTENSION_GRANTED, code),
        ("CG.DEP", K.GUIDANCE_REQUESTED, code),
        ("CG.STAFF", K.GUIDANCE_ANSWERED, code),
        ("CG.HEAD", K.SUBMITTED, code),
        ("CG.STAFF", K.SENT_BACK, code),
    ]
    by_kind = {n.kind: n for n in Notification.objects.order_by("id")}
    assert "22/10/2026" in by_kind[K.EXTENSION_REQUESTED].body or \
        "21/10/2026" in by_kind[K.EXTENSION_REQUESTED].body
    assert "không đủ căn cứ" in by_kind[K.EXTENSION_REFUSED].body
    assert "15/10/2026" in by_kind[K.EXTENSION_REFUSED].body  # the deadline stays
    assert "21/10/2026" in by_kind[K.EXTENSION_GRANTED].body
    assert by_kind[K.EXTENSION_GRANTED].deadline == D(2026, 10, 21)
    assert "Số liệu quý mấy?" in by_kind[K.GUIDANCE_REQUESTED].body
    assert "Quý III" in by_kind[K.GUIDANCE_ANSWERED].body
    assert "thiếu phụ lục" in by_kind[K.SENT_BACK].body
    assert run() == 0
    assert run(since_id=0) == 0


def test_nobody_is_told_of_a_decision_they_wait_for_from_themselves(world):
    """A head who assigned work to themselves and submits it is not told to review it: the
    deputy, who decides it, is."""
    task = assign(world, lead="CG.HEAD", unit="HN.CG")
    act(world, task, "accept", "CG.HEAD", at(2))
    act(world, task, "submit", "CG.HEAD", at(3))
    assert run() == 1
    assert notes() == [("CG.DEP", K.SUBMITTED, task.code)]


def test_a_notification_shows_the_deadline_as_of_its_event(world):
    """The assignment says the original deadline even when the job runs after an extension;
    a later transfer says the extended one."""
    task = assign(world, due=D(2026, 10, 15))
    act(world, task, "extension_grant", "CG.HEAD", at(2), new_due="2026-10-30",
        reason="chờ số liệu")
    act(world, task, "transfer", "CG.STAFF", at(3), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    run()
    assigned = Notification.objects.get(kind=K.ASSIGNED)
    assert assigned.deadline == D(2026, 10, 15)
    assert "15/10/2026" in assigned.body and "30/10/2026" not in assigned.body
    moved = Notification.objects.get(kind=K.TRANSFERRED)
    assert moved.deadline == D(2026, 10, 30) and "30/10/2026" in moved.body
