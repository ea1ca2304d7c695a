"""`thuocdo import FILE [--dry-run]`: load an exchange document (.json or .xlsx).

The whole document is checked first. If anything is wrong, every problem is printed to
stderr, one per line with its place (`units[5].parent: unknown unit "HN.NOPE"`; in a
workbook its sheet, row and column), then what could not be checked yet and a summary;
nothing is written and the exit status is 1. Otherwise it is written in one transaction and
the counts are printed, with a warning for each official's membership history it rewrites.
`--dry-run` checks and counts without writing, and lists which records would be created and
how the updated ones would change.
"""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from thuocdo.core.commands import ThuocdoCommand, day_argument
from thuocdo.exchange.files import read_document
from thuocdo.exchange.services import document_import


class Command(ThuocdoCommand):
    help = ("Import an exchange document (.json or .xlsx): check all of it, then write all "
            "of it or nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the document: a .json or .xlsx file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check and count, write nothing; list what would change")
        parser.add_argument("--on", metavar="YYYY-MM-DD",
                            help="the day changes take effect (default: today)")

    def handle(self, *args, **options) -> None:
        # `--on`: a day of a year the product takes, as the page's field
        on = day_argument(options["on"], argument="--on") if options.get("on") else None
        path = options["file"]
        run = document_import(read=lambda: read_document(path), on=on,
                              dry_run=options["dry_run"], source=str(path))
        if run.report is None:
            for line in [*(str(p) for p in run.problems), *run.notes]:
                self.stderr.write(line)
            raise CommandError(run.summary(), returncode=1)
        report = run.report
        for line in report.lines():
            self.stdout.write(line)
        if report.dry_run:
            for line in report.details():
                self.stdout.write(line)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was written / chạy thử, không ghi gì."))
        elif report.changed:
            self.stdout.write(self.style.SUCCESS(_("Imported / đã nhập.")))
        else:
            self.stdout.write(_("Nothing to change / không có gì thay đổi."))
