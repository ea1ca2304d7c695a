"""Data migrations that correct stored facts, run on rows written before the rule changed."""

from __future__ import annotations

import importlib

from django.apps import apps

from thuocdo.tasks.models import Task
from thuocdo.tasks.tests.test_workflow import act, assign, product  # noqa: F401 - fixture

late_extensions = importlib.import_module(
    "thuocdo.tasks.migrations.0003_done_late_counts_late_extensions")


def test_work_done_after_a_late_extension_is_marked_done_late(world, product):  # noqa: F811
    """Deadline 15/10; a grant on Mon 19/10 (after it passed) to 23/10; handed in 21/10.
    Stored before the rule as on time; the migration marks it late. A grant before its
    deadline leaves the work on time."""
    late = assign(world, product, code="T1")
    on_time = assign(world, product, code="T2")
    for task, grant_day in ((late, 19), (on_time, 14)):
        act(world, task, "accept", "CG.STAFF", 2)
        act(world, task, "extension_grant", "CG.HEAD", grant_day, new_due="2026-10-23",
            reason="chờ số liệu")
        act(world, task, "submit", "CG.STAFF", 21)
        act(world, task, "approve", "CG.HEAD", 22)
    assert dict(Task.objects.values_list("code", "done_late")) == {"T1": True, "T2": False}
    Task.objects.update(done_late=False)  # as stored before the rule

    late_extensions.mark_late_grants(apps, None)

    assert dict(Task.objects.values_list("code", "done_late")) == {"T1": True, "T2": False}
