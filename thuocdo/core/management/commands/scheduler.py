"""`thuocdo scheduler`: enqueue the scheduled jobs on time (APScheduler 3, blocking).

It never runs a job itself: it puts the job on the django-tasks queue and a worker
(`thuocdo db_worker`) runs it, so a slow job never delays the clock and several workers can
share the load. Run exactly one scheduler per database (`thuocdo serve` starts one unless
given `--no-scheduler`). Jobs register with `@scheduled(...)` (see thuocdo.core.jobs).
"""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from thuocdo.core.commands import ThuocdoCommand, bad_argument
from thuocdo.core.jobs import ScheduledJob, load_schedule


def enqueue(name: str) -> None:
    """Put one run of the scheduled job `name` on the queue (called by APScheduler)."""
    from thuocdo.core.jobs import SCHEDULE

    close_old_connections()
    try:
        result = SCHEDULE[name].task.enqueue()
        print(f"enqueued {name}: {result.id}", flush=True)
    finally:
        close_old_connections()


def build_scheduler(jobs: dict[str, ScheduledJob], scheduler_class: Any = None) -> Any:
    """An APScheduler scheduler with one cron job per scheduled job (not started)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = (scheduler_class or BlockingScheduler)(
        timezone=settings.TIME_ZONE,
        # After a pause (machine asleep, restart) run a missed job once, not once per miss.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in jobs.values():
        scheduler.add_job(
            enqueue, CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE),
            args=[job.name], id=job.name, name=job.description or job.name,
            replace_existing=True,
        )
    return scheduler


class Command(ThuocdoCommand):
    help = "Enqueue scheduled background jobs on time (one scheduler per database)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true",
                            help="List the scheduled jobs and their next run, then exit.")
        parser.add_argument("--run-now", metavar="JOB", action="append", default=[],
                            help="Enqueue JOB once now and exit (repeatable).")

    def handle(self, *args, **options) -> None:
        jobs = load_schedule()
        if options["list"]:
            self._list(jobs)
            return
        if options["run_now"]:
            for name in options["run_now"]:  # every name is checked before one is enqueued
                if name not in jobs:
                    raise bad_argument("--run-now", _("unknown job %(name)s; known: %(known)s")
                                       % {"name": name, "known": ", ".join(jobs)})
            for name in options["run_now"]:
                enqueue(name)
            return
        scheduler = build_scheduler(jobs)

        def stop(signum, frame) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"scheduler: {len(jobs)} job(s), time zone {settings.TIME_ZONE}")
        self._list(jobs)
        scheduler.start()
        self.stdout.write("scheduler: stopped")

    def _list(self, jobs: dict[str, ScheduledJob]) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = build_scheduler(jobs, BackgroundScheduler)
        scheduler.start(paused=True)  # computes next run times without running anything
        try:
            for job in scheduler.get_jobs():
                spec = jobs[job.id]
                self.stdout.write(
                    f"  {spec.name:<34} {spec.cron:<16} next: "
                    f"{job.next_run_time:%Y-%m-%d %H:%M %Z}  {spec.description}"
                )
        finally:
            scheduler.shutdown(wait=False)
