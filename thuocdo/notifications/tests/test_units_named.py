"""Units an event names are told: a unit whose opinion is asked, each coordinating unit of
a task assigned (their heads and deputies that day), and the holder when the opinion is
given."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thuocdo.notifications import services
from thuocdo.notifications.choices import NotificationKind as K
from thuocdo.notifications.models import Notification
from thuocdo.org import services as org

from .helpers import D, act, assign, at

pytestmark = pytest.mark.django_db

NOW = at(6, 17)


def run() -> int:
    return services.notifications_from_events(now=NOW)


def told(kind: str) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(kind=kind).order_by("id")
                .values_list("recipient__code", "task__code"))


def consulted(world):
    task = assign(world)
    act(world, task, "accept", "CG.STAFF", at(2))
    act(world, task, "consult", "CG.STAFF", at(2, 10), to_unit="HN.CG.DV",
        reply_due=D(2026, 10, 9), question="Số liệu phường đã đủ chưa?")
    return task


def test_the_consulted_units_leaders_are_told_with_the_reply_deadline(world):
    task = consulted(world)
    run()
    assert told(K.CONSULTED) == [("DV.HEAD", task.code)]
    note = Notification.objects.get(kind=K.CONSULTED)
    assert note.deadline == D(2026, 10, 9)  # the reply's, not the task's
    assert note.title == f"Xin ý kiến đơn vị bạn: {task.code}"
    assert "UBND phường Dịch Vọng" in note.body and "09/10/2026" in note.body
    assert "Số liệu phường đã đủ chưa?" in note.body
    assert "Lê Văn Cường (CG.STAFF)" in note.body
    assert note.url == services.task_url(task.code)
    # nobody else is told of the consultation: the holder asked it
    assert Notification.objects.filter(event=note.event).count() == 1


def test_every_leader_of_the_consulted_unit_that_day_is_told(world):
    """A deputy who joined before the day is told; one who joined after it is not."""
    org.membership_start(official=world.officials["BD.STAFF"], unit=world.units["HN.CG.DV"],
                         position="deputy", task_group=world.groups["TH"], start=D(2026, 10, 1))
    later = org.official_create(code="DV.LATE", name="Vũ Văn Muộn")
    org.membership_start(official=later, unit=world.units["HN.CG.DV"], position="deputy",
                         task_group=world.groups["TH"], start=D(2026, 10, 5))
    task = consulted(world)
    run()
    assert sorted(told(K.CONSULTED)) == [("BD.STAFF", task.code), ("DV.HEAD", task.code)]


def test_the_holder_is_told_the_opinion_given(world):
    task = consulted(world)
    act(world, task, "consult_reply", "DV.HEAD", at(5), unit="HN.CG.DV",
        clear_position=True, answer="Đã đủ, đề nghị giữ nguyên.")
    run()
    assert told(K.OPINION_GIVEN) == [("CG.STAFF", task.code)]
    note = Notification.objects.get(kind=K.OPINION_GIVEN)
    assert note.title == f"Đã có ý kiến: {task.code}"
    assert "UBND phường Dịch Vọng" in note.body and "Đã đủ, đề nghị giữ nguyên." in note.body
    assert "Hoàng Văn Em (DV.HEAD)" in note.body


def test_each_coordinating_units_leaders_are_told_with_their_part_deadline(world):
    task = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    run()
    assert told(K.ASSIGNED) == [("CG.STAFF", task.code)]
    assert told(K.COORDINATING) == [("DV.HEAD", task.code)]
    note = Notification.objects.get(kind=K.COORDINATING)
    assert note.deadline == D(2026, 10, 9)
    assert note.title == f"Đơn vị bạn phối hợp: {task.code}"
    for text in ("Văn phòng HĐND và UBND quận", "UBND phường Dịch Vọng", "09/10/2026",
                 "15/10/2026", "Nguyễn Văn Đức (CG.HEAD)"):
        assert text in note.body


def test_a_leader_of_a_coordinating_unit_who_assigned_the_task_is_not_told(world):
    """The head of the district coordinates with the ward he assigns to: not told of his
    own act; one told as holder is not told again as a coordinating unit's leader."""
    task = assign(world, lead="DV.HEAD", unit="HN.CG.DV",
                  coordinating=[(world.units["HN.CG"], D(2026, 10, 9))])
    run()
    assert told(K.ASSIGNED) == [("DV.HEAD", task.code)]
    assert told(K.COORDINATING) == [("CG.DEP", task.code)]


def test_named_units_take_no_more_queries_as_events_grow(world):
    def build(n: int) -> int:
        for _ in range(n):
            consulted(world)
            assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
        with CaptureQueriesContext(connection) as queries:
            run()
        return len(queries)

    build(1)
    assert build(12) == build(2)


# -- an opinion's reply deadline -------------------------------------------------------


def deadlines(day: int) -> dict[str, int]:
    return services.notifications_due_and_overdue(today=D(2026, 10, day), now=at(day, 6))


def test_an_opinion_due_in_two_working_days_then_overdue_is_told_once_each(world):
    """Asked on Friday 2 October, to reply by Friday 9: told on Wednesday 7 (2 working
    days), and on Monday 12 that it is overdue; each once, however often the job runs."""
    task = consulted(world)
    assert deadlines(6)[K.OPINION_DUE_SOON] == 0
    assert deadlines(7)[K.OPINION_DUE_SOON] == 1
    assert deadlines(7)[K.OPINION_DUE_SOON] == 0
    assert deadlines(9)[K.OPINION_OVERDUE] == 0  # due that day: not yet late
    assert deadlines(12)[K.OPINION_OVERDUE] == 1
    assert deadlines(13)[K.OPINION_OVERDUE] == 0
    assert told(K.OPINION_DUE_SOON) == told(K.OPINION_OVERDUE) == [("DV.HEAD", task.code)]
    soon = Notification.objects.get(kind=K.OPINION_DUE_SOON)
    assert soon.deadline == D(2026, 10, 9)
    assert soon.title == f"Sắp đến hạn cho ý kiến: {task.code}"
    assert "UBND phường Dịch Vọng" in soon.body and "09/10/2026" in soon.body
    late = Notification.objects.get(kind=K.OPINION_OVERDUE)
    assert "S5" in late.body
    # the holder's own deadline (15/10) is another notice, to the holder only
    assert told(K.DUE_SOON) == [("CG.STAFF", task.code)]


def test_an_opinion_given_or_work_closed_is_not_due(world):
    given = consulted(world)
    act(world, given, "consult_reply", "DV.HEAD", at(5), unit="HN.CG.DV",
        clear_position=True, answer="Đồng ý")
    closed = consulted(world)
    act(world, closed, "cancel", "CG.HEAD", at(5), reason="Không còn cần")
    assert deadlines(7)[K.OPINION_DUE_SOON] == 0
    assert deadlines(12)[K.OPINION_OVERDUE] == 0
    # asked again after the reply: due again, a new question
    act(world, given, "consult", "CG.STAFF", at(6), to_unit="HN.CG.DV",
        reply_due=D(2026, 10, 14), question="Bổ sung số liệu quý III?")
    assert deadlines(12)[K.OPINION_DUE_SOON] == 1
    assert told(K.OPINION_DUE_SOON) == [("DV.HEAD", given.code)]


def test_a_unit_with_no_head_or_deputy_is_told_through_its_members(world):
    """HN.BD.VP has only staff: its member answers for it, so he is told of the question,
    of its deadline and, coordinating, of the task; the lead told once, as the lead."""
    task = assign(world)
    act(world, task, "accept", "CG.STAFF", at(2))
    act(world, task, "consult", "CG.STAFF", at(2, 10), to_unit="HN.BD.VP",
        reply_due=D(2026, 10, 9), question="Ý kiến?")
    other = assign(world, lead="DV.HEAD", unit="HN.CG.DV",
                   coordinating=[(world.units["HN.BD.VP"], D(2026, 10, 9)),
                                 (world.units["HN.CG.VP"], D(2026, 10, 9))])
    run()
    assert told(K.CONSULTED) == [("BD.STAFF", task.code)]
    assert sorted(told(K.COORDINATING)) == [("BD.STAFF", other.code), ("CG.STAFF", other.code),
                                            ("CG.STAFF2", other.code)]
    # the question, and both coordinating units' input (the lead unit's two members)
    assert deadlines(7)[K.OPINION_DUE_SOON] == 4
    assert sorted(told(K.OPINION_DUE_SOON)) == sorted([
        ("BD.STAFF", other.code), ("BD.STAFF", task.code), ("CG.STAFF", other.code),
        ("CG.STAFF2", other.code)])


def test_a_question_answered_or_work_closed_before_the_job_runs_asks_nothing(world):
    """The job runs every few minutes: a unit that replied meanwhile is not asked what it
    answered (the holder is told the opinion), and a unit is not told to coordinate on
    work cancelled meanwhile."""
    answered = consulted(world)
    act(world, answered, "consult_reply", "DV.HEAD", at(2, 11), unit="HN.CG.DV",
        clear_position=True, answer="Đồng ý")
    cancelled = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    act(world, cancelled, "cancel", "CG.HEAD", at(1, 9), reason="Giao nhầm")
    run()
    assert told(K.CONSULTED) == told(K.COORDINATING) == []
    assert told(K.OPINION_GIVEN) == [("CG.STAFF", answered.code)]


# -- a coordinating unit's input -------------------------------------------------------


def test_a_coordinating_units_input_due_then_overdue_is_told_once_each(world):
    """Coordinating by Friday 9 October: told on Wednesday 7 (2 working days) and on Monday
    12 that the input is overdue, each once; two units of one task, each its own notice
    (their keys name the unit); no S5 claimed: domain.md counts S5 for consultations."""
    task = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9)),
                                       (world.units["HN.BD.VP"], D(2026, 10, 9))])
    assert deadlines(6)[K.OPINION_DUE_SOON] == 0
    assert deadlines(7)[K.OPINION_DUE_SOON] == 2
    assert deadlines(7)[K.OPINION_DUE_SOON] == 0
    assert deadlines(9)[K.OPINION_OVERDUE] == 0  # due that day: not yet late
    assert deadlines(12)[K.OPINION_OVERDUE] == 2
    assert deadlines(13)[K.OPINION_OVERDUE] == 0
    assert sorted(told(K.OPINION_OVERDUE)) == [("BD.STAFF", task.code), ("DV.HEAD", task.code)]
    soon = Notification.objects.get(kind=K.OPINION_DUE_SOON, recipient__code="DV.HEAD")
    assert soon.title == f"Sắp đến hạn gửi ý kiến phối hợp: {task.code}"
    assert soon.deadline == D(2026, 10, 9)
    assert "UBND phường Dịch Vọng" in soon.body and "09/10/2026" in soon.body
    assert soon.event == task.events.get(seq=1)
    late = Notification.objects.get(kind=K.OPINION_OVERDUE, recipient__code="DV.HEAD")
    assert late.title == f"Quá hạn gửi ý kiến phối hợp: {task.code}"
    assert "S5" not in late.body


def test_a_coordinating_unit_that_gave_its_input_is_not_told(world):
    """The ward gives its input (the unit's opinion) on the 5th: nothing more for it; the
    other unit, still silent, is told; cancelled work tells nobody."""
    task = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9)),
                                       (world.units["HN.BD.VP"], D(2026, 10, 9))])
    act(world, task, "consult_reply", "DV.HEAD", at(5), unit="HN.CG.DV",
        clear_position=True, answer="Phường thống nhất số liệu.")
    cancelled = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    act(world, cancelled, "cancel", "CG.HEAD", at(5), reason="Giao nhầm")
    assert deadlines(7)[K.OPINION_DUE_SOON] == 1
    assert told(K.OPINION_DUE_SOON) == [("BD.STAFF", task.code)]


def test_a_unit_coordinating_and_asked_a_question_is_reminded_once(world):
    """One reply answers both: the question's notices speak for it; the input's alone
    would say the same again."""
    task = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    act(world, task, "accept", "CG.STAFF", at(2))
    act(world, task, "consult", "CG.STAFF", at(2, 10), to_unit="HN.CG.DV",
        reply_due=D(2026, 10, 9), question="Số liệu phường đã đủ chưa?")
    assert deadlines(7)[K.OPINION_DUE_SOON] == 1
    assert deadlines(12)[K.OPINION_OVERDUE] == 1
    titles = set(Notification.objects.filter(kind__in=[K.OPINION_DUE_SOON, K.OPINION_OVERDUE])
                 .values_list("title", flat=True))
    assert titles == {f"Sắp đến hạn cho ý kiến: {task.code}", f"Quá hạn cho ý kiến: {task.code}"}


def test_a_coordinating_unit_that_gave_its_input_before_the_job_ran_is_not_asked(world):
    task = assign(world, coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9)),
                                       (world.units["HN.BD.VP"], D(2026, 10, 9))])
    act(world, task, "consult_reply", "DV.HEAD", at(1, 9), unit="HN.CG.DV",
        clear_position=True, answer="Phường thống nhất số liệu.")
    run()
    assert told(K.COORDINATING) == [("BD.STAFF", task.code)]
