#!/usr/bin/env python3
"""Benchmark: a city of N officials with one month of task history, imported.

    python bench/import_history.py                       # 100,000 officials, SQLite
    THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench \\
        python bench/import_history.py                   # the same on PostgreSQL
    python bench/import_history.py --officials 10000 --no-record

Each phase runs in its own process so its peak memory (max RSS) is its own:

1. generate: `write_city()` streams the city and its month of history (about ten tasks per
   official) to a JSON file;
2. import: `json.load`, then `import_document()` of the organisation alone (units,
   officials, ...), then of the whole document, whose organisation is now unchanged, so
   that step's time is the history's: shape checks, the replay of every event through the
   workflow, the bulk writes. Then, unless --no-reimport, the whole document once more (a
   no-op: every stored log is compared with the document);
3. reference: `json.load`, then the same task and event rows written with plain
   `executemany` INSERTs into bare tables (no indexes, no validation, no hashes) through the
   same Django connection, in one transaction: a floor for "writing these rows".

The results are printed and, unless --no-record, written to docs/benchmarks.md (this
script's section for this database is replaced; everything else is kept). A PostgreSQL
database is dropped and created again, so its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_import import (  # the sibling script's helpers
    ROOT,
    load,
    peak_rss_mb,
    record_section,
    run_benchmark,
    setup_django,
    timed,
)

RESULTS = ROOT / "docs" / "benchmarks.md"
HISTORY_KEYS = ("tasks", "events")


# -- phases (each in a child process) -------------------------------------------------------


def phase_generate(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from thuocdo.exchange.generate import write_city
    from thuocdo.exchange.generate_history import parse_month

    def write() -> dict:
        with open(args.file, "w", encoding="utf-8") as handle:
            return write_city(handle, officials=args.officials, seed=args.seed,
                              months=args.months, start=parse_month(args.start))

    counts, seconds = timed(write)
    return {"generate_s": seconds, "rss_mb": peak_rss_mb(),
            "file_mb": Path(args.file).stat().st_size / 2**20, "counts": counts}


def phase_import(args) -> dict:
    setup_django()
    from thuocdo.exchange.importer import import_document
    from thuocdo.tasks.models import Task, TaskEvent

    document, t_load = load(args.file)
    rss_loaded = peak_rss_mb()
    org = {key: value for key, value in document.items() if key not in HISTORY_KEYS}
    _, t_org = timed(import_document, org, actor=None)
    report, t_history = timed(import_document, document, actor=None)
    rows = {"tasks": Task.objects.count(), "events": TaskEvent.objects.count()}
    result = {"json_load_s": t_load, "rss_loaded_mb": rss_loaded, "org_s": t_org,
              "history_s": t_history, "rows": rows, "report": "; ".join(report.lines())}
    if not args.no_reimport:
        again, t_again = timed(import_document, document, actor=None)
        assert not again.changed, "the second import changed something"
        result["reimport_s"] = t_again
    result["rss_mb"] = peak_rss_mb()
    return result


REFERENCE_TABLES = {
    "bench_ref_task": "code varchar(64), title varchar(500), lead_unit varchar(64), "
                      "lead_official varchar(64), product varchar(64), quantity integer, "
                      "assigned_by varchar(64), assigned_at varchar(40), due date, "
                      "priority varchar(16)",
    "bench_ref_event": "task varchar(64), seq integer, kind varchar(20), at varchar(40), "
                       "actor varchar(64), data text",
}


def phase_reference(args) -> dict:
    setup_django()
    from django.db import connection, transaction

    document, t_load = load(args.file)
    tasks = [(t["code"], t["title"], t["lead_unit"], t["lead_official"], t["product"],
              t["quantity"], t["assigned_by"], t["assigned_at"], t["due"], t["priority"])
             for t in document["tasks"]]
    base = {"task", "kind", "at", "actor"}
    seq: dict[str, int] = {}
    events = []
    for e in document["events"]:
        seq[e["task"]] = seq.get(e["task"], 1) + 1
        events.append((e["task"], seq[e["task"]], e["kind"], e["at"], e["actor"],
                       json.dumps({k: v for k, v in e.items() if k not in base},
                                  ensure_ascii=False)))
    del document
    with connection.cursor() as cursor:
        for table, columns in REFERENCE_TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} ({columns})")

    def write() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_ref_task VALUES "
                               "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", tasks)
            cursor.executemany("INSERT INTO bench_ref_event VALUES (%s, %s, %s, %s, %s, %s)",
                               events)

    _, t_write = timed(write)
    with connection.cursor() as cursor:
        for table in REFERENCE_TABLES:
            cursor.execute(f"DROP TABLE {table}")
    return {"json_load_s": t_load, "executemany_s": t_write, "rss_mb": peak_rss_mb()}


PHASES = {"generate": phase_generate, "import": phase_import, "reference": phase_reference}


def run_phase(name: str, args, env: dict) -> dict:
    import subprocess

    command = [sys.executable, __file__, "--phase", name, "--file", args.file,
               "--officials", str(args.officials), "--seed", str(args.seed),
               "--months", str(args.months), "--start", args.start]
    if args.no_reimport:
        command.append("--no-reimport")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the record --------------------------------------------------------------------------------

HEADER = """## Import a month of task history (`bench/import_history.py`)

A city of N officials with one month of history from `thuocdo generate --months 1` (about ten
tasks per official, each with its events) is streamed to JSON, then imported into a freshly
migrated database: first the organisation alone, then the whole document, whose history
step is measured on its own (shape checks, the replay of every event through the workflow's
rules, bulk writes of tasks, coordinations, steps and hash-chained events), then the same
document again (a no-op: every stored log is compared). The reference writes the same task
and event rows with plain `executemany` INSERTs into bare tables through the same
connection. Peak memory is the max RSS of the process doing that phase; the import's
includes the whole document read with `json.load`.
"""


def _minutes(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def section(engine: str, result: dict, command: str) -> str:
    m, g, i, r = result["machine"], result["generate"], result["import"], result["reference"]
    counts = g["counts"]
    tasks, events = counts["tasks"], counts["events"]
    ratio = i["history_s"] / r["executemany_s"] if r["executemany_s"] else float("nan")
    again = (f"| import the same document again (a no-op) | {_minutes(i['reimport_s'])} "
             f"| (same process) |\n" if "reimport_s" in i else "")
    return f"""<!-- bench-history:{engine} -->
### {m['db']} {m['db_version']}: {counts['officials']:,} officials, one month

Measured {result['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory,
Python {m['python']}, Django {m['django']}, {result['database']}; load average
{result['load']:.1f} at the start (other work on the machine slows every step). Command:
`{command}`.

| step | time | peak memory |
|---|---:|---:|
| generate and write {tasks:,} tasks, {events:,} events ({g['file_mb']:.0f} MiB of JSON) \
| {_minutes(g['generate_s'])} | {g['rss_mb']:.0f} MiB |
| migrate the empty database | {result['migrate_s']:.1f} s | |
| read the JSON | {_minutes(i['json_load_s'])} | {i['rss_loaded_mb']:.0f} MiB |
| import the organisation ({counts['units']:,} units, {counts['officials']:,} officials) \
| {_minutes(i['org_s'])} | |
| **import the history** (organisation unchanged) | **{_minutes(i['history_s'])}** \
| **{i['rss_mb']:.0f} MiB** |
{again}| reference: executemany INSERTs of the same task and event rows \
| {_minutes(r['executemany_s'])} | {r['rss_mb']:.0f} MiB |

History import ÷ reference: **{ratio:.1f}×**; {tasks / i['history_s']:,.0f} tasks/s,
{events / i['history_s']:,.0f} events/s. After the import the database holds
{i['rows']['tasks']:,} tasks and {i['rows']['events']:,} events (with each task's internal
"assigned" event).
<!-- /bench-history:{engine} -->
"""


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--start", default="2026-08", help="first month (YYYY-MM)")
    parser.add_argument("--no-reimport", action="store_true",
                        help="skip the second import (a no-op) of the whole document")
    parser.add_argument("--no-record", action="store_true",
                        help="print the results, do not write docs/benchmarks.md")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    engine, result = run_benchmark(args, run_phase)
    url = "THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench "
    options = "" if args.officials == 100_000 else f" --officials {args.officials}"
    options += "" if args.months == 1 else f" --months {args.months}"
    options += " --no-reimport" if args.no_reimport else ""
    command = (url if engine == "postgresql" else "") + "python bench/import_history.py" + options
    text = section(engine, result, command)
    print(text)
    if not args.no_record:
        record_section(f"bench-history:{engine}", HEADER, text)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
