"""The workflow table, exhaustively: every state × every action, the person who may act,
the payload rules, the hash chain, and two people acting at once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from thuocdo.core.errors import ServiceError
from thuocdo.tasks import services
from thuocdo.tasks.choices import TaskState
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.workflow import TRANSITIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = dt.date
S = TaskState
TZ = timezone.get_fixed_timezone(7 * 60)


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def product(db):
    from thuocdo.tasks.services import product_create

    return product_create(code="BC", name="Báo cáo", coefficient=1)


def assign(world, product, **extra):
    return services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo sơ kết 6 tháng",
        product=product, lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF"], due=D(2026, 10, 15),
        at=at(1, 8), allow_past_due=True, **extra,
    )


def act(world, task, kind, who, day, **data):
    return services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                             at=at(day))


def in_state(world, product, state: str, after_accept=None, late: bool = False) -> Task:
    """A task brought to `state` by legal steps. `after_accept(world, task)` runs once the
    lead has accepted (e.g. to open a consultation), before the task moves on; `late` hands
    the work in after its deadline (15/10)."""
    task = assign(world, product)
    if after_accept is None:
        if state == S.ASSIGNED:
            return task
        if state == S.CANCELLED:
            act(world, task, "cancel", "CG.HEAD", 2, reason="trùng")
            return task
    act(world, task, "accept", "CG.STAFF", 2)
    if after_accept is not None:
        after_accept(world, task)
        task.refresh_from_db()
        if state == S.ASSIGNED:
            act(world, task, "transfer", "CG.STAFF", 2, to_unit="HN.CG.VP",
                to_official="CG.STAFF2", reason="đúng chuyên môn")
            return task
        if state == S.CANCELLED:
            act(world, task, "cancel", "CG.HEAD", 2, reason="trùng")
            return task
    if state == S.IN_PROGRESS:
        return task
    if state == S.WAITING_GUIDANCE:
        act(world, task, "guidance_request", "CG.STAFF", 3, to_official="CG.DEP", question="?")
        return task
    act(world, task, "submit", "CG.STAFF", 16 if late else 3)
    if state == S.SUBMITTED:
        return task
    act(world, task, "approve", "CG.HEAD", 17 if late else 4)
    return task


#: For each action: who takes it, with what payload, after what preparation (in allowed
#: states), on day 10 of October.
def _prepare_return(world, task):
    act(world, task, "transfer", task.holder_official.code, 5, to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="đúng chuyên môn")
    if task.state != S.ASSIGNED:
        act(world, task, "accept", "CG.STAFF2", 5)


def _request_extension(world, task):
    act(world, task, "extension_request", "CG.STAFF", 2, new_due="2026-10-30", reason="chờ")


def _open_consultation(world, task):
    act(world, task, "consult", "CG.STAFF", 2, to_unit="HN.CG.DV", reply_due="2026-10-12")


PLAN = {
    "accept": ("holder", {}, None),
    "transfer": ("holder", {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF2", "reason": "x"},
                 None),
    "return": ("CG.STAFF2", {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF", "reason": "y"},
               _prepare_return),
    "extension_request": ("holder", {"new_due": "2026-10-30", "reason": "chờ số liệu"}, None),
    "extension_grant": ("CG.HEAD", {"new_due": "2026-10-30", "reason": "chờ số liệu"}, None),
    "extension_refuse": ("CG.HEAD", {"reason": "không đủ căn cứ"}, None),  # request: opener
    "guidance_request": ("holder", {"to_official": "CG.DEP", "question": "?"}, None),
    "guidance_reply": ("CG.DEP", {"answer": "đồng ý"}, None),
    "consult": ("holder", {"to_unit": "HN.CG.DV", "reply_due": "2026-10-12"}, None),
    "consult_reply": ("DV.HEAD", {"unit": "HN.CG.DV", "clear_position": True}, None),
    "remind": ("CG.DEP", {}, None),
    "submit": ("holder", {}, None),
    "approve": ("CG.HEAD", {}, None),
    "rework": ("CG.HEAD", {"major_error": True, "reason": "sai số liệu"}, None),
    "excuse_delay": ("CG.HEAD", {"reason": "mất điện"}, None),
    "cancel": ("CG.HEAD", {"reason": "trùng"}, None),
}


def test_the_plan_covers_the_table():
    assert set(PLAN) == set(TRANSITIONS)


@pytest.mark.parametrize("state", [s.value for s in TaskState])
@pytest.mark.parametrize("kind", sorted(TRANSITIONS))
def test_every_state_and_action(world, product, state, kind):
    """An action is taken exactly in the states the table allows; elsewhere it is refused
    with `wrong_state` and nothing is written."""
    who, data, prepare = PLAN[kind]
    opener = {"consult_reply": _open_consultation,
              "extension_refuse": _request_extension}.get(kind)
    task = in_state(world, product, state, after_accept=opener, late=kind == "excuse_delay")
    allowed = state in TRANSITIONS[kind].sources
    # Only a delay can be excused: act past the deadline (15/10) for that one.
    day = 20 if kind == "excuse_delay" else 10
    if allowed and prepare:
        prepare(world, task)
        task.refresh_from_db()
    actor = task.holder_official.code if who == "holder" else who
    if (kind, state) == ("extension_request", S.WAITING_GUIDANCE):
        actor = "CG.STAFF"  # the official waiting for guidance asks, not the guide
    before = TaskEvent.objects.count()
    if allowed:
        event = act(world, task, kind, actor, day, **data)
        assert event.kind == kind
        task.refresh_from_db()
        target = TRANSITIONS[kind].target
        assert task.state == (target or event.state_before)
        assert TaskEvent.objects.count() == before + 1
    else:
        with pytest.raises(ServiceError) as caught:
            act(world, task, kind, actor, day, **data)
        assert caught.value.service_code == "wrong_state"
        assert TaskEvent.objects.count() == before


# -- extensions: who asks, and once at a time ------------------------------------------


def test_whoever_decides_extensions_is_not_offered_to_ask_for_one(world, product):
    """A head who assigned the work and holds it while his guidance is asked may grant an
    extension, not ask himself for one."""
    from thuocdo.core.errors import PermissionDeniedError
    from thuocdo.tasks.workflow import allowed_actions

    task = assign(world, product)
    services.task_act(task=task, kind="accept", actor=world.officials["CG.STAFF"], at=at(2))
    services.task_act(task=task, kind="guidance_request", actor=world.officials["CG.STAFF"],
                      data={"to_official": "CG.HEAD", "question": "?"}, at=at(2, 10))
    offered = allowed_actions(task, world.officials["CG.HEAD"], D(2026, 10, 2))
    assert "extension_request" not in offered and "extension_grant" in offered
    with pytest.raises(PermissionDeniedError, match="grant one instead"):
        services.task_act(task=task, kind="extension_request", actor=world.officials["CG.HEAD"],
                          data={"new_due": "2026-10-20", "reason": "x"}, at=at(2, 11))


def test_a_second_extension_request_waits_for_the_first_answer(world, product):
    task = assign(world, product)
    staff = world.officials["CG.STAFF"]
    services.task_act(task=task, kind="accept", actor=staff, at=at(2))
    services.task_act(task=task, kind="extension_request", actor=staff,
                      data={"new_due": "2026-10-20", "reason": "x"}, at=at(2, 10))
    with pytest.raises(ServiceError, match="already waiting for a decision") as refused:
        services.task_act(task=task, kind="extension_request", actor=staff,
                          data={"new_due": "2026-10-22", "reason": "y"}, at=at(2, 11))
    assert refused.value.service_code == "extension_already_requested"
    assert TaskEvent.objects.filter(kind="extension_request").count() == 1
    services.task_act(task=task, kind="extension_refuse", actor=world.officials["CG.HEAD"],
                      data={"reason": "không"}, at=at(3))
    services.task_act(task=task, kind="extension_request", actor=staff,
                      data={"new_due": "2026-10-22", "reason": "y"}, at=at(5))


def test_an_overdue_holder_cannot_ask_for_a_day_already_past(world, product):
    """Deadline 15/10, asked on 22/10 for 20/10: later than the deadline but past, so it could
    never be granted as asked (and would block asking again); 26/10 is taken."""
    task = assign(world, product)
    staff = world.officials["CG.STAFF"]
    services.task_act(task=task, kind="accept", actor=staff, at=at(2))
    with pytest.raises(ServiceError, match="15/10/2026, and not in the past") as refused:
        services.task_act(task=task, kind="extension_request", actor=staff,
                          data={"new_due": "2026-10-20", "reason": "x"}, at=at(22))
    assert (refused.value.service_code, refused.value.field) == ("extension_not_later",
                                                                  "new_due")
    assert not TaskEvent.objects.filter(kind="extension_request").exists()
    services.task_act(task=task, kind="extension_request", actor=staff,
                      data={"new_due": "2026-10-26", "reason": "x"}, at=at(22))


def test_refusals_name_the_deadline_in_force(world, product):
    task = assign(world, product)
    staff = world.officials["CG.STAFF"]
    services.task_act(task=task, kind="accept", actor=staff, at=at(2))
    with pytest.raises(ServiceError, match="later than the deadline in force, 15/10/2026"):
        services.task_act(task=task, kind="extension_request", actor=staff,
                          data={"new_due": "2026-10-14", "reason": "x"}, at=at(2, 10))
