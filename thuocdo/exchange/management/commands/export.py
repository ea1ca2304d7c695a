"""`thuocdo export [--unit CODE [--period YYYY-MM]] [--output FILE]`: write the organisation,
or one unit's part of it, as an exchange document.

Without `--unit`, the whole installation. With it, the unit, the units below it and the
tasks they lead (every event of each), with the records outside the unit that importing
them needs (docs/exchange-format.md, "Scoped export"); `--period` keeps the tasks open
during the month or due in it. `--output` ending in .json or .xlsx writes that file;
without it the JSON goes to stdout. The command line has the server's rights: any unit.
"""

from __future__ import annotations

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from thuocdo.core.commands import (
    ThuocdoCommand,
    month_argument,
    output_argument,
    refusal,
    unit_argument,
)
from thuocdo.core.errors import ServiceError
from thuocdo.core.scope import Scope
from thuocdo.exchange.files import SUFFIXES, dumps, write_path
from thuocdo.exchange.selectors import exchange_document

#: Whoever runs a command on the server may read everything, as an administrator.
SERVER = Scope(is_admin=True, roles=frozenset({"admin"}))


class Command(ThuocdoCommand):
    help = ("Export the organisation, or one unit's part of it (--unit, --period), as an "
            "exchange document (JSON on stdout, or --output).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", metavar="CODE",
                            help="only this unit and the units below it: their officials "
                                 "and the tasks they lead, with what importing them needs")
        parser.add_argument("--period", metavar="YYYY-MM",
                            help="with --unit: only the tasks open during this month or "
                                 "due in it")
        parser.add_argument("--output", "-o", metavar="FILE",
                            help="write to FILE (.json or .xlsx) instead of stdout")

    def handle(self, *args, **options) -> None:
        output = options.get("output")
        if output:
            output_argument(output, suffixes=SUFFIXES)
        if options.get("unit"):
            unit_argument(options["unit"])
        if options.get("period"):
            month_argument(options["period"])
        try:
            document = exchange_document(scope=SERVER, unit=options.get("unit"),
                                         period=options.get("period"))
        except ServiceError as error:
            raise refusal(error, arguments={"unit": "--unit", "period": "--period"}) \
                from error
        if not output:
            self.stdout.write(dumps(document), ending="")
            return
        write_path(document, output)
        counts = ", ".join(f"{key}: {len(value)}" for key, value in document.items()
                           if isinstance(value, list))
        self.stdout.write(_("Wrote %(path)s (%(counts)s).") % {"path": output,
                                                              "counts": counts})
