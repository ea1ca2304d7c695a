"""Who sees which task, "Việc của tôi", and buckets in SQL agreeing with the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.core.scope import scope_for
from thuocdo.measure.history import bucket
from thuocdo.tasks import selectors, services
from thuocdo.tasks.adapters import history_for
from thuocdo.tasks.models import Task
from thuocdo.tasks.tests.test_workflow import D, act, assign, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


def visible(world, role) -> set[str]:
    return set(selectors.task_list(scope=scope_for(world.user(role)))
               .values_list("code", flat=True))


def test_each_role_sees_the_tasks_of_its_scope(world, product):
    cg = assign(world, product, code="T-CG")
    dv = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Rà soát hồ sơ", product=product,
        lead_unit=world.units["HN.CG.DV"], lead_official=world.officials["DV.HEAD"],
        due=D(2026, 10, 20), at=at(1), allow_past_due=True, code="T-DV",
    )
    assert cg and dv
    assert visible(world, "admin") == {"T-CG", "T-DV"}
    for role in ("head", "deputy", "board", "inspector"):
        assert visible(world, role) == {"T-CG", "T-DV"}, role
    assert visible(world, "staff") == {"T-CG"}  # their own work, their unit's list
    assert visible(world, "outsider") == set()


def test_holding_work_once_keeps_it_visible(world, product):
    """CG.STAFF2 got the work by transfer and handed it back: it stays in their sight."""
    task = assign(world, product, code="T1")
    act(world, task, "accept", "CG.STAFF", 2)
    act(world, task, "transfer", "CG.STAFF", 3, to_unit="HN.BD.VP", to_official="BD.STAFF",
        reason="nhầm địa bàn")
    act(world, task, "return", "BD.STAFF", 4, to_unit="HN.CG.VP", to_official="CG.STAFF",
        reason="đúng địa bàn Cầu Giấy")
    assert visible(world, "outsider") == {"T1"}


def test_my_work_puts_overdue_first(world, product):
    late = assign(world, product, code="LATE")  # due 15/10
    fresh = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Kế hoạch", product=product,
        lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
        due=D(2026, 11, 30), at=at(1), allow_past_due=True, code="FRESH",
    )
    act(world, fresh, "accept", "CG.STAFF", 2)
    work = selectors.my_work(scope=scope_for(world.user("staff")), on=D(2026, 10, 20))
    assert [t.code for t in work.overdue] == [late.code]
    assert [t.code for t in work.in_progress] == ["FRESH"]
    head_work = selectors.my_work(scope=scope_for(world.user("head")), on=D(2026, 10, 20))
    assert head_work.count == 0


def test_bucket_in_sql_equals_the_engine(world, product):
    """For tasks in every bucket, the SQL filter and the engine agree (as of 20/10)."""
    on_time = assign(world, product, code="A")
    act(world, on_time, "accept", "CG.STAFF", 2)
    act(world, on_time, "submit", "CG.STAFF", 14)
    act(world, on_time, "approve", "CG.HEAD", 15)
    late = assign(world, product, code="B")
    act(world, late, "accept", "CG.STAFF", 2)
    act(world, late, "submit", "CG.STAFF", 16)
    act(world, late, "approve", "CG.HEAD", 19)
    assign(world, product, code="C")  # open, overdue on 20/10
    within = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="x", product=product,
        lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
        due=D(2026, 10, 30), at=at(1), allow_past_due=True, code="D",
    )
    assert within
    # waiting for review past the deadline: handed in on time (within), or late (overdue)
    waiting = assign(world, product, code="E")
    act(world, waiting, "accept", "CG.STAFF", 2)
    act(world, waiting, "submit", "CG.STAFF", 15)
    waiting_late = assign(world, product, code="F")
    act(world, waiting_late, "accept", "CG.STAFF", 2)
    act(world, waiting_late, "submit", "CG.STAFF", 16)
    day = D(2026, 10, 20)
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=at(1).tzinfo)
    for task in Task.objects.all():
        engine = bucket(history_for(task), moment)
        in_sql = {b for b in ("done_on_time", "done_late", "open_within_deadline",
                              "open_overdue")
                  if Task.objects.filter(selectors.bucket_q(b, on=day), pk=task.pk).exists()}
        assert in_sql == {engine.value}, task.code
        assert selectors.bucket_of(task, on=day) == engine
    buckets = {t.code: selectors.bucket_of(t, on=day).value for t in Task.objects.all()}
    assert (buckets["E"], buckets["F"]) == ("open_within_deadline", "open_overdue")
