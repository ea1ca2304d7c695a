"""Assignment with the five "rõ", who may act, the flow of the issue's "done when", the hash
chain and `audit verify`, and two people acting at once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.measure.history import Bucket, Holder, bucket, holder_intervals
from thuocdo.tasks import services
from thuocdo.tasks.adapters import history_for
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.tests.test_workflow import D, act, assign, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


@pytest.mark.parametrize(
    ("missing", "code"),
    [("title", "task_title"), ("product", "task_product"), ("lead_unit", "task_lead_unit"),
     ("lead_official", "task_lead_official"), ("due", "task_due")],
)
def test_a_task_without_its_five_ro_is_refused(world, product, missing, code):
    kwargs = {
        "assigned_by": world.officials["CG.HEAD"], "title": "Báo cáo", "product": product,
        "lead_unit": world.units["HN.CG.VP"], "lead_official": world.officials["CG.STAFF"],
        "due": D(2099, 1, 1),
    }
    kwargs[missing] = None if missing != "title" else "  "
    with pytest.raises(ServiceError) as caught:
        services.task_assign(**kwargs)
    assert caught.value.service_code == code
    assert not Task.objects.exists() and not TaskEvent.objects.exists()


def test_a_deadline_in_the_past_is_refused(world, product):
    with pytest.raises(ServiceError) as caught:
        services.task_assign(assigned_by=world.officials["CG.HEAD"], title="x", product=product,
                             lead_unit=world.units["HN.CG.VP"],
                             lead_official=world.officials["CG.STAFF"], due=D(2020, 1, 1))
    assert caught.value.service_code == "task_due_past"


def test_the_lead_official_must_work_in_the_lead_unit(world, product):
    with pytest.raises(ServiceError) as caught:
        services.task_assign(assigned_by=world.officials["CG.HEAD"], title="x", product=product,
                             lead_unit=world.units["HN.CG.VP"],
                             lead_official=world.officials["DV.HEAD"], due=D(2099, 1, 1))
    assert caught.value.service_code == "task_lead_not_member"


def test_only_a_leader_above_the_lead_unit_assigns(world, product):
    """Ba Đình's staff cannot assign work to Cầu Giấy; a peer staff member cannot either."""
    for who in ("BD.STAFF", "CG.STAFF2"):
        with pytest.raises(PermissionDeniedError):
            services.task_assign(assigned_by=world.officials[who], title="x", product=product,
                                 lead_unit=world.units["HN.CG.VP"],
                                 lead_official=world.officials["CG.STAFF"], due=D(2099, 1, 1))
    assert not Task.objects.exists()


def test_a_new_coefficient_is_not_dated_back(world, product):
    """A task takes the coefficient in force on its day: one dated back would be the
    catalogue's for days whose tasks never had it (an import of the past may: `history`)."""
    today = timezone.localdate()
    with pytest.raises(ServiceError) as refused:
        services.product_update(product=product, coefficient=3,
                                valid_from=today - dt.timedelta(days=1))
    assert (refused.value.service_code, refused.value.field) == ("coefficient_backdated",
                                                                 "valid_from")
    assert product.coefficients.count() == 1
    services.product_update(product=product, coefficient=3, valid_from=today)
    assert product.coefficients.count() == 2


def test_the_task_keeps_the_coefficient_in_force_when_assigned(world, product):
    services.product_update(product=product, coefficient=2, valid_from=D(2026, 10, 10),
                            history=True)
    early = assign(world, product)  # assigned 1/10
    assert early.coefficient == 1
    late = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="y", product=product,
        lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
        due=D(2026, 10, 30), at=at(12), allow_past_due=True,
    )
    assert late.coefficient == 2
    assert late.code.startswith("NV2026-")


@pytest.mark.parametrize(
    ("kind", "who", "data"),
    [("accept", "CG.STAFF2", {}), ("accept", "CG.HEAD", {}),
     ("cancel", "CG.STAFF", {"reason": "x"}), ("remind", "CG.STAFF", {}),
     ("remind", "BD.STAFF", {}),
     ("extension_grant", "CG.STAFF", {"new_due": "2026-10-30", "reason": "chờ số liệu"})],
)
def test_the_wrong_person_is_refused_and_nothing_is_written(world, product, kind, who, data):
    task = assign(world, product)
    with pytest.raises(PermissionDeniedError):
        act(world, task, kind, who, 2, **data)
    assert task.events.count() == 1


def test_a_stale_form_cannot_act(world, product):
    task = assign(world, product)
    version = task.version
    act(world, task, "accept", "CG.STAFF", 2)
    with pytest.raises(ServiceError) as caught:
        services.task_act(task=task, kind="submit", actor=world.officials["CG.STAFF"],
                          at=at(3), expected_version=version)
    assert caught.value.service_code == "task_changed"


def test_returning_work_goes_only_to_a_previous_holder(world, product):
    task = assign(world, product)
    act(world, task, "accept", "CG.STAFF", 2)
    with pytest.raises(ServiceError) as caught:
        act(world, task, "return", "CG.STAFF", 3, to_unit="HN.CG.DV", to_official="DV.HEAD",
            reason="x")
    assert caught.value.service_code == "return_not_previous_holder"


def test_the_whole_flow_and_its_timeline(world, product):
    """The issue's "done when": assign, accept, transfer, get it back, ask for an extension,
    submit, rework, resubmit, approve — each step recorded with its holder."""
    head, staff = "CG.HEAD", "CG.STAFF"
    task = assign(world, product)
    act(world, task, "accept", staff, 2)
    act(world, task, "transfer", staff, 5, to_unit="HN.CG.VP", to_official="CG.STAFF2",
        reason="đúng chuyên môn của đồng chí Dung")
    act(world, task, "return", "CG.STAFF2", 7, to_unit="HN.CG.VP", to_official=staff,
        reason="thuộc lĩnh vực đồng chí Cường")
    act(world, task, "accept", staff, 7)
    act(world, task, "extension_request", staff, 12, new_due="2026-10-22", reason="chờ số liệu")
    act(world, task, "extension_grant", head, 13, new_due="2026-10-22", reason="chờ số liệu")
    act(world, task, "submit", staff, 19)
    act(world, task, "rework", head, 20, major_error=True, reason="sai số liệu quý III")
    act(world, task, "submit", staff, 21)
    act(world, task, "approve", head, 22)
    task.refresh_from_db()
    assert task.state == "done"
    assert task.due == D(2026, 10, 15) and task.due_in_force == D(2026, 10, 22)
    assert task.done_at == at(21) and task.done_late is False
    assert [e.kind for e in task.events.order_by("seq")] == [
        "create", "accept", "transfer", "return", "accept", "extension_request",
        "extension_grant", "submit", "rework", "submit", "approve",
    ]
    history = history_for(task)
    calendar = work_calendar(years=[2026])
    assert bucket(history, at(31)) is Bucket.DONE_ON_TIME
    holders = [(i.holder.official, i.workdays) for i in holder_intervals(history, calendar,
                                                                           at(31))]
    # 1/10 → 5/10 Cường (Fri 2, Mon 5), → 7/10 Dung (6, 7), → 19/10 Cường (8, 9, 12..16, 19),
    # → 20/10 the head reviewing (20), → 21/10 Cường again (21).
    assert holders == [("CG.STAFF", 2), ("CG.STAFF2", 2), ("CG.STAFF", 8), ("CG.HEAD", 1),
                       ("CG.STAFF", 1)]
    assert holder_intervals(history, calendar, at(31))[1].holder == Holder("HN.CG.VP",
                                                                           "CG.STAFF2")


def test_events_are_chained_and_verify(world, product):
    task = assign(world, product)
    act(world, task, "accept", "CG.STAFF", 2)
    act(world, task, "submit", "CG.STAFF", 3)
    events = list(task.events.order_by("seq"))
    assert events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert list(verify_chains()) == []
    call_command("audit", "verify")


@pytest.mark.parametrize("tamper", ["edit_payload", "edit_time", "delete_last", "delete_middle"])
def test_tampering_with_an_event_row_is_detected(world, product, tamper):
    task = assign(world, product)
    act(world, task, "accept", "CG.STAFF", 2)
    act(world, task, "submit", "CG.STAFF", 3)
    act(world, task, "approve", "CG.HEAD", 4)
    events = TaskEvent.objects.filter(task=task)
    with connection.cursor() as cursor:
        table = TaskEvent._meta.db_table
        if tamper == "edit_payload":
            target = events.get(seq=3)
            cursor.execute(f"UPDATE {table} SET data = %s WHERE id = %s",  # noqa: S608
                           ['{"note": "sửa lén"}', target.pk])
        elif tamper == "edit_time":
            target = events.get(seq=3)
            cursor.execute(f"UPDATE {table} SET at = %s WHERE id = %s",  # noqa: S608
                           [at(2, 10), target.pk])
        else:
            target = events.get(seq=4 if tamper == "delete_last" else 2)
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [target.pk])  # noqa: S608
    broken = list(verify_chains())
    assert broken and broken[0].task == task.code
    with pytest.raises(CommandError):
        call_command("audit", "verify")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_acting_at_once_on_postgresql(world, product):
    """The head approves and sends back for rework at the same moment, from two threads:
    the row lock serialises them; the second finds the task no longer submitted."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set THUOCDO_DATABASE_URL=postgres://... to run it")
    task = assign(world, product)
    act(world, task, "accept", "CG.STAFF", 2)
    act(world, task, "submit", "CG.STAFF", 3)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(kind: str, data: dict) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.task_act(task=Task.objects.get(pk=task.pk), kind=kind,
                              actor=world.officials["CG.HEAD"], data=data, at=at(4))
            outcomes.append(kind)
        except ServiceError as error:
            outcomes.append(f"refused:{error.service_code}")
        except Exception as error:
            outcomes.append(f"crashed:{error!r}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=attempt, args=("approve", {})),
               threading.Thread(target=attempt,
                                args=("rework", {"major_error": False, "reason": "x"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2, outcomes
    assert sorted(o.startswith("refused") for o in outcomes) == [False, True], outcomes
    assert "refused:wrong_state" in outcomes
    assert TaskEvent.objects.filter(task=task).count() == 4
    assert list(verify_chains()) == []


def test_excusing_is_offered_only_when_there_is_a_delay(world, product):
    from thuocdo.tasks.workflow import allowed_actions

    task = assign(world, product)
    head = world.officials["CG.HEAD"]
    assert "excuse_delay" not in allowed_actions(task, head, D(2026, 10, 10))
    assert "excuse_delay" in allowed_actions(task, head, D(2026, 10, 20))


def test_a_delay_can_be_excused_once_after_approval(world, product):
    task = assign(world, product)
    act(world, task, "accept", "CG.STAFF", 2)
    act(world, task, "submit", "CG.STAFF", 20)
    act(world, task, "approve", "CG.HEAD", 21)
    act(world, task, "excuse_delay", "CG.HEAD", 22, reason="lũ lụt")
    with pytest.raises(ServiceError) as caught:
        act(world, task, "excuse_delay", "CG.HEAD", 23, reason="lần nữa")
    assert caught.value.service_code == "no_delay"
