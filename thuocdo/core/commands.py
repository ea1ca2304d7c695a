"""What the `thuocdo` commands share: reading their arguments and refusing bad ones the same
way.

Every command checks all of its arguments before it reads or writes anything, with the
readers below. A bad argument is refused with one message in the command line's language
(THUOCDO_LANGUAGE, which sets Django's LANGUAGE_CODE: commands run in it), naming the
argument first, as an import names a record's field: `--unit: unknown unit “NOPE”`,
`--period: the year must be from 1900 to 2999: 9999-01`. From the command line
(`ThuocdoCommand`) the message alone goes to stderr, without Django's "CommandError:", and
the exit status is 2, as for argparse's own refusals (a missing or non-numeric argument); a
service's refusal while the command runs (`refusal`) exits with 1. Called from code
(`call_command`), both raise `CommandError`.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ServiceError
from .periods import FIRST_YEAR, LABEL, LAST_YEAR, parse_period, year_in_range

if TYPE_CHECKING:
    from thuocdo.measure.scoring import Period
    from thuocdo.org.models import Unit

#: exit status of a command refused for a bad argument (argparse's own is 2 too)
BAD_ARGUMENT = 2
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ThuocdoCommand(BaseCommand):
    """A command that, run from the command line, prints a CommandError's message alone on
    stderr and exits with its return code; called from code (`call_command`) it raises as
    usual, and `--traceback` still shows the traceback."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            if not getattr(self, "_called_from_command_line", False) \
                    or options.get("traceback"):
                raise
            self.stderr.write(str(error))
            sys.exit(error.returncode)


def bad_argument(argument: str, problem: str) -> CommandError:
    """The refusal of `argument` (`--unit`, `FILE`), `problem` saying what is wrong with it."""
    return CommandError(_("%(argument)s: %(problem)s") % {"argument": argument,
                                                          "problem": problem},
                        returncode=BAD_ARGUMENT)


def refusal(error: ServiceError, *, arguments: Mapping[str, str] | None = None
            ) -> CommandError:
    """A service's refusal as the command's: its message, after the argument that gave the
    refused field when `arguments` maps the field to it (`{"unit": "--unit"}`)."""
    argument = (arguments or {}).get(error.field or "")
    if argument:
        return bad_argument(argument, error.service_message)
    return CommandError(error.service_message)


def unit_argument(code: str, *, argument: str = "--unit") -> Unit:
    """The unit coded `code`."""
    from thuocdo.org.models import Unit

    unit = Unit.objects.filter(code=code.strip()).first()
    if unit is None:
        raise bad_argument(argument, _("unknown unit “%(code)s”") % {"code": code})
    return unit


def _year_out_of_range(argument: str, value: str) -> CommandError:
    # the words of an import's problem with such a date (thuocdo.exchange.validation)
    return bad_argument(argument, _("the year must be from %(first)d to %(last)d: %(value)s")
                        % {"first": FIRST_YEAR, "last": LAST_YEAR, "value": value})


def month_argument(value: str, *, argument: str = "--period") -> str:
    """A month `YYYY-MM` of a year from `periods.FIRST_YEAR` to `LAST_YEAR`."""
    value = value.strip()
    if not _MONTH.fullmatch(value):
        raise bad_argument(argument, _("not a month (YYYY-MM, e.g. 2026-10): %(value)s")
                           % {"value": value})
    if not year_in_range(int(value[:4])):
        raise _year_out_of_range(argument, value)
    return value


def period_argument(value: str, *, argument: str = "--period") -> Period:
    """A period `YYYY-MM`, `YYYY-Qn` or `YYYY` of a year from `periods.FIRST_YEAR` to
    `LAST_YEAR`, as the engine's period."""
    value = value.strip()
    if not LABEL.fullmatch(value):
        raise bad_argument(argument, _("not a period (YYYY-MM, YYYY-Qn or YYYY, e.g. 2026-10, "
                                       "2026-Q4, 2026): %(value)s") % {"value": value})
    if not year_in_range(int(value[:4])):
        raise _year_out_of_range(argument, value)
    return parse_period(value)


def count_argument(value: int | None, *, argument: str, minimum: int = 0,
                   maximum: int | None = None) -> int | None:
    """A whole number from `minimum` (to `maximum`); None when the argument is not given."""
    if value is None:
        return None
    if maximum is not None and not minimum <= value <= maximum:
        raise bad_argument(argument, _("must be from %(minimum)s to %(maximum)s, not "
                                       "%(value)s") % {"minimum": minimum, "maximum": maximum,
                                                       "value": value})
    if value < minimum:
        raise bad_argument(argument, _("must be %(minimum)s or more, not %(value)s")
                           % {"minimum": minimum, "value": value})
    return value


def output_argument(value: str, *, argument: str = "--output", suffixes=(".json", ".xlsx"),
                    stdout: bool = False) -> str:
    """A file name ending in .json or .xlsx (or "-", standard output, when `stdout`)."""
    if (stdout and value == "-") or Path(value).suffix.lower() in suffixes:
        return value
    raise bad_argument(argument, _("expected a .json or .xlsx file name, not %(path)s")
                       % {"path": value})


def day_argument(value: str, *, argument: str) -> dt.date:
    """A day `YYYY-MM-DD` of a year from `periods.FIRST_YEAR` to `LAST_YEAR`."""
    value = value.strip()
    try:
        day = dt.date.fromisoformat(value) if _DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        # the words of an import's problem with such a date (thuocdo.exchange.validation)
        raise bad_argument(argument, _("not a date (YYYY-MM-DD): %(value)s")
                           % {"value": value})
    if not year_in_range(int(value[:4])):
        raise _year_out_of_range(argument, value)
    return day


def moment_argument(value: str, *, argument: str) -> dt.datetime:
    """A date and time in ISO 8601 (`2026-10-31T17:00+07:00`; without an offset, in the
    time zone of the settings), of a year from `periods.FIRST_YEAR` to `LAST_YEAR`."""
    value = value.strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise bad_argument(argument, _("not a date and time (ISO 8601, e.g. "
                                       "2026-10-31T17:00+07:00): %(value)s")
                           % {"value": value}) from None
    if not year_in_range(moment.year):
        raise _year_out_of_range(argument, value)
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    return moment
