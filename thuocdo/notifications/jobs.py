"""Background jobs of notifications (run by the workers, enqueued by the scheduler).

`notify_events` turns new task events into notifications every few minutes and e-mails
them; `notify_deadlines` tells holders, early each morning, what is due in 2 working days
and what is overdue, and the leaders of a unit whose opinion waits, its reply deadline.
Both are safe to run twice: nothing is ever notified twice.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from thuocdo.core.jobs import scheduled

from . import services

logger = logging.getLogger(__name__)


@scheduled(cron="*/5 * * * *")
@task()
def notify_events() -> dict[str, int]:
    """Notify new task events (assigned, transferred, reminded, waiting for a decision,
    decided) and e-mail them."""
    result = {
        "created": services.notifications_from_events(),
        "emailed": services.notifications_send_email(),
    }
    logger.info("notify_events: %s", result)
    return result


@scheduled(cron="15 6 * * *")
@task()
def notify_deadlines() -> dict[str, int]:
    """Notify deadlines due in 2 working days and overdue tasks, and opinions whose reply
    deadline is that near or passed, and e-mail them."""
    result = dict(services.notifications_due_and_overdue(today=timezone.localdate()))
    result["emailed"] = services.notifications_send_email()
    logger.info("notify_deadlines: %s", result)
    return result
