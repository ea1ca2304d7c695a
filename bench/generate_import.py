#!/usr/bin/env python3
"""Benchmark: generate a city of N officials and import it into a fresh database.

    python bench/generate_import.py                      # 100,000 officials, SQLite
    THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench \
        python bench/generate_import.py                  # the same on PostgreSQL
    python bench/generate_import.py --officials 5000 --no-record

Each phase runs in its own process so its peak memory (max RSS) is its own:

1. generate: `generate_city()` and `json.dump` of the document to a file;
2. import: `json.load`, then `import_document()` into the freshly migrated database, then the
   same import again (it must change nothing);
3. reference: `json.load`, then the same units, officials and memberships written with plain
   `executemany` INSERTs into bare tables (no indexes, no validation, no audit) through the
   same Django connection: a floor for "writing these rows" that the import is compared to.

The results are printed and, unless --no-record, written to docs/benchmarks.md (the section
for this database is replaced; the other is kept). A PostgreSQL database is dropped and
created again, so its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


# -- helpers ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings.production")
    os.environ.setdefault("THUOCDO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


# -- phases (each in a child process) -------------------------------------------------------


def phase_generate(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from thuocdo.exchange.generate import generate_city

    document, t_generate = timed(generate_city, officials=args.officials, seed=args.seed)

    def dump() -> None:
        with open(args.file, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False)

    _, t_dump = timed(dump)
    return {
        "generate_s": t_generate, "json_dump_s": t_dump, "rss_mb": peak_rss_mb(),
        "file_mb": Path(args.file).stat().st_size / 2**20,
        "units": len(document["units"]), "officials": len(document["officials"]),
    }


def load(path: str) -> tuple[dict, float]:
    def read() -> dict:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    return timed(read)


def phase_import(args) -> dict:
    setup_django()
    from thuocdo.exchange import importer
    from thuocdo.org.models import Membership, Official, Unit

    import_document = importer.import_document

    document, t_load = load(args.file)
    report, t_import = timed(import_document, document, actor=None)
    before = (Unit.objects.count(), Official.objects.count(), Membership.objects.count())
    _, t_again = timed(import_document, document, actor=None)
    after = (Unit.objects.count(), Official.objects.count(), Membership.objects.count())
    assert before == after, f"re-import changed the counts: {before} -> {after}"
    return {"json_load_s": t_load, "import_s": t_import, "reimport_s": t_again,
            "rss_mb": peak_rss_mb(), "rows": dict(zip(("units", "officials", "memberships"),
                                                      after, strict=True)),
            "report": "; ".join(report.lines())}


REFERENCE_TABLES = {
    "bench_ref_unit": "code varchar(64), name varchar(255), kind varchar(16), "
                      "parent varchar(64)",
    "bench_ref_official": "code varchar(64), name varchar(255), email varchar(254)",
    "bench_ref_membership": "official varchar(64), unit varchar(64), position varchar(16), "
                            "task_group varchar(64), start date",
}


def phase_reference(args) -> dict:
    setup_django()
    from django.db import connection, transaction

    document, t_load = load(args.file)
    units = [(u["code"], u["name"], u["kind"], u["parent"]) for u in document["units"]]
    people = [(o["code"], o["name"], o["email"]) for o in document["officials"]]
    places = [(o["code"], o["unit"], o["position"], o["task_group"], o["since"])
              for o in document["officials"]]
    with connection.cursor() as cursor:
        for table, columns in REFERENCE_TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} ({columns})")

    def write() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_ref_unit VALUES (%s, %s, %s, %s)", units)
            cursor.executemany("INSERT INTO bench_ref_official VALUES (%s, %s, %s)", people)
            cursor.executemany(
                "INSERT INTO bench_ref_membership VALUES (%s, %s, %s, %s, %s)", places)

    _, t_write = timed(write)
    with connection.cursor() as cursor:
        for table in REFERENCE_TABLES:
            cursor.execute(f"DROP TABLE {table}")
    return {"json_load_s": t_load, "executemany_s": t_write, "rss_mb": peak_rss_mb()}


PHASES = {"generate": phase_generate, "import": phase_import, "reference": phase_reference}


def run_phase(name: str, args, env: dict) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--file", args.file,
               "--officials", str(args.officials), "--seed", str(args.seed)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the database ---------------------------------------------------------------------------


def prepare_database(env: dict, workdir: Path) -> tuple[str, str]:
    """Point `env` at a fresh database; return (engine label, description)."""
    url = env.get("THUOCDO_DATABASE_URL", "").strip()
    if not url:
        path = workdir / "bench.sqlite3"
        env["THUOCDO_DATABASE_URL"] = f"sqlite:///{path}"
        return "sqlite", f"SQLite file {path.name} in a temporary directory (WAL)"
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit(f"unsupported database URL {url!r}")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    import psycopg

    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql", f"PostgreSQL database {name} on {parsed.hostname}:{parsed.port or 5432}"


def migrate(env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "thuocdo.cli", "migrate", "-v0"], env=env,
                   cwd=ROOT, check=True)
    return time.perf_counter() - started


def machine(env: dict, engine: str) -> dict:
    info: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        info["cpu"] = model.group(1).strip() if model else platform.processor()
        mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
        info["memory_gib"] = round(int(mem.group(1)) / 2**20, 1) if mem else None
    except OSError:
        info["cpu"], info["memory_gib"] = platform.processor(), None
    script = ("import django, os; os.environ.setdefault('THUOCDO_SECRET_KEY', 'x'*50);"
              "django.setup(); from django.db import connection;"
              "c = connection.cursor();"
              "c.execute('select sqlite_version()' if connection.vendor == 'sqlite' "
              "else 'show server_version');"
              "print(django.get_version(), c.fetchone()[0])")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, check=True)
    info["django"], info["db_version"] = done.stdout.split()[:2]
    info["db"] = "SQLite" if engine == "sqlite" else "PostgreSQL"
    return info


# -- the record --------------------------------------------------------------------------------


HEADER = """# Benchmarks

Numbers measured by the scripts in `bench/`; each section says on what machine. Re-run with
the command shown in the section: it replaces its own section and keeps the others.

## Generate and import a city (`bench/generate_import.py`)

A city of N officials from `thuocdo.exchange.generate` is written to JSON, then imported
with `thuocdo.exchange.importer.import_document` into a freshly migrated database, then
imported again (a no-op). The reference writes the same units, officials and memberships with
plain `executemany` INSERTs into bare tables (no indexes, constraints, validation, folding or
audit) through the same connection: the ratio says what the importer's validation, services
and bookkeeping cost on top of merely writing the rows. Peak memory is the max RSS of the
process doing that phase (each phase runs in its own process).
"""


def section(engine: str, result: dict) -> str:
    m, g, i, r = result["machine"], result["generate"], result["import"], result["reference"]
    n = g["officials"]
    ratio = i["import_s"] / r["executemany_s"] if r["executemany_s"] else float("nan")
    command = ("python bench/generate_import.py" if engine == "sqlite" else
               "THUOCDO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/thuocdo_bench "
               "python bench/generate_import.py")
    rows = i["rows"]
    return f"""<!-- bench:{engine} -->
### {m['db']} {m['db_version']}: {n:,} officials

Measured {result['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory,
Python {m['python']}, Django {m['django']}, {result['database']}; load average
{result['load']:.1f} at the start (other work on the machine slows every step). Command:
`{command}`.

| step | time | peak memory |
|---|---:|---:|
| generate {n:,} officials ({g['units']:,} units) | {g['generate_s']:.2f} s \
| {g['rss_mb']:.0f} MiB |
| write the JSON ({g['file_mb']:.1f} MiB) | {g['json_dump_s']:.2f} s | (same process) |
| migrate the empty database | {result['migrate_s']:.1f} s | |
| read the JSON | {i['json_load_s']:.2f} s | |
| **import** | **{i['import_s']:.1f} s** | **{i['rss_mb']:.0f} MiB** |
| import the same document again (a no-op) | {i['reimport_s']:.1f} s | (same process) |
| reference: executemany INSERTs of the same rows | {r['executemany_s']:.2f} s \
| {r['rss_mb']:.0f} MiB |

Import ÷ reference: **{ratio:.1f}×**; import throughput {n / i['import_s']:,.0f} officials/s.
After the import the database holds {rows['units']:,} units, {rows['officials']:,} officials,
{rows['memberships']:,} memberships.
<!-- /bench:{engine} -->
"""


def record_section(tag: str, header: str, text: str) -> None:
    """Put `text` (wrapped in `<!-- tag -->` … `<!-- /tag -->`) into docs/benchmarks.md:
    replace that section if it is there, else append it, after the script's `header` (added
    once). Every other section is kept."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(tag)} -->.*?<!-- /{re.escape(tag)} -->\n", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _m: text, current)
    else:
        if header and header.splitlines()[0] not in current:
            current = current.rstrip("\n") + "\n\n" + header
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current, encoding="utf-8")


def bench_env(args, workdir: Path) -> dict:
    """The environment of the phases' processes: data and the city's JSON in `workdir`,
    production settings, this checkout first on the path."""
    env = dict(os.environ)
    env["THUOCDO_DATA_DIR"] = str(workdir / "data")
    env.setdefault("THUOCDO_SECRET_KEY", secrets.token_urlsafe(50))
    env["DJANGO_SETTINGS_MODULE"] = "thuocdo.config.settings.production"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    args.file = str(workdir / "city.json")
    return env


def run_benchmark(args, run_phase,
                  phases: tuple[str, ...] = ("generate", "import", "reference")
                  ) -> tuple[str, dict]:
    """The driver every benchmark shares: a fresh data dir and database, the machine noted,
    migrate, then the `phases` (by default generate, import and reference), each in a child
    process (`run_phase(name, args, env)`). Returns the engine and the results."""
    with tempfile.TemporaryDirectory(prefix="thuocdo-bench-") as tmp:
        workdir = Path(tmp)
        env = bench_env(args, workdir)
        engine, database = prepare_database(env, workdir)
        print(f"database: {database}", flush=True)
        result = {"database": database, "when": time.strftime("%Y-%m-%d"),
                  "machine": machine(env, engine), "load": os.getloadavg()[0]}
        result["migrate_s"] = migrate(env)
        for name in phases:
            print(f"{name}...", flush=True)
            result[name] = run_phase(name, args, env)
            print(f"  {json.dumps(result[name], ensure_ascii=False)}", flush=True)
    return engine, result


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true",
                        help="print the results, do not write docs/benchmarks.md")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    engine, result = run_benchmark(args, run_phase)
    text = section(engine, result)
    print(text)
    if not args.no_record:
        record_section(f"bench:{engine}", "", text)
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()


def run_in_workdir(args, run_phase, *, setup_phases: tuple[str, ...],
                   measured_phases: tuple[str, ...], month: str) -> tuple[str, dict]:
    """`run_benchmark`, but in a directory kept between runs (--workdir): the first run sets
    the database up (`setup_phases`) and saves the setup's results in DIR/setup.json; later
    runs read them and run only `measured_phases` on the same rows. The setup is the same
    generated city whichever benchmark made it (officials, seed and month must match), so
    the signals and the scoring benchmarks can share one imported city."""
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    saved = workdir / "setup.json"
    env = bench_env(args, workdir)
    wanted = {"officials": args.officials, "seed": args.seed, "month": month,
              "url": env.get("THUOCDO_DATABASE_URL", "").strip()}
    setup = json.loads(saved.read_text()) if saved.exists() else None
    if setup is not None and setup["wanted"] != wanted:
        raise SystemExit(f"{workdir} holds another setup ({setup['wanted']}); use another "
                         "--workdir or delete it")
    if setup is None:
        engine, database = prepare_database(env, workdir)
        setup = {"wanted": wanted, "engine": engine, "database": database,
                 "url": env["THUOCDO_DATABASE_URL"],
                 "machine": machine(env, engine), "migrate_s": migrate(env)}
        for name in setup_phases:
            print(f"{name}...", flush=True)
            setup[name] = run_phase(name, args, env)
        saved.write_text(json.dumps(setup, ensure_ascii=False, indent=1))
    else:
        env["THUOCDO_DATABASE_URL"] = setup["url"]
        migrate(env)  # the code may have gained migrations since the setup
    print(f"database: {setup['database']} (kept in {workdir})", flush=True)
    result = {key: setup[key] for key in ("database", "machine", "migrate_s", "generate",
                                          "import")}
    result |= {"when": time.strftime("%Y-%m-%d"), "load": os.getloadavg()[0]}
    for name in measured_phases:
        print(f"{name}...", flush=True)
        result[name] = run_phase(name, args, env)
        print(f"  {json.dumps(result[name], ensure_ascii=False)}", flush=True)
    return setup["engine"], result


def fingerprint(texts) -> str:
    """A short digest of a sequence of texts (each result, in order): two runs that must
    agree are compared by it (`same_results`)."""
    import hashlib

    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def same_results(with_workers: dict, alone: dict) -> None:
    """Stop the benchmark when the run with workers and the run in one process disagree."""
    if with_workers["digest"] != alone["digest"]:
        raise SystemExit(f"the workers and the single process disagree: "
                         f"{with_workers['digest']} != {alone['digest']}")


def floor_rows(read: tuple[str, float], store: tuple[str, float], reference_s: float, *,
               time: Callable[[float], str], digits: int = 1) -> str:
    """The two rows of the floor of a results table (what is read alone, what is stored
    alone: what it is and its seconds, each), with their ratio to the reference."""
    rows = []
    for (label, seconds), what in ((read, "reading"), (store, "storing")):
        ratio = f"{seconds / reference_s:.{digits}f}×" if reference_s else "—"
        rows.append(f"| the floor: {what} {label} ({ratio} the reference) "
                    f"| {time(seconds)} | |\n")
    return "".join(rows)


def workers_cells(workers: int, own_mb: float, worker_mb: float) -> tuple[str, str]:
    """For a results table: how many processes computed, and their peak memory (the
    parent's, plus the largest worker's for each worker)."""
    if workers > 1:
        return (f"{workers} worker processes",
                f"{own_mb:.0f} MiB + {workers} × {worker_mb:.0f} MiB")
    return "one process", f"{own_mb:.0f} MiB"
