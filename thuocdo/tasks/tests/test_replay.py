"""Replaying histories in bulk: the same rules and the same hashes as acting one by one,
illegal histories refused whole with their paths, and idempotent re-imports."""

from __future__ import annotations

import pytest

from thuocdo.tasks import services
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.replay import ReplayRejected, replay
from thuocdo.tasks.tests.test_workflow import act, assign, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


TASK = {
    "code": "T1", "title": "Báo cáo sơ kết 6 tháng", "lead_unit": "HN.CG.VP",
    "lead_official": "CG.STAFF", "product": "BC", "quantity": 1, "assigned_by": "CG.HEAD",
    "assigned_at": "2026-10-01T08:00:00+07:00", "due": "2026-10-15", "priority": "normal",
}


def ev(kind, day, actor, **data):
    return {"task": "T1", "kind": kind, "at": f"2026-10-{day:02d}T09:00:00+07:00",
            "actor": actor, **data}


FLOW = [
    ev("accept", 2, "CG.STAFF"),
    ev("transfer", 5, "CG.STAFF", to_unit="HN.CG.VP", to_official="CG.STAFF2", reason="x"),
    ev("return", 7, "CG.STAFF2", to_unit="HN.CG.VP", to_official="CG.STAFF", reason="y"),
    ev("accept", 7, "CG.STAFF"),
    ev("extension_request", 12, "CG.STAFF", new_due="2026-10-22", reason="chờ số liệu"),
    ev("extension_grant", 13, "CG.HEAD", new_due="2026-10-22", reason="chờ số liệu"),
    ev("submit", 19, "CG.STAFF"),
    ev("rework", 20, "CG.HEAD", major_error=True, reason="sai số liệu"),
    ev("submit", 21, "CG.STAFF"),
    ev("approve", 22, "CG.HEAD"),
]


def test_replay_gives_the_same_log_as_acting_one_by_one(world, product):
    """Same rules, same chain: the bulk path and the services write identical hashes."""
    replay(tasks=[TASK], events=FLOW)
    replayed = list(TaskEvent.objects.filter(task__code="T1").order_by("seq")
                    .values_list("kind", "hash"))
    task = Task.objects.get(code="T1")
    assert (task.state, task.done_late, task.due_in_force.isoformat()) == (
        "done", False, "2026-10-22")
    TaskEvent.objects.all().delete()
    Task.objects.all().delete()
    one_by_one = assign(world, product, code="T1")
    for record in FLOW:
        data = {k: v for k, v in record.items() if k not in {"task", "kind", "at", "actor"}}
        day = int(record["at"][8:10])
        act(world, one_by_one, record["kind"], record["actor"], day, **data)
    acted = list(TaskEvent.objects.filter(task__code="T1").order_by("seq")
                 .values_list("kind", "hash"))
    assert replayed == acted
    assert list(verify_chains()) == []


@pytest.mark.parametrize(
    ("events", "path", "code"),
    [
        ([ev("accept", 2, "CG.STAFF"), ev("approve", 3, "CG.HEAD")], "events[1]",
         "wrong_state"),
        ([ev("accept", 2, "CG.STAFF2")], "events[0]", "not_allowed"),
        ([ev("accept", 2, "CG.STAFF"), ev("submit", 3, "NOBODY")], "events[1].actor",
         "unknown_official"),
        ([{**ev("accept", 2, "CG.STAFF"), "task": "T9"}], "events[0].task", "unknown_task"),
        ([{**ev("accept", 2, "CG.STAFF"), "at": "2026-09-30T09:00:00+07:00"}], "events[0].at",
         "event_order"),
        ([ev("accept", 2, "CG.STAFF"),
          ev("transfer", 3, "CG.STAFF", to_unit="HN.CG.VP", to_official="CG.STAFF2")],
         "events[1]", "missing_reason"),
    ],
)
def test_an_illegal_history_is_refused_whole(world, product, events, path, code):
    with pytest.raises(ReplayRejected) as caught:
        replay(tasks=[TASK], events=events)
    assert (caught.value.problems[0].path, caught.value.problems[0].code) == (path, code)
    assert not Task.objects.exists() and not TaskEvent.objects.exists()


def test_a_coordinating_unit_refused_is_reported_on_its_row(world, product):
    task = {**TASK, "coordinating_units": [{"unit": "HN.SNV", "due": "2026-10-09"},
                                           {"unit": "HN.CG.DV", "due": "2026-10-20"}]}
    with pytest.raises(ReplayRejected) as caught:
        replay(tasks=[task], events=[])
    assert (caught.value.problems[0].path, caught.value.problems[0].code) == (
        "tasks[0].coordinating_units[1].due", "task_coordination_due")
    assert not Task.objects.exists()


def test_every_problem_is_reported(world, product):
    second = {**TASK, "code": "T2", "lead_official": "BD.STAFF"}
    with pytest.raises(ReplayRejected) as caught:
        replay(tasks=[TASK, second], events=[ev("accept", 2, "CG.STAFF2")])
    paths = {p.path for p in caught.value.problems}
    assert paths == {"events[0]", "tasks[1].lead_official"}


def test_replaying_twice_changes_nothing_and_new_events_are_appended(world, product):
    first = replay(tasks=[TASK], events=FLOW[:4])
    assert (first.created_tasks, first.appended_events) == (1, 4)
    again = replay(tasks=[TASK], events=FLOW[:4])
    assert (again.created_tasks, again.appended_events, again.unchanged_tasks) == (0, 0, 1)
    more = replay(tasks=[TASK], events=FLOW)
    assert more.appended_events == len(FLOW) - 4
    assert Task.objects.get(code="T1").state == "done"
    assert list(verify_chains()) == []


def test_a_stored_log_cannot_be_rewritten_by_a_document(world, product):
    replay(tasks=[TASK], events=FLOW[:2])
    changed = [FLOW[0], {**FLOW[1], "reason": "lý do khác"}]
    with pytest.raises(ReplayRejected) as caught:
        replay(tasks=[TASK], events=changed)
    assert caught.value.problems[0].code == "log_differs"
    moved = {**TASK, "due": "2026-10-30"}
    with pytest.raises(ReplayRejected) as caught:
        replay(tasks=[moved], events=FLOW[:2])
    assert caught.value.problems[0].path == "tasks[0].due"


def test_a_dry_run_writes_nothing(world, product):
    report = replay(tasks=[TASK], events=FLOW, dry_run=True)
    assert report.created_tasks == 1
    assert not Task.objects.exists()


def test_replay_reads_the_directory_once_not_per_event(
    world, product, django_assert_max_num_queries
):
    """Set-based: the number of queries does not grow with the number of tasks."""
    tasks = [{**TASK, "code": f"T{n}"} for n in range(30)]
    events = [{**e, "task": f"T{n}"} for n in range(30) for e in FLOW]
    with django_assert_max_num_queries(40):
        replay(tasks=tasks, events=events)
    assert TaskEvent.objects.count() == 30 * (len(FLOW) + 1)


def test_acting_after_a_replay_continues_the_chain(world, product):
    replay(tasks=[TASK], events=FLOW[:1])
    task = Task.objects.get(code="T1")
    act(world, task, "submit", "CG.STAFF", 3)
    assert at(3) == task.events.order_by("-seq").first().at
    assert list(verify_chains()) == []
