#!/usr/bin/env python3
"""Benchmark: a month's signals for a city of N officials, against one plain SQL pass.

    python bench/signals_month.py                        # 100,000 officials, SQLite
    THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench \\
        python bench/signals_month.py                    # the same on PostgreSQL
    python bench/signals_month.py --officials 10000 --no-record
    python bench/signals_month.py --officials 10000 --no-record --workdir /tmp/signals-10k

Phases, each in its own process (so each peak memory is its own), on one fresh database:

1. generate and import a city with one month of history (as `bench/import_history.py`);
2. signals: `compute_month()` — the set-based adapter reading the month's tasks and events a
   top-level agency at a time, every detector of the engine, the delay of each holder, the
   agencies shared among worker processes (`--workers`, default one per core) — then
   `signals_refresh()` storing the result;
3. alone: the same computation in one process (no workers), not stored; both runs must give
   the same signals and delays (compared by digest);
4. reference: one plain SQL pass over the same rows: the month's tasks joined with their
   events, ordered by task and sequence, every row fetched (a floor for "reading the log").

The results are printed and, unless --no-record, written to docs/benchmarks.md (this
script's section for this database is replaced; everything else is kept).

With --workdir DIR the city, the SQLite file and the setup's results are kept in DIR; a later
run with the same DIR (and the same THUOCDO_DATABASE_URL, for PostgreSQL) skips generate and
import and runs only the signals and reference phases, after deleting what an earlier run
stored for the month, so storing is measured from scratch each time. Meant for profiling and
tuning the signals (the import alone takes minutes); a recorded run normally starts fresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_import import (
    ROOT,
    fingerprint,
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


def phase_signals(args) -> dict:
    """Compute with the workers asked for (--workers), then store."""
    setup_django()
    from thuocdo.accountability.compute import compute_month
    from thuocdo.accountability.models import HolderDelay, SignalRecord
    from thuocdo.accountability.services import signals_refresh
    from thuocdo.core.parallel import peak_memory_mb, worker_count

    period, as_of = _month(args)
    # A reused database (--workdir) holds an earlier run's records: start from none.
    HolderDelay.objects.filter(period=period).delete()
    SignalRecord.objects.filter(period=period).delete()
    result, t_compute = timed(compute_month, period=period, as_of=as_of, workers=args.workers)
    rss_compute, rss_worker = peak_memory_mb()
    stored, t_store = timed(signals_refresh, period=period, as_of=as_of, result=result)
    by_code: dict[str, int] = {}
    for signal in result.signals:
        by_code[signal.code] = by_code.get(signal.code, 0) + 1
    return {"compute_s": t_compute, "rss_compute_mb": rss_compute,
            "rss_worker_mb": rss_worker, "workers": worker_count(10**6, args.workers),
            "store_s": t_store, "rss_mb": peak_rss_mb(), "signals": len(result.signals),
            "by_code": by_code, "delays": len(result.delays), "created": stored.created,
            "digest": _digest(result)}


def phase_alone(args) -> dict:
    """The same computation in this one process (no workers), not stored."""
    setup_django()
    from thuocdo.accountability.compute import compute_month

    period, as_of = _month(args)
    result, t_compute = timed(compute_month, period=period, as_of=as_of, workers=1)
    return {"compute_s": t_compute, "rss_mb": peak_rss_mb(), "digest": _digest(result)}


def _digest(result) -> str:
    """Every signal and delay, in order: the runs must agree."""
    return fingerprint(repr(item) for item in (*result.signals, *result.delays))


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
           f"WHERE e.task_id IN ({tasks_sql}) ORDER BY e.task_id, e.seq")

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


PHASES = {"generate": phase_generate, "import": phase_import, "signals": phase_signals,
          "alone": phase_alone, "reference": phase_reference}
SETUP_PHASES = ("generate", "import")
MEASURED_PHASES = ("signals", "alone", "reference")


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

A city of N officials with one month of history (`thuocdo generate --months 1`) is imported;
then `compute_month()` reads the month's tasks and events with the set-based adapter (two
queries per top-level agency), runs every detector of the engine and the delay of each
holder, and `signals_refresh()` stores the signals and delays. The reference is one plain SQL
pass over the same tasks' events (joined, ordered, every row fetched). Peak memory is the max
RSS of the process doing that phase; with worker processes, the parent's and the largest
worker's (at most parent + n × worker at once).
"""


def _time(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def section(engine: str, result: dict, command: str) -> str:
    m, g, s, a, r = (result["machine"], result["generate"], result["signals"],
                     result["alone"], result["reference"])
    same_results(s, a)
    counts = g["counts"]
    ratio = s["compute_s"] / r["scan_s"] if r["scan_s"] else float("nan")
    ratio_alone = a["compute_s"] / r["scan_s"] if r["scan_s"] else float("nan")
    workers = s["workers"]
    processes, memory = workers_cells(workers, s["rss_compute_mb"], s["rss_worker_mb"])
    codes = ", ".join(f"{code} {n:,}" for code, n in
                      sorted(s["by_code"].items(), key=lambda kv: int(kv[0][1:])))
    return f"""<!-- bench-signals:{engine} -->
### {m['db']} {m['db_version']}: {counts['officials']:,} officials, one month

Measured {result['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory,
Python {m['python']}, Django {m['django']}, {result['database']}; load average
{result['load']:.1f} at the start. Command: `{command}`.

| step | time | peak memory |
|---|---:|---:|
| import {counts['tasks']:,} tasks, {counts['events']:,} events (setup) \
| {_time(result['import']['history_s'])} | {result['import']['rss_mb']:.0f} MiB |
| **compute the month's signals and delays, {processes}** \
| **{_time(s['compute_s'])}** | **{memory}** |
| the same in one process (identical result) | {_time(a['compute_s'])} | {a['rss_mb']:.0f} MiB |
| store them ({s['created']:,} signals, {s['delays']:,} delay rows) | {_time(s['store_s'])} \
| {s['rss_mb']:.0f} MiB |
| reference: one SQL pass over the month's {r['rows']:,} events | {_time(r['scan_s'])} \
| {r['rss_mb']:.0f} MiB |

Compute ÷ reference: **{ratio:.1f}×** with {workers} worker{"s" if workers > 1 else ""}, \
{ratio_alone:.1f}× in one process (goal: at most 3× and under 2 GB). Signals: {codes}.
<!-- /bench-signals:{engine} -->
"""


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
