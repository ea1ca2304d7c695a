#!/usr/bin/env python3
"""Benchmark: scoring one month of a generated city (Decree 335/2025 cards, stored).

    python bench/score_month.py --officials 10000       # SQLite
    THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench \\
        python bench/score_month.py --officials 10000   # the same on PostgreSQL

It reuses the shared driver of `bench/generate_import.py` (fresh data dir and database, the
machine noted, migrate, then phases in child processes so each peak memory is its own):

1. generate: `write_city()` streams the city and one month of task history (October 2026
   by default) to JSON;
2. import: the document through `import_document()` (setup, timed but not the subject);
3. reference: a plain SQL aggregate of the same month's tasks per official (tasks whose
   original deadline is in the month: count, converted products assigned, converted
   products done by the close, done late), fetched to Python;
4. the floor: the month's inputs, tasks and events read alone, and its cards (computed
   beforehand) stored alone from scratch and rolled back, each timed;
5. score: `period_score()` of the month: the set-based adapter (a fixed number of queries),
   the engine on every official and task, the quota, and the cards stored.

The reference and the score run in separate processes, after the import, on the same
database. With --workdir DIR the database is kept and reused (as `bench/signals_month.py
--workdir`, whose directory serves too when officials, seed and month match). The results
are printed and, unless --no-record, written to docs/benchmarks.md (this script's section
for this database is replaced; everything else is kept).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_import import (  # the sibling script's helpers
    ROOT,
    fingerprint,
    floor_rows,
    load,
    peak_rss_mb,
    record_section,
    run_benchmark,
    run_in_workdir,
    same_results,
    setup_django,
    timed,
    workers_cells,
)

RESULTS = ROOT / "docs" / "benchmarks.md"


def phase_generate(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from thuocdo.exchange.generate import write_city
    from thuocdo.exchange.generate_history import parse_month

    def write() -> dict:
        with open(args.file, "w", encoding="utf-8") as handle:
            return write_city(handle, officials=args.officials, seed=args.seed, months=1,
                              start=parse_month(args.month))

    counts, seconds = timed(write)
    return {"generate_s": seconds, "rss_mb": peak_rss_mb(), "counts": counts}


def phase_import(args) -> dict:
    setup_django()
    from thuocdo.exchange.importer import import_document

    document, t_load = load(args.file)
    _, t_import = timed(import_document, document, actor=None)
    return {"json_load_s": t_load, "import_s": t_import, "rss_mb": peak_rss_mb()}


REFERENCE_SQL = """
SELECT t.lead_official_id, COUNT(*), SUM(t.coefficient * t.quantity),
       SUM(CASE WHEN t.done_at IS NOT NULL AND t.done_at < %s
                THEN t.coefficient * t.quantity ELSE 0 END),
       SUM(CASE WHEN t.done_late THEN 1 ELSE 0 END)
FROM tasks_task t
WHERE t.due >= %s AND t.due <= %s
GROUP BY t.lead_official_id
"""


def phase_reference(args) -> dict:
    setup_django()
    from django.db import connection

    from thuocdo.measure.scoring import Period

    period = Period.parse(args.month)

    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_SQL, [period.close, period.start, period.end])
            return cursor.fetchall()

    rows, seconds = timed(run)
    return {"reference_s": seconds, "officials_with_tasks": len(rows),
            "tasks": sum(r[1] for r in rows), "rss_mb": peak_rss_mb()}


def phase_clear(args) -> dict:
    """A reused database (--workdir) holds an earlier run's cards: start from none (in its
    own process: deleting loads the rows, which is not the scoring's memory)."""
    setup_django()
    from thuocdo.evaluations.models import Period, ScoreCard

    deleted, _ = ScoreCard.objects.filter(period__label=args.month).delete()
    Period.objects.filter(label=args.month).delete()
    return {"deleted": deleted}


def phase_score(args) -> dict:
    """`period_score()` with the workers asked for (--workers): compute and store."""
    setup_django()
    from django.db import connection

    from thuocdo.core.parallel import peak_memory_mb, worker_count
    from thuocdo.evaluations import services

    period = services.period_open(label=args.month)
    reads = 0

    def count_reads(execute, sql, params, many, context):
        nonlocal reads  # counted, not kept: the INSERTs' text would weigh on the memory
        reads += sql.lstrip()[:6].upper() == "SELECT"
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_reads):
        result, seconds = timed(services.period_score, period=period, workers=args.workers)
    own, worker = peak_memory_mb()
    return {"score_s": seconds, "cards": result.created, "select_queries": reads,
            "rss_mb": own, "rss_worker_mb": worker,
            "workers": worker_count(10**6, args.workers)}


def phase_stored(args) -> dict:
    """What the score phase stored, counted and digested (in its own process)."""
    setup_django()
    from thuocdo.evaluations.models import ScoreCard

    cards = ScoreCard.objects.filter(period__label=args.month)
    return {"with_task_points": cards.filter(task_points__isnull=False).count(),
            "digest": _digest(data for _code, data in sorted(
                cards.values_list("official__code", "data").iterator(2000)))}


def phase_alone(args) -> dict:
    """The same cards computed in this one process (no workers), not stored."""
    setup_django()
    from thuocdo.evaluations import adapters
    from thuocdo.evaluations.rubrics import rubric_for
    from thuocdo.measure.scoring import Period

    month = Period.parse(args.month)

    def compute():
        return adapters.score(adapters.period_inputs(month), rubric_for(month), workers=1)

    scores, seconds = timed(compute)
    return {"compute_s": seconds, "rss_mb": peak_rss_mb(),
            "digest": _digest(card.as_dict() for card in
                              sorted(scores.cards, key=lambda card: card.official))}


def phase_parts(args) -> dict:
    """The floor under scoring: reading the month's inputs alone (the organisation, the
    assessments, and every part's tasks and events, as the workers read them, nothing
    computed) and storing alone (the month's cards, computed beforehand, written from
    scratch by the same code as `period_score`, then rolled back), each timed in this one
    process."""
    setup_django()
    from django.db import transaction

    from thuocdo.core.parallel import collector_paused
    from thuocdo.evaluations import adapters, services
    from thuocdo.evaluations.models import ScoreCard
    from thuocdo.evaluations.rubrics import rubric_for
    from thuocdo.measure.scoring import Period

    month = Period.parse(args.month)

    def read() -> tuple[object, int]:
        with collector_paused():  # as in period_score and the workers
            inputs = adapters.period_inputs(month)
            tasks = sum(len(adapters.tasks_in(
                month.start, month.end, inputs.unit_code, inputs.official_code,
                ranges=ranges, errors=inputs.errors, products=inputs.products,
                texts=inputs.texts))
                for ranges in inputs.parts)
        return inputs, tasks

    (inputs, tasks), read_s = timed(read)
    rubric = rubric_for(month)
    scores = adapters.score(inputs, rubric, workers=1)
    period = services.period_open(label=args.month)
    with transaction.atomic():
        ScoreCard.objects.filter(period=period).delete()
        with collector_paused():
            stored, store_s = timed(services._store_scores, actor=None, period=period,
                                    reason="", rubric=rubric, inputs=inputs, scores=scores)
        transaction.set_rollback(True)
    return {"read_s": read_s, "read_tasks": tasks, "store_s": store_s,
            "stored": stored.created}


def _digest(cards) -> str:
    """Every card (as JSON, in order of official code, sorted in Python as the databases'
    collations differ): the runs must agree."""
    return fingerprint(json.dumps(data, sort_keys=True) for data in cards)


PHASES = {"generate": phase_generate, "import": phase_import, "reference": phase_reference,
          "clear": phase_clear, "score": phase_score, "stored": phase_stored,
          "alone": phase_alone, "parts": phase_parts}


def _child(name: str, args, env: dict) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--file", args.file,
               "--officials", str(args.officials), "--seed", str(args.seed),
               "--month", args.month, "--workers", str(args.workers)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_phase(name: str, args, env: dict) -> dict:
    """The driver's three phases; its "reference" runs the reference, clears an earlier
    run's cards, scores, reads back what was stored, then computes the same in one process,
    each in its own process."""
    if name != "reference":
        return _child(name, args, env)
    reference = _child("reference", args, env)
    _child("clear", args, env)
    parts = _child("parts", args, env)
    _child("clear", args, env)
    score = _child("score", args, env) | _child("stored", args, env)
    alone = _child("alone", args, env)
    same_results(score, alone)
    return {"reference": reference, "score": score, "alone": alone, "parts": parts}


HEADER = """## Score a month (`bench/score_month.py`)

A city of N officials with one month of history (`write_city(months=1)`, October 2026) is
imported into a fresh database; then `evaluations.services.period_score` scores the month
(the set-based adapter reads units, officials, the assessments and the KHT grounds, then
the month's tasks and their events one part of the organisation at a time, two queries per
part, the parts shared among worker processes; the engine computes every card, the quota
and the explanations; the cards are stored as JSON with their indexed columns). The same
cards are also computed in one process and compared (digest). The floor is measured too,
each in one process: reading the month's inputs, tasks and events alone (nothing computed),
and storing the cards alone (computed beforehand, written from scratch by the same code,
rolled back). The reference is a plain SQL aggregate of the same month's tasks per
official, measured in the same run on the same database. Peak memory is the max RSS of the
scoring process, and of the largest worker. The generated city has no assessments, so cards
have task points but no total: the work of the engine is the same.
"""


def _time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def section(engine: str, result: dict, command: str) -> str:
    m, g, i = result["machine"], result["generate"], result["import"]
    ref, score = result["reference"]["reference"], result["reference"]["score"]
    alone = result["reference"]["alone"]
    workers = score["workers"]
    processes, memory = workers_cells(workers, score["rss_mb"], score["rss_worker_mb"])
    ratio_alone = (alone["compute_s"] / ref["reference_s"] if ref["reference_s"]
                   else float("nan"))
    counts = g["counts"]
    # this script's own setup imports in one go; a --workdir set up by the signals
    # benchmark imported the organisation, then the history
    import_s = i["import_s"] if "import_s" in i else i["org_s"] + i["history_s"]
    ratio = score["score_s"] / ref["reference_s"] if ref["reference_s"] else float("nan")
    return f"""<!-- bench-score:{engine} -->
### {m['db']} {m['db_version']}: {counts['officials']:,} officials, one month scored

Measured {result['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory,
Python {m['python']}, Django {m['django']}, {result['database']}; load average
{result['load']:.1f} at the start (other work on the machine slows every step). Command:
`{command}`.

| step | time | peak memory |
|---|---:|---:|
| generate and write {counts['tasks']:,} tasks, {counts['events']:,} events \
| {_time(g['generate_s'])} | {g['rss_mb']:.0f} MiB |
| import them (setup) | {_time(import_s)} | {i['rss_mb']:.0f} MiB |
| reference: SQL aggregate of the month's {ref['tasks']:,} tasks per official \
({ref['officials_with_tasks']:,} officials) | {_time(ref['reference_s'])} \
| {ref['rss_mb']:.0f} MiB |
| **score the month**, {processes}: {score['cards']:,} cards \
({score['with_task_points']:,} with task points) computed and stored, \
{score['select_queries']} SELECT queries in the main process \
| **{_time(score['score_s'])}** | **{memory}** |
| the same cards computed in one process (identical), not stored \
| {_time(alone['compute_s'])} | {alone['rss_mb']:.0f} MiB |
{_floor_rows(result["reference"].get("parts"), ref)}
Scoring ÷ reference: **{ratio:.0f}×** with {workers} worker{"s" if workers > 1 else ""} \
(computing alone in one process: {ratio_alone:.0f}×); the goal of issue 5 is at most 2× and \
under 2 GB.
<!-- /bench-score:{engine} -->
"""


def _floor_rows(parts: dict | None, reference: dict) -> str:
    """The two rows of the floor (`phase_parts`); none in a result recorded before it."""
    if not parts:
        return ""
    return floor_rows(
        (f"the month's inputs and {parts['read_tasks']:,} tasks with their events alone, "
         "one process", parts["read_s"]),
        (f"the {parts['stored']:,} cards alone, computed beforehand", parts["store_s"]),
        reference["reference_s"], time=_time, digits=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--month", default="2026-10", help="the month scored (YYYY-MM)")
    parser.add_argument("--no-record", action="store_true",
                        help="print the results, do not write docs/benchmarks.md")
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes scoring the parts (default 0: one per core); "
                             "a run in one process is measured too")
    parser.add_argument("--workdir",
                        help="keep the city and the database in this directory and reuse "
                             "them on the next run (only the reference and the scoring are "
                             "re-run); a directory set up by bench/signals_month.py for the "
                             "same officials, seed and month serves too")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    if args.workdir:
        engine, result = run_in_workdir(args, run_phase, setup_phases=("generate", "import"),
                                        measured_phases=("reference",), month=args.month)
    else:
        engine, result = run_benchmark(args, run_phase)
    url = "THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench "
    options = f" --officials {args.officials}"
    options += "" if args.month == "2026-10" else f" --month {args.month}"
    options += " --workdir DIR" if args.workdir else ""
    command = (url if engine == "postgresql" else "") + "python bench/score_month.py" + options
    text = section(engine, result, command)
    print(text)
    if not args.no_record:
        record_section(f"bench-score:{engine}", HEADER, text)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
