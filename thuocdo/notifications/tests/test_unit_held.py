"""Work left with a unit and no official named: each of its leaders that day is told, but
never the actor, nor, where the news asks for a decision, whoever may not decide because it
is their own work (`workflow.works_on`); once, in few queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thuocdo.core.testing import SINCE
from thuocdo.notifications import services
from thuocdo.notifications.choices import NotificationKind as K
from thuocdo.notifications.models import Notification
from thuocdo.org import services as org
from thuocdo.tasks.models import TaskEvent

from .helpers import act, assign, at

pytestmark = pytest.mark.django_db
#: the opinions' notices of the morning run: none waits in these tests
QUIET = {"opinion_soon": 0, "opinion_late": 0}

NOW = at(6, 17)


def run(**kwargs) -> int:
    return services.notifications_from_events(now=kwargs.pop("now", NOW), **kwargs)


def told(task, kind: str) -> set[str]:
    """The codes of the officials told `kind` about `task`."""
    return set(Notification.objects.filter(task=task, kind=kind)
               .values_list("recipient__code", flat=True))


def leader(world, code: str, unit: str, position: str = "deputy", start: dt.date = SINCE):
    official = org.official_create(code=code, name=f"Cán bộ {code}",
                                   email=f"{code.lower()}@example.vn")
    org.membership_start(official=official, unit=world.units[unit], position=position,
                         task_group=world.groups["TH"], start=start)
    world.officials[code] = official
    return official


@pytest.fixture
def two_deputies(world):
    """HN.CG with its head, CG.DEP and a second deputy, CG.DEP2."""
    leader(world, "CG.DEP2", "HN.CG")
    return world


def test_a_product_handed_in_to_the_unit_tells_each_leader_but_not_the_actor_nor_the_submitter(
        two_deputies):
    """The head hands in work he assigned himself: it waits at HN.CG with nobody named,
    and both deputies, who decide it, are told; he is not. A deputy chasing it tells the
    other deputy only: not herself (the actor), not the head (he handed it in)."""
    world = two_deputies
    task = assign(world, lead="CG.HEAD", unit="HN.CG")
    act(world, task, "accept", "CG.HEAD", at(2))
    act(world, task, "submit", "CG.HEAD", at(3), note="bản cuối")
    act(world, task, "remind", "CG.DEP", at(5))
    task.refresh_from_db()
    assert (task.holder_unit.code, task.holder_official) == ("HN.CG", None)
    assert run() == 3
    assert told(task, K.SUBMITTED) == {"CG.DEP", "CG.DEP2"}
    assert told(task, K.REMINDED) == {"CG.DEP2"}
    assert not Notification.objects.filter(recipient=world.officials["CG.HEAD"]).exists()
    submit = TaskEvent.objects.get(task=task, kind="submit")
    for note in Notification.objects.filter(event=submit):
        assert note.key == f"event:{submit.pk}:{note.recipient_id}"
        assert "bản cuối" in note.body and "Nguyễn Văn Đức" in note.body


def test_work_passed_to_a_unit_tells_its_leaders_but_not_the_one_who_passed_it(
        two_deputies):
    """Staff pass the work to HN.CG with nobody named: the head and both deputies take it
    from their "Việc của tôi" and are told so, naming the unit. A deputy who passes it back
    to the unit after taking it is not told."""
    world = two_deputies
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    act(world, task, "accept", "CG.DEP", at(3))
    act(world, task, "transfer", "CG.DEP", at(3, 10), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="đúng chuyên môn")
    act(world, task, "return", "CG.STAFF2", at(4), to_unit="HN.CG", reason="trả quận")
    run()
    first, back = TaskEvent.objects.filter(task=task, kind__in=["transfer", "return"],
                                           holder_official_after__isnull=True).order_by("seq")
    assert set(Notification.objects.filter(event=first)
               .values_list("recipient__code", flat=True)) == {"CG.HEAD", "CG.DEP", "CG.DEP2"}
    assert set(Notification.objects.filter(event=back)
               .values_list("recipient__code", flat=True)) == {"CG.HEAD", "CG.DEP", "CG.DEP2"}
    note = Notification.objects.get(event=first, recipient=world.officials["CG.DEP"])
    assert note.kind == K.TRANSFERRED
    assert "UBND quận Cầu Giấy" in note.body and "cấp quận" in note.body
    # the deputy passes the work she holds to her own unit: the others are told, not her
    own = assign(world, lead="CG.DEP", unit="HN.CG")
    act(world, own, "transfer", "CG.DEP", at(5), to_unit="HN.CG", reason="để lãnh đạo khác")
    run()
    assert told(own, K.TRANSFERRED) == {"CG.HEAD", "CG.DEP2"}


def test_running_again_tells_no_leader_twice(two_deputies):
    world = two_deputies
    task = assign(world, lead="CG.HEAD", unit="HN.CG")
    act(world, task, "accept", "CG.HEAD", at(2))
    act(world, task, "submit", "CG.HEAD", at(3))
    other = assign(world)
    act(world, other, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    assert run() == 6  # the staff's assignment, 2 to review, 3 transferred
    count = Notification.objects.count()
    assert run() == 0
    assert run(since_id=0) == 0  # re-reading the whole log on purpose
    assert run(since_id=0, max_age=None) == 0
    assert Notification.objects.count() == count


def test_a_unit_with_no_leader_tells_nobody(world):
    """Work passed to a division with staff only, and a product handed in by the only
    leader of a unit with no leader above it: nobody to tell, and the job goes on."""
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP", reason="chuyển phòng")
    leader(world, "BD.HEAD", "HN.BD.VP", position="head")
    alone = assign(world, lead="BD.HEAD", unit="HN.BD.VP", by="BD.HEAD")
    act(world, alone, "accept", "BD.HEAD", at(2))
    act(world, alone, "submit", "BD.HEAD", at(3))
    later = assign(world, when=at(4))
    assert run() == 2  # the two assignments to CG.STAFF
    assert set(Notification.objects.values_list("task_id", flat=True)) == {task.pk, later.pk}
    assert not Notification.objects.filter(task=alone).exists()
    assert run() == 0


def test_where_nobody_of_the_unit_may_decide_the_level_above_is_told(world):
    """The ward's head, its only leader, hands in work he assigned himself: the district's
    leaders decide it (`workflow.deciders`) and are told; he is not."""
    task = assign(world, lead="DV.HEAD", unit="HN.CG.DV", by="DV.HEAD")
    act(world, task, "accept", "DV.HEAD", at(2))
    act(world, task, "submit", "DV.HEAD", at(3))
    assert run() == 2  # to review, for the two leaders above (his own assignment: nothing)
    assert told(task, K.SUBMITTED) == {"CG.HEAD", "CG.DEP"}


def test_an_extension_asked_by_the_assigner_tells_the_other_leaders(two_deputies):
    """The head asks for an extension of work he assigned himself: the deputies decide it
    and are told (before, nobody was); the grant is told to him, holding the work."""
    world = two_deputies
    task = assign(world, lead="CG.HEAD", unit="HN.CG")
    act(world, task, "accept", "CG.HEAD", at(2))
    act(world, task, "extension_request", "CG.HEAD", at(2, 10), new_due="2026-10-30",
        reason="chờ số liệu")
    act(world, task, "extension_grant", "CG.DEP", at(2, 11), new_due="2026-10-30",
        reason="chờ số liệu")
    run()
    assert told(task, K.EXTENSION_REQUESTED) == {"CG.DEP", "CG.DEP2"}
    assert told(task, K.EXTENSION_GRANTED) == {"CG.HEAD"}


def test_the_answer_on_unit_held_work_reaches_the_leader_who_asked(two_deputies):
    """Work held by HN.CG with nobody named, taken by the deputy, who asks for an extension:
    the head who assigned it decides and is told; his grant is news for every leader of the
    unit, the deputy who asked included (it is hers to act on, not to decide)."""
    world = two_deputies
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    act(world, task, "accept", "CG.DEP", at(2, 10))
    act(world, task, "extension_request", "CG.DEP", at(2, 11), new_due="2026-10-30",
        reason="chờ số liệu")
    act(world, task, "extension_grant", "CG.HEAD", at(2, 14), new_due="2026-10-30",
        reason="chờ số liệu")
    run()
    assert told(task, K.EXTENSION_REQUESTED) == {"CG.HEAD"}
    assert told(task, K.EXTENSION_GRANTED) == {"CG.DEP", "CG.DEP2"}


def test_leaders_are_those_of_the_day_of_the_event(world):
    """A deputy who starts after the event is not told of it."""
    leader(world, "CG.DEP2", "HN.CG", start=dt.date(2026, 10, 4))
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    run()
    assert told(task, K.TRANSFERRED) == {"CG.HEAD", "CG.DEP"}


def test_query_count_does_not_grow_with_unit_held_events(two_deputies):
    world = two_deputies

    def build(n: int) -> int:
        for _ in range(n):
            task = assign(world)
            act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="x")
            own = assign(world, lead="DV.HEAD", unit="HN.CG.DV", by="DV.HEAD")
            act(world, own, "accept", "DV.HEAD", at(2))
            act(world, own, "submit", "DV.HEAD", at(3))
        with CaptureQueriesContext(connection) as queries:
            # assigned, 3 transferred; 3 to review above the ward (the ward's head is
            # alone): CG.HEAD, CG.DEP, CG.DEP2
            assert run() == 7 * n
        return len(queries)

    build(1)  # the first run also creates the fill-state row
    # (8 × 7 notifications stay within one INSERT: SQLite caps the values of one statement)
    assert build(2) == build(8)


def test_the_leaders_told_are_those_who_may_decide_in_a_deeper_tree(world):
    """A team under the ward, whose head is alone, hands in work he assigned himself: the
    nearest unit above (the ward) decides it and its head is told, not the district's
    leaders (the live rules read the path nearest first, as a replayed import does)."""
    from thuocdo.tasks.workflow import allowed_actions

    team = org.unit_create(code="HN.CG.DV.TO", name="Tổ dân phố số 1", kind="other",
                           parent=world.units["HN.CG.DV"])
    org.unit_tree_rebuild()
    team.refresh_from_db()
    world.units[team.code] = team
    leader(world, "TO.HEAD", team.code, position="head")
    task = assign(world, lead="TO.HEAD", unit=team.code, by="TO.HEAD")
    act(world, task, "accept", "TO.HEAD", at(2))
    act(world, task, "submit", "TO.HEAD", at(3))
    task.refresh_from_db()
    day = dt.date(2026, 10, 3)
    assert "approve" in allowed_actions(task, world.officials["DV.HEAD"], day)
    assert "approve" not in allowed_actions(task, world.officials["CG.HEAD"], day)
    run()
    assert told(task, K.SUBMITTED) == {"DV.HEAD"}


# -- due soon and overdue --------------------------------------------------------------


def deadlines(today: dt.date) -> dict[str, int]:
    return services.notifications_due_and_overdue(today=today, now=NOW)


def test_unit_held_work_due_soon_or_overdue_tells_each_leader_of_the_day_once(two_deputies):
    """Work passed to HN.CG with nobody named, due Thursday 15/10/2026: on Tuesday 13/10
    each leader of the unit that day is told it is due soon, once; CG.DEP2, who left the
    unit on 12/10, is not. The named holder of another task is told as before, alone."""
    world = two_deputies
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    named = assign(world)
    org.membership_end(membership=world.officials["CG.DEP2"].memberships.get(),
                       end=dt.date(2026, 10, 12))
    assert deadlines(dt.date(2026, 10, 12)) == {"due_soon": 0, "overdue": 0, **QUIET}
    assert deadlines(dt.date(2026, 10, 13)) == {"due_soon": 3, "overdue": 0, **QUIET}
    assert told(task, K.DUE_SOON) == {"CG.HEAD", "CG.DEP"}
    assert told(named, K.DUE_SOON) == {"CG.STAFF"}
    head = world.officials["CG.HEAD"]
    note = Notification.objects.get(task=task, kind=K.DUE_SOON, recipient=head)
    assert note.key == f"due_soon:{task.pk}:2026-10-15:{head.pk}"
    assert note.deadline == dt.date(2026, 10, 15) and "15/10/2026" in note.body
    count = Notification.objects.count()
    assert deadlines(dt.date(2026, 10, 13)) == {"due_soon": 0, "overdue": 0, **QUIET}
    assert deadlines(dt.date(2026, 10, 14)) == {"due_soon": 0, "overdue": 0, **QUIET}
    assert Notification.objects.count() == count
    # overdue alike: once per leader and deadline, then no more
    assert deadlines(dt.date(2026, 10, 16)) == {"due_soon": 0, "overdue": 3, **QUIET}
    assert told(task, K.OVERDUE) == {"CG.HEAD", "CG.DEP"}
    assert deadlines(dt.date(2026, 10, 19)) == {"due_soon": 0, "overdue": 0, **QUIET}


def test_a_leader_told_already_does_not_keep_a_newcomer_from_being_told(world):
    """A deputy who joins the unit after the others were told that the work is overdue is
    told the next day; they are not told again."""
    task = assign(world)
    act(world, task, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="cấp quận")
    assert deadlines(dt.date(2026, 10, 16))["overdue"] == 2
    leader(world, "CG.DEP2", "HN.CG", start=dt.date(2026, 10, 19))
    assert deadlines(dt.date(2026, 10, 19))["overdue"] == 1
    assert told(task, K.OVERDUE) == {"CG.HEAD", "CG.DEP", "CG.DEP2"}
    assert Notification.objects.filter(kind=K.OVERDUE).count() == 3


def test_a_product_handed_in_to_the_unit_is_not_due_for_its_deciders(two_deputies):
    """The head hands in work he assigned himself: it waits at HN.CG with nobody named, but
    for approval, which is not "due" for the deputies who decide it."""
    world = two_deputies
    task = assign(world, lead="CG.HEAD", unit="HN.CG")
    act(world, task, "accept", "CG.HEAD", at(2))
    act(world, task, "submit", "CG.HEAD", at(3))
    assert deadlines(dt.date(2026, 10, 13)) == {"due_soon": 0, "overdue": 0, **QUIET}
    assert deadlines(dt.date(2026, 10, 16)) == {"due_soon": 0, "overdue": 0, **QUIET}


def test_deadline_queries_do_not_grow_with_unit_held_tasks(two_deputies):
    world = two_deputies

    def queries(n: int, today: dt.date) -> int:
        for _ in range(n):
            assign(world, due=dt.date(2026, 10, 15))  # named, overdue
            late = assign(world, due=dt.date(2026, 10, 15))
            act(world, late, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="x")
            soon = assign(world, due=dt.date(2026, 10, 28))
            act(world, soon, "transfer", "CG.STAFF", at(2), to_unit="HN.CG", reason="x")
        with CaptureQueriesContext(connection) as captured:
            # 3 leaders of HN.CG for each unit-held task, the named holder for the other
            assert deadlines(today) == {"due_soon": 3 * n, "overdue": 4 * n, **QUIET}
        return len(captured)

    # on Monday 26/10, Wednesday 28/10 is 2 working days away
    assert queries(2, dt.date(2026, 10, 26)) == queries(8, dt.date(2026, 10, 26))


def test_the_book_of_leaders_names_the_deciders_the_workflow_names(two_deputies):
    """`workflow.deciders` over the notifier's book of leaders and over the workflow's own
    directory: the same officials, for the assigner, the assigning unit and the unit above."""
    from thuocdo.tasks.workflow import DbDirectory, TaskSnapshot, deciders

    world = two_deputies
    tasks = [assign(world)]
    for code, unit in (("CG.HEAD", "HN.CG"), ("DV.HEAD", "HN.CG.DV")):
        task = assign(world, lead=code, unit=unit, by=code)
        act(world, task, "accept", code, at(2))
        act(world, task, "submit", code, at(3))
        tasks.append(task)
    day = dt.date(2026, 10, 3)
    book = services._Leaders(units=(), tasks=[task.pk for task in tasks], days=[day])
    found = [deciders(TaskSnapshot.of(task), day, book) for task in tasks]
    assert found == [deciders(TaskSnapshot.of(task), day, DbDirectory()) for task in tasks]
    codes = {official.pk: code for code, official in world.officials.items()}
    assert [{codes[pk] for pk in pks} for pks in found] == [
        {"CG.HEAD"}, {"CG.DEP", "CG.DEP2"}, {"CG.HEAD", "CG.DEP", "CG.DEP2"}]
