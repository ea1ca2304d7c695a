"""Independent parts of a long computation run in worker processes, one per core.

A month's signals are computed a top-level agency at a time, and no part needs another's
result: `run_parts(job, parts)` runs `job(part)` for every part, in forked worker processes
when the machine has more than one core and the database allows it, and returns the
results in the order of `parts`, exactly as the loop `[job(p) for p in parts]` would.
`parts_in_order` gives the same results one by one as they come, so that a caller can
store each and let it go (the month's signals are stored so).

Workers are forked, so they inherit everything the parent read (`job` may be a closure
over it; only the parts and the results cross between processes, pickled). Each worker
opens its own database connections. That needs the data to be visible to a new
connection, so the work stays in this process when:

- the database lives in this process's memory (SQLite ``:memory:``, as in the tests);
- a transaction is open (what it wrote is not yet visible to other connections);
- the platform cannot fork, or other threads run here (a threaded web server: a lock held
  by another thread at the fork would stay held forever in the worker);
- one worker is asked for (setting ``THUOCDO_WORKERS=1``), or there is one part.

``THUOCDO_WORKERS`` (environment variable, default 0) sets the number of workers; 0 means
one per core (`os.cpu_count()`).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
import os
import resource
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

P = TypeVar("P")
R = TypeVar("R")

#: the job of the current `run_parts` call, inherited by its forked workers
_JOB: Callable[[Any], Any] | None = None


def worker_count(parts: int, requested: int | None = None) -> int:
    """How many processes `run_parts` would use for `parts` parts."""
    wanted = settings.THUOCDO_WORKERS if requested is None else requested
    if wanted <= 0:
        wanted = os.cpu_count() or 1
    wanted = min(wanted, parts)
    if wanted > 1 and not can_fork():
        return 1
    return max(wanted, 1)


def can_fork() -> bool:
    """Whether forked workers with their own connections would see what this process
    sees (see the module's docstring)."""
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return False
    for alias in connections:
        connection = connections[alias]
        if connection.in_atomic_block:
            return False
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            return False
    return True


def run_parts(job: Callable[[P], R], parts: Iterable[P], *,
              workers: int | None = None) -> list[R]:
    """`[job(part) for part in parts]`, the parts shared among worker processes (the
    number from `worker_count`). A worker's exception is raised here."""
    with parts_in_order(job, parts, workers=workers) as results:
        return list(results)


@contextmanager
def parts_in_order(job: Callable[[P], R], parts: Iterable[P], *,
                   workers: int | None = None) -> Iterator[Iterator[R]]:
    """`run_parts` as the results come: the workers start (fork) on entering, and the
    results are given in the order of `parts` while later parts are still computed, so a
    caller can store each one and let it go. Forking needs no transaction open, so a
    caller storing in one transaction opens it inside this block; without workers each
    part is computed when its turn comes, inside that transaction."""
    parts = list(parts)
    count = worker_count(len(parts), workers)
    if count <= 1:
        yield (_paused(job, part) for part in parts)
        return
    global _JOB
    # The workers must not share this process's connections: closed here, each worker
    # opens its own when it first reads.
    connections.close_all()
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(count, initializer=_started) as pool:
            yield (value for _index, value in pool.imap(_run, enumerate(parts)))
            # Every result taken: the workers end normally, closing their connections
            # (leaving the block early, on an error, stops them as they are).
            pool.close()
            pool.join()
    finally:
        _JOB = None


def _started() -> None:
    """In a new worker: its connections, opened by its first part and kept for the next
    ones (a new PostgreSQL connection per part cost about as much as reading a small
    part), are closed when it ends."""
    multiprocessing.util.Finalize(None, connections.close_all, exitpriority=10)


def _run(item: tuple[int, Any]) -> tuple[int, Any]:
    index, part = item
    job = _JOB
    if job is None:  # only ever forked from parts_in_order, which sets it
        raise RuntimeError("parts_in_order: a worker started without a job")
    return index, _paused(job, part)


def _paused(job: Callable[[P], R], part: P) -> R:
    with collector_paused():
        return job(part)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for a bulk computation.

    A part builds hundreds of thousands of small objects (events, histories, signals) that
    live until the part is done, and each of the collector's passes walks every one of them
    again: measured on a month's signals, a quarter of the time. Those objects hold no
    cycles; reference counting frees them without the collector. It runs again, as before,
    on leaving (restored as found: a caller that paused it keeps it paused)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def peak_memory_mb() -> tuple[float, float]:
    """Peak resident memory in MiB: of this process, and of the largest of its finished
    workers (0 when none ran). With n workers, at most parent + n × worker at once."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, workers
