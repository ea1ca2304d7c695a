"""Commands whose refusals are printed as the message alone (no "CommandError:" prefix)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class PlainErrorsCommand(BaseCommand):
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
