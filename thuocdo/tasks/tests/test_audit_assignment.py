"""The first event records every field fixed at assignment (`services.creation_data`), and
`thuocdo audit verify` compares each task's row with it: editing a task's title, deadline,
coefficient or steps in the database is found, as editing an event is."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from thuocdo.tasks import services
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskCoordination, TaskEvent, TaskStep
from thuocdo.tasks.tests.test_workflow import D, assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(world):
    product = services.product_create(code="BC", name="Báo cáo", coefficient="1.5")
    directive = services.directive_create(actor=None, code="24-CT/TU", title="Chỉ thị 24",
                                          issued_by=world.units["HN"], issued_on=D(2026, 9, 1))
    return assign(world, product, description="Tổng hợp số liệu các phường",
                  directive=directive, coordinating=[(world.units["HN.SNV"], D(2026, 10, 12))],
                  steps=[("Dự thảo", 3), ("Trình ký", 2)])


def test_the_first_event_records_the_assignment(task):
    data = TaskEvent.objects.get(task=task, seq=1).data
    assert data["title"] == "Báo cáo sơ kết 6 tháng"
    assert data["description"] == "Tổng hợp số liệu các phường"
    assert data["directive"] == "24-CT/TU"
    assert data["coefficient"] == "1.500"
    assert data["coordinating"] == [["HN.SNV", "2026-10-12"]]
    assert data["steps"] == [["Dự thảo", 3], ["Trình ký", 2]]
    assert list(verify_chains()) == []


@pytest.mark.parametrize(("edit", "field"), [
    (lambda t: Task.objects.filter(pk=t.pk).update(title="Báo cáo khác"), "title"),
    (lambda t: Task.objects.filter(pk=t.pk).update(description=""), "description"),
    (lambda t: Task.objects.filter(pk=t.pk).update(due=D(2026, 12, 31)), "due"),
    (lambda t: Task.objects.filter(pk=t.pk).update(coefficient="3"), "coefficient"),
    (lambda t: Task.objects.filter(pk=t.pk).update(directive=None), "directive"),
    (lambda t: TaskStep.objects.filter(task=t, order=2).update(allowance=20), "steps"),
    (lambda t: TaskCoordination.objects.filter(task=t).delete(), "coordinating"),
])
def test_editing_the_task_row_is_found(task, edit, field):
    edit(task)
    broken = list(verify_chains())
    assert [(b.task, b.seq) for b in broken] == [(task.code, 1)]
    assert field in broken[0].problem
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_first_event_of_before_is_compared_on_what_it_recorded(task):
    """Events written before the title and the rest were recorded still verify; their
    deadline is still compared."""
    first = TaskEvent.objects.get(task=task, seq=1)
    old = {k: first.data[k] for k in ("lead_unit", "lead_official", "due", "product",
                                      "quantity", "priority")}
    TaskEvent.objects.filter(pk=first.pk).update(data=old)
    # the hash no longer matches the shortened data: rebuild the chain as it was written
    _rehash(task)
    Task.objects.filter(pk=task.pk).update(title="Báo cáo khác")
    assert list(verify_chains()) == []
    Task.objects.filter(pk=task.pk).update(due=D(2026, 12, 31))
    assert [b.task for b in verify_chains()] == [task.code]


def _rehash(task) -> None:
    """Write the task's chain again over its stored rows (as if written with them)."""
    from thuocdo.tasks.audit import _code_maps

    codes, prev = _code_maps(), ""
    for event in TaskEvent.objects.filter(task=task).order_by("seq"):
        event.prev_hash = prev
        event.hash = services.event_hash(services.event_payload(event, task_code=task.code,
                                                                codes=codes))
        TaskEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        prev = event.hash
    Task.objects.filter(pk=task.pk).update(last_hash=prev)
