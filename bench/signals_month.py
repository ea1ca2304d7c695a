#!/usr/bin/env python3
"""Benchmark: a month's signals for a city of N officials, against one plain SQL pass.

    python bench/signals_month.py                        # 100,000 officials, SQLite
    THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench \\
        python bench/signals_month.py                    # the same on PostgreSQL
    python bench/signals_month.py --officials 10000 --no-record
    python bench/signals_month.py --officials 10000 --no-record --workdir /tmp/signals-10k

Phases, each in its own process (so each peak memory is its own), on one fresh database:

1. generate and import a city with one month of history (as `bench/import_history.py`);
2. clear: what an earlier run stored for the month is deleted (only with --workdir);
   then the floor: the month's tasks and events read alone, and its signals and delays
   (computed beforehand) stored alone from scratch and rolled back, each timed;
3. signals: `signals_refresh()` — the set-based adapter reading the month's tasks and events
   a top-level agency at a time, every detector of the engine, the delay of each holder, the
   agencies shared among worker processes (`--workers`, default one per core) — each
   agency's signals and delays stored as they come, in one transaction;
4. stored: what was stored, counted and digested;
5. alone: the same computation in one process (`compute_month()`, no workers), not stored;
   it must give what was stored (compared by digest);
6. reference: one plain SQL pass over the same rows: the month's tasks joined with their
   events, ordered by task and sequence, every row fetched (a floor for "reading the log").

The results are printed and, unless --no-record, written to docs/benchmarks.md (this
script's section for this database is replaced; everything else is kept).

With --workdir DIR the city, the SQLite file and the setup's results are kept in DIR; a later
run with the same DIR (and the same THUOCDO_DATABASE_URL, for PostgreSQL) skips generate and
import and runs the other phases, clear first, so storing is measured from scratch each
time. Meant for profiling and
tuning the signals (the import alone takes minutes); a recorded run normally starts fresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_import import (
    ROOT,
    fingerprint,
    floor_rows,
    peak_rss_mb,
    record_section,
    run_benchmark,
    run_in_workdir,
    same_results,
    setup_django,
    timed,
    workers_cells,
)
from import_history import phase_generate, phase_import

RESULTS = ROOT / "docs" / "benchmarks.md"


def _month(args) -> tuple[str, dt.datetime]:
    """The generated month and the moment after it ends (all of it is known)."""
    from thuocdo.measure.history import end_of_day
    from thuocdo.measure.signals import period_bounds

    _start, end = period_bounds(args.start)
    return args.start, end_of_day(end)


def phase_clear(args) -> dict:
    """A reused database (--workdir) holds an earlier run's records: start from none (in
    its own process: deleting loads the rows, which is not the signals' memory)."""
    setup_django()
    from thuocdo.accountability.models import HolderDelay, SignalRecord

    period, _as_of = _month(args)
    HolderDelay.objects.filter(period=period).delete()
    deleted, _ = SignalRecord.objects.filter(period=period).delete()
    _vacuum()
    return {"deleted": deleted}


def _vacuum() -> None:
    """On PostgreSQL, clear what this script's own deletions and rolled-back writes left
    in the signals' tables (dead rows, and their entries in every index, which the next
    run's writes of the same keys would step over): this machine's PostgreSQL runs without
    autovacuum, and a month's refresh in use never deletes (it updates what it finds)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accountability_signalrecord, "
                           "accountability_holderdelay")


def phase_signals(args) -> dict:
    """Compute with the workers asked for (--workers) and store as the parts come."""
    setup_django()
    from thuocdo.accountability.services import signals_refresh
    from thuocdo.core.parallel import peak_memory_mb, worker_count

    period, as_of = _month(args)
    stored, seconds = timed(signals_refresh, period=period, as_of=as_of,
                            workers=args.workers)
    rss, rss_worker = peak_memory_mb()
    return {"refresh_s": seconds, "rss_mb": rss, "rss_worker_mb": rss_worker,
            "workers": worker_count(10**6, args.workers), "created": stored.created,
            "delays": stored.delays}


def phase_stored(args) -> dict:
    """What the signals phase stored, counted by code and digested (its own process)."""
    setup_django()
    from django.db.models import Count

    from thuocdo.accountability.models import HolderDelay, SignalRecord

    period, _as_of = _month(args)
    signals = SignalRecord.objects.filter(period=period)
    by_code = dict(signals.values_list("code").annotate(n=Count("id")).order_by())
    rows = signals.values_list("key", "explanation", "events")
    delays = HolderDelay.objects.filter(period=period).values_list(
        "task_id", "unit__code", "official__code", "workdays")
    return {"by_code": by_code, "signals": sum(by_code.values()),
            "digest": _digest(sorted(rows.iterator(chunk_size=20_000)),
                              delays.iterator(chunk_size=20_000))}


def phase_alone(args) -> dict:
    """The same computation in this one process (no workers), not stored."""
    setup_django()
    from thuocdo.accountability.compute import compute_month

    period, as_of = _month(args)
    result, t_compute = timed(compute_month, period=period, as_of=as_of, workers=1)
    signals = sorted(((s.key, s.explanation,
                       [list(e) if isinstance(e, tuple) else e for e in s.events])
                      for s in result.signals), key=lambda row: row[0])
    delays = ((d.task_id, d.unit, d.official, d.workdays) for d in result.delays)
    return {"compute_s": t_compute, "rss_mb": peak_rss_mb(),
            "digest": _digest(signals, delays)}


def phase_parts(args) -> dict:
    """The floor under the computation: reading the month's tasks and events alone (every
    part, as the workers read them, nothing computed) and storing alone (the month's
    signals and delays, computed beforehand, written from scratch by the same code as
    `signals_refresh`, then rolled back), each timed in this one process."""
    setup_django()
    from django.db import transaction

    from thuocdo.accountability import adapters
    from thuocdo.accountability.compute import compute_month, month_bounds
    from thuocdo.accountability.models import HolderDelay, SignalRecord
    from thuocdo.accountability.services import signals_refresh
    from thuocdo.core.parallel import collector_paused

    period, as_of = _month(args)
    start, end = month_bounds(period)

    def read() -> int:
        world = adapters.load_world(on=min(end, as_of.date()))
        events = 0
        for _label, ranges in adapters.chunk_ranges(world):
            with collector_paused():  # as in the workers
                chunk = adapters.read_part(world, ranges, period_start=start,
                                           period_end=end, as_of=as_of)
            events += sum(len(history.events) for history in chunk.histories.values())
        return events

    events, read_s = timed(read)
    result = compute_month(period=period, as_of=as_of, workers=1)
    with transaction.atomic():
        HolderDelay.objects.filter(period=period).delete()
        SignalRecord.objects.filter(period=period).delete()
        stored, store_s = timed(signals_refresh, period=period, as_of=as_of, result=result)
        transaction.set_rollback(True)
    _vacuum()  # the rows written and rolled back
    return {"read_s": read_s, "read_events": events, "store_s": store_s,
            "stored": stored.created}


def _digest(signals, delays) -> str:
    """Every signal (key, explanation, events; sorted by key) and every delay (task id,
    unit, official, working days; sorted): stored and computed must agree."""
    return fingerprint(itertools.chain(
        (f"{key}|{text}|{json.dumps(events)}" for key, text, events in signals),
        sorted(f"{task}|{unit}|{official}|{days}" for task, unit, official, days in delays)))


def phase_reference(args) -> dict:
    setup_django()
    from django.db import connection

    from thuocdo.accountability.adapters import relevant_tasks_q
    from thuocdo.measure.signals import period_bounds
    from thuocdo.tasks.models import Task

    period, as_of = _month(args)
    start, end = period_bounds(period)
    tasks_sql, params = (Task.objects.filter(relevant_tasks_q(start, end, as_of))
                         .values("id").query.sql_with_params())
    sql = (f"SELECT e.task_id, e.kind, e.at, e.actor_id, e.data FROM tasks_taskevent e "
           f"WHERE e.task_id IN ({tasks_sql}) AND e.at <= %s ORDER BY e.task_id, e.seq")
    params = (*params, as_of)

    def scan() -> int:
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while True:
                rows = cursor.fetchmany(20_000)
                if not rows:
                    return count
                count += len(rows)

    rows, seconds = timed(scan)
    return {"scan_s": seconds, "rows": rows, "rss_mb": peak_rss_mb()}


PHASES = {"generate": phase_generate, "import": phase_import, "clear": phase_clear,
          "signals": phase_signals, "stored": phase_stored, "alone": phase_alone,
          "parts": phase_parts, "reference": phase_reference}
SETUP_PHASES = ("generate", "import")
MEASURED_PHASES = ("clear", "parts", "signals", "stored", "alone", "reference")


def run_phase(name: str, args, env: dict) -> dict:
    import subprocess

    command = [sys.executable, __file__, "--phase", name, "--file", args.file,
               "--officials", str(args.officials), "--seed", str(args.seed),
               "--start", args.start, "--months", "1", "--no-reimport",
               "--workers", str(args.workers)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


HEADER = """## A month's signals (`bench/signals_month.py`)

A city of N officials with one month of history (`thuocdo generate --months 1`) is
imported; then `signals_refresh()` reads the month's tasks and events with the set-based
adapter (two queries per top-level agency), runs every detector of the engine and the delay
of each holder, and stores each agency's signals and delays as they come (one transaction);
the same computation in one process, not stored (`compute_month()`), must give the same
result. The reference is one plain SQL pass over the same tasks' events recorded by the
end of the month (joined, ordered, every row fetched), the events the computation reads.
On PostgreSQL the signals' tables are vacuumed after the floor's rolled-back writes (and,
with `--workdir`, an earlier run's rows deleted), as a month refreshed in use finds them.
The floor is measured too, each in one process: reading the month's tasks and events alone
(nothing computed), and storing the month's signals alone (computed beforehand, written
from scratch by the same code, rolled back); a goal below the floor's ratio cannot be met
by computing faster. Peak memory is the max RSS of the process doing that phase; with
worker processes, the parent's and the largest worker's (at most parent + n × worker at
once).
"""


def _time(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def section(engine: str, result: dict, command: str) -> str:
    m, g, s, st, a, r = (result["machine"], result["generate"], result["signals"],
                         result["stored"], result["alone"], result["reference"])
    parts = result.get("parts")
    same_results(st, a)
    counts = g["counts"]
    ratio = s["refresh_s"] / r["scan_s"] if r["scan_s"] else float("nan")
    ratio_alone = a["compute_s"] / r["scan_s"] if r["scan_s"] else float("nan")
    workers = s["workers"]
    processes, memory = workers_cells(workers, s["rss_mb"], s["rss_worker_mb"])
    codes = ", ".join(f"{code} {n:,}" for code, n in
                      sorted(st["by_code"].items(), key=lambda kv: int(kv[0][1:])))
    return f"""<!-- bench-signals:{engine} -->
### {m['db']} {m['db_version']}: {counts['officials']:,} officials, one month

Measured {result['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory,
Python {m['python']}, Django {m['django']}, {result['database']}; load average
{result['load']:.1f} at the start. Command: `{command}`.

| step | time | peak memory |
|---|---:|---:|
| import {counts['tasks']:,} tasks, {counts['events']:,} events (setup) \
| {_time(result['import']['history_s'])} | {result['import']['rss_mb']:.0f} MiB |
| **compute and store the month's {s['created']:,} signals and {s['delays']:,} delay rows, \
agency by agency, {processes}** | **{_time(s['refresh_s'])}** | **{memory}** |
| compute the same in one process, not stored (identical result) \
| {_time(a['compute_s'])} | {a['rss_mb']:.0f} MiB |
{_floor_rows(parts, r)}| reference: one SQL pass over the {r['rows']:,} events of the month's \
tasks recorded by its end | {_time(r['scan_s'])} | {r['rss_mb']:.0f} MiB |

Compute and store ÷ reference: **{ratio:.2f}×** with {workers} \
worker{"s" if workers > 1 else ""}; compute alone in one process ÷ reference: \
{ratio_alone:.2f}× (goal: at most 3× and under 2 GB). Signals: {codes}.
<!-- /bench-signals:{engine} -->
"""


def _floor_rows(parts: dict | None, reference: dict) -> str:
    """The two rows of the floor (`phase_parts`); none in a result recorded before it."""
    if not parts:
        return ""
    return floor_rows(
        (f"the month's tasks and {parts['read_events']:,} events alone, one process",
         parts["read_s"]),
        (f"the {parts['stored']:,} signals and the delays alone, computed beforehand",
         parts["store_s"]),
        reference["scan_s"], time=_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2026-08", help="the month (YYYY-MM)")
    parser.add_argument("--months", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--no-reimport", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes computing the signals (default 0: one per "
                             "core); a run in one process is measured too")
    parser.add_argument("--no-record", action="store_true",
                        help="print the results, do not write docs/benchmarks.md")
    parser.add_argument("--workdir",
                        help="keep the city and the database in this directory and reuse "
                             "them on the next run (only signals and reference are re-run)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.no_reimport = True
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    if args.workdir:
        engine, result = run_in_workdir(args, run_phase, setup_phases=SETUP_PHASES,
                                        measured_phases=MEASURED_PHASES, month=args.start)
    else:
        engine, result = run_benchmark(args, run_phase,
                                       phases=SETUP_PHASES + MEASURED_PHASES)
    url = "THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench "
    options = "" if args.officials == 100_000 else f" --officials {args.officials}"
    options += " --workdir DIR" if args.workdir else ""
    command = (url if engine == "postgresql" else "") + "python bench/signals_month.py" + options
    text = section(engine, result, command)
    print(text)
    if not args.no_record:
        record_section(f"bench-signals:{engine}", HEADER, text)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
