"""Nobody decides on their own work (`workflow.works_on`, docs/workflow.md): a deputy of the
assigning unit given a task does not grant their own extension, approve their own product,
excuse their own delay, cancel or chase it; the head does."""

from __future__ import annotations

from datetime import date as D

import pytest

from thuocdo.core.errors import PermissionDeniedError
from thuocdo.core.scope import scope_for
from thuocdo.tasks import selectors, services
from thuocdo.tasks.models import TaskEvent
from thuocdo.tasks.workflow import allowed_actions

from .test_workflow import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


@pytest.fixture
def deputys(world, product):
    """A task the head of HN.CG assigned to its deputy, accepted."""
    task = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Kế hoạch cải cách hành chính",
        product=product, lead_unit=world.units["HN.CG"], lead_official=world.officials["CG.DEP"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    services.task_act(task=task, kind="accept", actor=world.officials["CG.DEP"], at=at(2))
    return task


def _act(world, task, kind, who, moment, **data):
    return services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                             at=moment)


def _refused(world, task, kind, moment, **data):
    before = TaskEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        _act(world, task, kind, "CG.DEP", moment, **data)
    assert TaskEvent.objects.count() == before


def test_the_deputy_asks_and_the_head_decides_the_extension(world, deputys):
    offered = allowed_actions(deputys, world.officials["CG.DEP"], D(2026, 10, 2))
    assert "extension_request" in offered
    assert not {"extension_grant", "cancel", "remind", "excuse_delay"} & set(offered)
    _refused(world, deputys, "extension_grant", at(2, 10), new_due="2026-10-30",
             reason="chờ số liệu")
    _refused(world, deputys, "cancel", at(2, 10), reason="trùng")
    _refused(world, deputys, "remind", at(2, 10))
    _act(world, deputys, "extension_request", "CG.DEP", at(2, 11), new_due="2026-10-30",
         reason="chờ số liệu")
    deputys.refresh_from_db()
    _refused(world, deputys, "extension_grant", at(2, 12), new_due="2026-10-30",
             reason="chờ số liệu")
    _refused(world, deputys, "extension_refuse", at(2, 12), reason="không")
    # her own request is not among the requests waiting for her decision; the head's list has it
    assert deputys not in selectors.my_work(scope=scope_for(world.users["deputy"]),
                                            on=D(2026, 10, 2)).to_decide
    assert selectors.my_work_counts(scope=scope_for(world.users["deputy"]),
                                    on=D(2026, 10, 2))["to_decide"] == 0
    assert deputys in selectors.my_work(scope=scope_for(world.users["head"]),
                                        on=D(2026, 10, 2)).to_decide
    _act(world, deputys, "extension_grant", "CG.HEAD", at(2, 13), new_due="2026-10-30",
         reason="chờ số liệu")


def test_the_deputy_does_not_approve_or_excuse_her_own_product(world, deputys):
    _act(world, deputys, "submit", "CG.DEP", at(20))
    deputys.refresh_from_db()
    offered = allowed_actions(deputys, world.officials["CG.DEP"], D(2026, 10, 20))
    assert not {"approve", "rework", "excuse_delay", "cancel"} & set(offered)
    _refused(world, deputys, "approve", at(20, 10))
    _refused(world, deputys, "rework", at(20, 10), major_error=True, reason="x")
    _refused(world, deputys, "excuse_delay", at(20, 10), reason="mất điện")
    _act(world, deputys, "approve", "CG.HEAD", at(21))
    deputys.refresh_from_db()
    assert deputys.state == "done"
    # done late, the delay stays hers to explain, not to excuse
    _refused(world, deputys, "excuse_delay", at(22), reason="mất điện")
    _act(world, deputys, "excuse_delay", "CG.HEAD", at(22), reason="mất điện")


def test_waiting_for_guidance_the_asker_still_does_not_decide(world, deputys):
    _act(world, deputys, "guidance_request", "CG.DEP", at(3), to_official="CG.HEAD",
         question="?")
    deputys.refresh_from_db()
    _refused(world, deputys, "cancel", at(3, 10), reason="x")
    # the head, holding the step while he guides, still decides
    assert "cancel" in allowed_actions(deputys, world.officials["CG.HEAD"], D(2026, 10, 3))


def test_a_leader_who_assigned_himself_asks_another_leader(world, product):
    """A task the head assigned himself: the deputy of the unit approves it; the head asks
    for an extension like any holder."""
    task = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo chuyên đề", product=product,
        lead_unit=world.units["HN.CG"], lead_official=world.officials["CG.HEAD"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    _act(world, task, "accept", "CG.HEAD", at(2))
    _act(world, task, "extension_request", "CG.HEAD", at(2, 10), new_due="2026-10-30",
         reason="chờ")
    with pytest.raises(PermissionDeniedError):
        _act(world, task, "extension_grant", "CG.HEAD", at(2, 11), new_due="2026-10-30",
             reason="chờ số liệu")
    _act(world, task, "extension_grant", "CG.DEP", at(2, 11), new_due="2026-10-30",
         reason="chờ số liệu")
    _act(world, task, "submit", "CG.HEAD", at(5))
    with pytest.raises(PermissionDeniedError):
        _act(world, task, "approve", "CG.HEAD", at(5, 10))
    _act(world, task, "approve", "CG.DEP", at(5, 10))


def test_work_held_by_a_unit_is_the_work_of_whoever_took_it(world, product):
    """Staff hand the work to HN.CG with nobody named: its deputy takes it, asks for an
    extension and hands the product in; she decides none of it (she took it, asked,
    submitted); the head does."""
    task = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo tổng hợp", product=product,
        lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    _act(world, task, "accept", "CG.STAFF", at(2))
    _act(world, task, "transfer", "CG.STAFF", at(2, 10), to_unit="HN.CG", reason="cấp quận")
    task.refresh_from_db()
    assert task.holder_official is None
    # the unit's leaders see it among the work to accept (it is theirs to take)
    for role in ("head", "deputy"):
        scope = scope_for(world.users[role])
        assert task in selectors.my_work(scope=scope, on=D(2026, 10, 2)).to_accept
        assert selectors.my_work_counts(scope=scope, on=D(2026, 10, 2))["to_accept"] == 1
    _act(world, task, "accept", "CG.DEP", at(3))
    task.refresh_from_db()
    offered = allowed_actions(task, world.officials["CG.DEP"], D(2026, 10, 3))
    assert "submit" in offered and not {"cancel", "remind", "excuse_delay"} & set(offered)
    _act(world, task, "extension_request", "CG.DEP", at(3, 10), new_due="2026-10-30",
         reason="chờ")
    task.refresh_from_db()
    _refused(world, task, "extension_grant", at(3, 11), new_due="2026-10-30", reason="chờ số liệu")
    _act(world, task, "extension_grant", "CG.HEAD", at(3, 11), new_due="2026-10-30",
         reason="chờ số liệu")
    _act(world, task, "submit", "CG.DEP", at(5))
    task.refresh_from_db()
    _refused(world, task, "approve", at(5, 10))
    _act(world, task, "approve", "CG.HEAD", at(5, 10))


def test_a_chosen_code_never_blocks_the_automatic_codes(world, product):
    """A code chosen through the API that the next automatic code would take: that task gets
    the next free variant, and every later assignment works (before, each failed)."""
    from thuocdo.tasks.models import Task

    def assign(code=None):
        return services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title="Báo cáo", product=product,
            lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
            due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True, code=code)

    chosen = assign(code="CHOSEN")
    taken = f"NV2026-{chosen.pk + 1:06d}"  # the next task's automatic code
    Task.objects.filter(pk=chosen.pk).update(code=taken)
    assert assign().code == f"{taken}-2"
    assert assign().code == f"NV2026-{chosen.pk + 2:06d}"


def test_a_head_alone_in_his_unit_is_decided_for_by_the_level_above(world, product):
    """The head of the ward (no deputy) assigns himself a task: handed in, it goes to the
    ward with no official named; he may not approve it, the district's leaders may."""
    task = services.task_assign(
        assigned_by=world.officials["DV.HEAD"], title="Báo cáo phường", product=product,
        lead_unit=world.units["HN.CG.DV"], lead_official=world.officials["DV.HEAD"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    _act(world, task, "accept", "DV.HEAD", at(2))
    _act(world, task, "submit", "DV.HEAD", at(5))
    task.refresh_from_db()
    assert (task.holder_unit.code, task.holder_official) == ("HN.CG.DV", None)
    assert allowed_actions(task, world.officials["DV.HEAD"], D(2026, 10, 5)) == []
    assert "approve" in allowed_actions(task, world.officials["CG.DEP"], D(2026, 10, 5))
    with pytest.raises(PermissionDeniedError):
        _act(world, task, "approve", "DV.HEAD", at(5, 10))
    _act(world, task, "approve", "CG.HEAD", at(5, 10))


def test_my_work_follows_the_decider_rule_for_work_decided_above(world, product):
    """The ward's head alone on his own task: his extension request waits on the district's
    leaders, in their "to decide" (before, the list only knew the assigning unit's leaders,
    so nobody saw it); handed in, the product waits on them, and it is in his "waiting",
    not in his "to review"; the counts of the home page agree with the lists."""
    task = services.task_assign(
        assigned_by=world.officials["DV.HEAD"], title="Báo cáo phường", product=product,
        lead_unit=world.units["HN.CG.DV"], lead_official=world.officials["DV.HEAD"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    _act(world, task, "accept", "DV.HEAD", at(2))
    _act(world, task, "extension_request", "DV.HEAD", at(2, 10), new_due="2026-10-30",
         reason="chờ")
    day = D(2026, 10, 2)

    def work(role):
        scope = scope_for(world.users[role])
        return (selectors.my_work(scope=scope, on=day),
                selectors.my_work_counts(scope=scope, on=day))

    for role in ("head", "deputy"):  # the district's leaders
        mine, counts = work(role)
        assert task in mine.to_decide and counts["to_decide"] == len(mine.to_decide)
    from thuocdo.accounts import services as accounts

    official = world.officials["DV.HEAD"]
    ward = scope_for(accounts.user_create(email="dv.head@example.vn", password="x-Thuocdo-26",
                                          official=official))
    assert task not in selectors.my_work(scope=ward, on=day).to_decide
    _act(world, task, "extension_grant", "CG.HEAD", at(2, 11), new_due="2026-10-30",
         reason="chờ số liệu")
    for role in ("head", "deputy"):
        mine, counts = work(role)
        assert task not in mine.to_decide and counts["to_decide"] == 0
    _act(world, task, "submit", "DV.HEAD", at(5))
    mine = selectors.my_work(scope=ward, on=D(2026, 10, 5))
    counts = selectors.my_work_counts(scope=ward, on=D(2026, 10, 5))
    assert task not in mine.to_review and task in mine.waiting
    assert (counts["to_review"], counts["waiting"]) == (len(mine.to_review), len(mine.waiting))
    for role in ("head", "deputy"):  # the district's leaders decide it: it waits on them
        mine, counts = work(role)
        assert task in mine.to_review and counts["to_review"] == len(mine.to_review)
    _act(world, task, "approve", "CG.HEAD", at(5, 10))
    assert task not in work("deputy")[0].to_review


@pytest.mark.parametrize("role", ["deputy", "head"])
def test_my_work_reads_a_fixed_number_of_queries_whatever_the_requests(world, product, role):
    """The lists follow the workflow's rule over their candidates with the directory's
    answers read once per official and unit: the queries do not grow with the requests (a
    review found one query per pending request in the leader's whole subtree)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> tuple[int, int]:
        for i in range(n):
            task = services.task_assign(
                assigned_by=world.officials["CG.HEAD"], title=f"Việc {i}", product=product,
                lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
                due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
            _act(world, task, "accept", "CG.STAFF", at(2))
            _act(world, task, "extension_request", "CG.STAFF", at(3), new_due="2026-10-30",
                 reason="chờ")
        scope = scope_for(world.users[role])
        with CaptureQueriesContext(connection) as counted:
            counts = selectors.my_work_counts(scope=scope, on=D(2026, 10, 5))
        with CaptureQueriesContext(connection) as listed:
            selectors.my_work(scope=scope, on=D(2026, 10, 5))
        return counts["to_decide"], len(counted) + len(listed)

    decided, few = queries(2)
    more_decided, many = queries(6)
    assert (decided, more_decided) == (2, 8)
    assert many == few


def test_deciders_names_the_narrowest_who_decide_with_either_directory(world, product):
    """`workflow.deciders`, the one rule of who decides as the assigner: the head who
    assigned the deputy's work; the deputy, for the head's own work; the district's leaders,
    for the ward's head alone on his own; `is_assigner` agrees. Both directories answer
    alike."""
    from thuocdo.tasks.workflow import (
        DbDirectory,
        MemoryDirectory,
        TaskSnapshot,
        deciders,
        is_assigner,
    )

    def own(code: str, unit: str):
        task = services.task_assign(
            assigned_by=world.officials[code], title="Báo cáo", product=product,
            lead_unit=world.units[unit], lead_official=world.officials[code],
            due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
        _act(world, task, "accept", code, at(2))
        _act(world, task, "submit", code, at(5))
        return task

    deputy = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo", product=product,
        lead_unit=world.units["HN.CG"], lead_official=world.officials["CG.DEP"],
        due=D(2026, 10, 15), at=at(1, 8), allow_past_due=True)
    cases = {deputy: ["CG.HEAD"], own("CG.HEAD", "HN.CG"): ["CG.DEP"],
             own("DV.HEAD", "HN.CG.DV"): ["CG.HEAD", "CG.DEP"]}
    day = D(2026, 10, 5)
    ids = {official.pk: code for code, official in world.officials.items()}
    for directory in (DbDirectory(), MemoryDirectory()):
        for task, expected in cases.items():
            snap = TaskSnapshot.of(task)
            assert sorted(ids[pk] for pk in deciders(snap, day, directory)) == sorted(expected)
            for code in expected:
                assert is_assigner(snap, world.officials[code], day, directory)
            assert not is_assigner(snap, world.officials["CG.STAFF"], day, directory)
