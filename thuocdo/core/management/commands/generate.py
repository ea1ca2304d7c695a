"""`thuocdo generate --officials N [--seed S] --output FILE`: write a realistic city.

The document is in the exchange format (docs/exchange-format.md), ready for
`thuocdo import FILE`: see thuocdo.exchange.generate for what it contains.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from thuocdo.exchange.generate import generate_city

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
    if suffix not in {".json", ".xlsx"}:
        raise CommandError(f"{output}: the output must end in .json or .xlsx")
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


class Command(BaseCommand):
    help = ("Write a realistic city (units, task groups, officials, products, directives) "
            "in the exchange format, for demos, tests and benchmarks.")
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("--officials", type=int, required=True, metavar="N",
                            help="How many officials (the structure grows with N).")
        parser.add_argument("--seed", type=int, default=0,
                            help="Random seed: the same seed gives the same city (default 0).")
        parser.add_argument("--output", "-o", required=True, metavar="FILE",
                            help="File to write: .json or .xlsx; - for standard output.")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        try:
            document = generate_city(officials=options["officials"], seed=options["seed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        generated = time.perf_counter() - started
        write_document(document, options["output"])
        total = time.perf_counter() - started
        counts = ", ".join(f"{len(document[key])} {key.replace('_', ' ')}"
                           for key in ("units", "task_groups", "officials", "products",
                                       "directives"))
        where = "standard output" if options["output"] == "-" else options["output"]
        # The summary goes to stderr when the document itself goes to stdout.
        report = self.stderr if options["output"] == "-" else self.stdout
        report.write(f"wrote {where}: {counts} (seed {options['seed']}; generated in "
                     f"{generated:.2f}s, {total:.2f}s in all)")
