"""`thuocdo export [--output FILE]`: write the organisation as an exchange document.

`--output` ending in .json or .xlsx writes that file; without it the JSON goes to stdout.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import SUFFIXES, dumps, write_path
from thuocdo.exchange.management.plain import PlainErrorsCommand


class Command(PlainErrorsCommand):
    help = "Export the organisation as an exchange document (JSON on stdout, or --output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", metavar="FILE",
                            help="write to FILE (.json or .xlsx) instead of stdout")

    def handle(self, *args, **options) -> None:
        output = options.get("output")
        if output and Path(output).suffix.lower() not in SUFFIXES:
            raise CommandError(_("--output: expected a .json or .xlsx file name, not %(path)s")
                               % {"path": output})
        document = export_document()
        if not output:
            self.stdout.write(dumps(document), ending="")
            return
        write_path(document, output)
        counts = ", ".join(f"{key}: {len(value)}" for key, value in document.items()
                           if isinstance(value, list))
        self.stdout.write(_("Wrote %(path)s (%(counts)s).") % {"path": output,
                                                              "counts": counts})
