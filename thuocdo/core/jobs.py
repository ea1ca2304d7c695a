"""Background jobs of `core`, and the schedule every app's jobs register on.

A job is a django-tasks task; the scheduler process (`thuocdo scheduler`) only *enqueues*
the scheduled ones, and the workers (`thuocdo db_worker`, started by `thuocdo serve`) run
them. To schedule a job, add one line above its `@task()`:

    @scheduled(cron="30 2 * * *", description="...")
    @task()
    def my_job() -> dict: ...

in the app's `jobs.py`: the scheduler imports every app's `jobs` module at start-up.
Cron expressions are read in the project's time zone (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

#: finished task results are kept this long
TASK_RESULTS_KEEP_DAYS = 30


@dataclass(frozen=True)
class ScheduledJob:
    """A task the scheduler enqueues on a cron schedule."""

    name: str
    task: Any  # a django_tasks Task
    cron: str
    description: str = ""


#: every scheduled job, by name ("app.function"), filled by `@scheduled` at import time
SCHEDULE: dict[str, ScheduledJob] = {}


def scheduled(*, cron: str, description: str = "", name: str = "") -> Callable[[Any], Any]:
    """Register the decorated django-tasks task to be enqueued on `cron` (5 crontab fields)."""

    def register(task_obj: Any) -> Any:
        func = task_obj.func
        job_name = name or f"{func.__module__.removeprefix('thuocdo.').removesuffix('.jobs')}" \
                            f".{func.__name__}"
        doc = (func.__doc__ or "").strip().splitlines()
        SCHEDULE[job_name] = ScheduledJob(
            name=job_name, task=task_obj, cron=cron,
            description=description or (doc[0] if doc else ""),
        )
        return task_obj

    return register


def load_schedule() -> dict[str, ScheduledJob]:
    """Import every installed app's `jobs` module, so their `@scheduled` lines run."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
    return dict(sorted(SCHEDULE.items()))


# -- core's jobs -------------------------------------------------------------------------


def prune_task_results(*, keep_days: int = TASK_RESULTS_KEEP_DAYS) -> int:
    """Delete finished job results older than `keep_days` (django-tasks-db's table)."""
    from django_tasks_db.models import DBTaskResult

    limit = timezone.now() - dt.timedelta(days=keep_days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=limit).delete()
    return deleted


def clear_expired_lockouts() -> int:
    """Delete django-axes login attempts whose cool-off has passed (expired lockouts).

    axes cleans a user's own attempts when they next try to log in; this clears the rest.
    """
    from axes.conf import settings as axes_settings
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off()
    if cool_off is None:  # lockouts never expire: nothing to clear
        return 0
    now = timezone.now()
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lte=now - cool_off).delete()
    if getattr(axes_settings, "AXES_USE_ATTEMPT_EXPIRATION", False):
        more, _ = AccessAttempt.objects.filter(expiration__expires_at__lte=now).delete()
        deleted += more
    return deleted


def clear_expired_sessions() -> int:
    """Delete expired sessions: Django keeps database sessions until told to (its
    `clearsessions`), and the public portal opens one per anonymous submission, where the
    new access key waits for its receipt (citizens.receipts)."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):  # not in the database: the engine's own way
        store.clear_expired()
        return 0
    deleted, _ = store.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@scheduled(cron="30 2 * * *")
@task()
def housekeeping() -> dict[str, int]:
    """Nightly housekeeping: prune old job results, clear expired login lockouts and
    sessions."""
    result = {
        "task_results_pruned": prune_task_results(),
        "lockouts_cleared": clear_expired_lockouts(),
        "sessions_cleared": clear_expired_sessions(),
    }
    logger.info("housekeeping: %s", result)
    return result
