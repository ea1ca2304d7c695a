"""A task is done late when it counts a delay (thuocdo.measure.history.done_late): also when
a deadline passed before an extension moved it, even if the work then met the new deadline.
Tasks done before this rule were stored as on time in that case; mark them done late.

A grant is late when it came after the end of the day of the deadline it replaced (its
`old_due`, recorded by the workflow) and before the work was handed in (`done_at`)."""

from __future__ import annotations

import datetime as dt

from django.db import migrations
from django.utils import timezone

BATCH = 1000


def mark_late_grants(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    TaskEvent = apps.get_model("tasks", "TaskEvent")
    grants = (TaskEvent.objects.filter(kind="extension_grant", task__state="done",
                                       task__done_late=False)
              .values_list("task_id", "at", "data", "task__done_at").iterator())
    late = set()
    for task_id, at, data, done in grants:
        old_due = (data or {}).get("old_due")
        if not old_due or done is None or at > done:
            continue
        if timezone.localtime(at).date() > dt.date.fromisoformat(old_due):
            late.add(task_id)
    late_ids = sorted(late)
    for start in range(0, len(late_ids), BATCH):
        Task.objects.filter(pk__in=late_ids[start:start + BATCH]).update(done_late=True)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0002_task_and_event_log")]

    operations = [migrations.RunPython(mark_late_grants, migrations.RunPython.noop)]
