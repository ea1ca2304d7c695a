"""The notification jobs: registered on the schedule, and doing their work when run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from thuocdo.notifications.models import Notification

from .helpers import assign


def test_the_scheduler_finds_both_jobs():
    from thuocdo.core.jobs import load_schedule

    jobs = load_schedule()
    assert jobs["notifications.notify_events"].cron == "*/5 * * * *"
    assert jobs["notifications.notify_deadlines"].cron == "15 6 * * *"
    assert jobs["notifications.notify_events"].description


@pytest.mark.django_db
def test_notify_events_notifies_and_emails(world):
    from thuocdo.notifications.jobs import notify_events

    assign(world, due=timezone.localdate() + dt.timedelta(days=20), when=timezone.now())
    result = notify_events.enqueue()
    assert result.return_value == {"created": 1, "emailed": 1}
    assert mail.outbox[0].to == ["cg.staff@example.vn"]
    assert notify_events.enqueue().return_value == {"created": 0, "emailed": 0}


@pytest.mark.django_db
def test_notify_deadlines_tells_about_overdue_work(world):
    from thuocdo.notifications.jobs import notify_deadlines

    today = timezone.localdate()
    assign(world, due=today - dt.timedelta(days=5),
           when=timezone.now() - dt.timedelta(days=10))
    result = notify_deadlines.enqueue().return_value
    assert result["overdue"] == 1 and result["emailed"] == 1
    assert Notification.objects.get().kind == "overdue"
    assert notify_deadlines.enqueue().return_value["overdue"] == 0
