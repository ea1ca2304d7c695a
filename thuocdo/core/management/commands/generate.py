"""`thuocdo generate --officials N [--seed S] [--months M [--start YYYY-MM]] --output FILE`.

Writes a realistic city in the exchange format (docs/exchange-format.md), ready for
`thuocdo import FILE`: see thuocdo.exchange.generate for what it contains. With `--months`,
it also holds M months of task history from `--start` (default 2026-08, a constant so the
same command always writes the same file): about ten tasks per official per month with their
events (thuocdo.exchange.generate_history). A JSON history is streamed to the file, so a
month of a 100,000-official city (about a million tasks) never sits in memory. A history
that would write a day after 2999, the last year an import takes, is refused up front
(`check_history_years`: its last month's work runs late into the months after it).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from thuocdo.core.commands import (
    ThuocdoCommand,
    bad_argument,
    count_argument,
    month_argument,
    output_argument,
)
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR
from thuocdo.exchange.generate import Shape, generate_city, write_city
from thuocdo.exchange.generate_history import (
    DEFAULT_START,
    EARLIEST_START,
    SPILL_WORKDAYS,
    Days,
    month_add,
)

#: where the exchange package's file writer may live: (module, function)
_WRITERS = (
    ("thuocdo.exchange.files", "write_path"),
    ("thuocdo.exchange.xlsx", "write_path"),
    ("thuocdo.exchange.readers", "write_path"),
)


def file_writer() -> Callable[[dict, Path], object] | None:
    """The exchange package's `write_path(document, path)` (json and xlsx), if it exists."""
    for module_name, function in _WRITERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        writer = getattr(module, function, None)
        if writer is not None:
            return writer
    return None


def write_document(document: dict, output: str) -> None:
    """Write `document` to `output` ("-": standard output) as .json or .xlsx."""
    if output == "-":
        json.dump(document, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    path = Path(output)
    suffix = path.suffix.lower()
    output_argument(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = file_writer()
    if writer is not None:
        writer(document, path)
    elif suffix == ".xlsx":
        raise CommandError("xlsx output needs the exchange file writer, which is not "
                           "installed; write .json instead")
    else:
        with path.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
            handle.write("\n")


def stream_document(output: str, **kwargs) -> dict[str, int]:
    """Write a city with history to the .json file `output` as it is generated."""
    path = Path(output)
    if path.suffix.lower() != ".json":  # pragma: no cover - the caller checks
        raise CommandError(f"{output}: streaming writes .json only")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        return write_city(handle, **kwargs)


def latest_last_month() -> tuple[int, int]:
    """The latest month a history may end with and still write nothing after `LAST_YEAR`
    (its work runs late into the months after it: `Days.last`)."""
    month = (LAST_YEAR, 12)
    while Days.last(month, 1).year > LAST_YEAR:
        month = month_add(month, -1)
    return month


def check_history_years(start: tuple[int, int], months: int) -> None:
    """Refuse (on `--months`) a history of `months` months from `start` that would write a
    day after `LAST_YEAR`, which no import takes (`core.periods`)."""
    end = month_add(start, months - 1)
    if end <= (LAST_YEAR, 12) and Days.last(start, months).year <= LAST_YEAR:
        return
    latest = latest_last_month()
    raise bad_argument("--months", _(
        "a history from %(start)s would end in %(end)s, but its last month may be %(latest)s "
        "at the latest: its work runs up to %(spill)d working days later, and an import takes "
        "years from %(first)d to %(last)d") % {
        "start": f"{start[0]}-{start[1]:02d}", "end": f"{end[0]}-{end[1]:02d}",
        "latest": f"{latest[0]}-{latest[1]:02d}", "spill": SPILL_WORKDAYS,
        "first": FIRST_YEAR, "last": LAST_YEAR})


class Command(ThuocdoCommand):
    help = ("Write a realistic city (units, task groups, officials, products, directives, "
            "and with --months a task history) in the exchange format, for demos, tests and "
            "benchmarks.")
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("--officials", type=int, required=True, metavar="N",
                            help="How many officials (the structure grows with N).")
        parser.add_argument("--seed", type=int, default=0,
                            help="Random seed: the same seed gives the same city (default 0).")
        parser.add_argument("--output", "-o", required=True, metavar="FILE",
                            help="File to write: .json or .xlsx; - for standard output.")
        parser.add_argument("--months", type=int, default=0, metavar="M",
                            help="Months of task history to add (default 0: none).")
        parser.add_argument("--start", default=f"{DEFAULT_START[0]}-{DEFAULT_START[1]:02d}",
                            metavar="YYYY-MM",
                            help="First month of the history (default: %(default)s).")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        # Every argument is checked before anything is generated or written.
        count_argument(options["officials"], argument="--officials",
                       minimum=Shape.smallest().units)
        months = count_argument(options["months"], argument="--months")
        output = output_argument(options["output"], stdout=True)
        label = month_argument(options["start"], argument="--start")
        start = (int(label[:4]), int(label[5:]))
        if start < EARLIEST_START:
            raise bad_argument("--start", _("a history starts in %(first)s or later: "
                                            "%(value)s")
                               % {"first": f"{EARLIEST_START[0]}-{EARLIEST_START[1]:02d}",
                                  "value": label})
        if months:
            check_history_years(start, months)
        try:
            if months and output != "-" and Path(output).suffix.lower() == ".json":
                counts = stream_document(output, officials=options["officials"],
                                         seed=options["seed"], months=months, start=start)
                generated = None
            else:
                document = generate_city(officials=options["officials"], seed=options["seed"],
                                         months=months, start=start)
                counts = {key: len(value) for key, value in document.items()
                          if isinstance(value, list)}
                generated = time.perf_counter() - started
                write_document(document, output)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = time.perf_counter() - started
        keys = ("units", "task_groups", "officials", "products", "directives", "tasks",
                "events")
        counts_text = ", ".join(f"{counts[key]} {key.replace('_', ' ')}" for key in keys
                                if key in counts)
        if months:
            counts_text += (f" ({months} month{'s' if months > 1 else ''} from "
                            f"{start[0]}-{start[1]:02d})")
        timing = (f"generated in {generated:.2f}s, {total:.2f}s in all" if generated is not None
                  else f"generated and written in {total:.2f}s")
        where = "standard output" if output == "-" else output
        # The summary goes to stderr when the document itself goes to stdout.
        report = self.stderr if options["output"] == "-" else self.stdout
        report.write(f"wrote {where}: {counts_text} (seed {options['seed']}; {timing})")
