"""Background jobs of accountability: the nightly computation of signals.

Every night the current month's signals (and, in the first days of a month, the previous
month's, so late events are counted) are recomputed and stored; S9 escalations notify the
heads of the unit above; explanations past their due day notify the leaders who asked and
the person named. Safe to run twice: signals are matched by key, notifications by key.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from thuocdo.core.jobs import scheduled

from . import services

logger = logging.getLogger(__name__)

#: until this day of a month, the nightly job also recomputes the previous month
PREVIOUS_MONTH_UNTIL_DAY = 10


def months_to_refresh(today) -> list[str]:
    months = [f"{today.year}-{today.month:02d}"]
    if today.day <= PREVIOUS_MONTH_UNTIL_DAY:
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        months.insert(0, f"{year}-{month:02d}")
    return months


@scheduled(cron="30 1 * * *")
@task()
def refresh_signals() -> list[dict]:
    """Recompute and store the signals of the current (and recent) month; tell who is
    concerned about explanations now overdue."""
    now = timezone.now()
    results = [services.signals_refresh(period=month, as_of=now).as_dict()
               for month in months_to_refresh(timezone.localdate(now))]
    overdue = services.explanations_overdue_notify(today=timezone.localdate(now))
    logger.info("refresh_signals: %s; overdue explanations notified: %s", results, overdue)
    return results
