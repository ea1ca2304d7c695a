"""The nightly job recomputes this month, and the previous one in the first days."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.accountability.jobs import months_to_refresh
from thuocdo.core.jobs import load_schedule


@pytest.mark.parametrize(("today", "months"), [
    (dt.date(2026, 11, 23), ["2026-11"]),
    (dt.date(2026, 11, 10), ["2026-10", "2026-11"]),
    (dt.date(2027, 1, 3), ["2026-12", "2027-01"]),
])
def test_months_to_refresh(today, months):
    assert months_to_refresh(today) == months


def test_the_job_is_scheduled_nightly():
    job = load_schedule()["accountability.refresh_signals"]
    assert job.cron == "30 1 * * *"


@pytest.mark.django_db
def test_the_job_stores_signals(world):
    from thuocdo.accountability.jobs import refresh_signals
    from thuocdo.accountability.models import SignalRecord

    from .helpers import late_task

    task = late_task(world)
    results = refresh_signals.call()
    assert results and all("created" in r for r in results)
    # due 10 days ago: in this month, or in the previous one while it is still recomputed
    assert SignalRecord.objects.filter(task=task, code="S1").exists()
