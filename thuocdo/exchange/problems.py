"""What is wrong with a document: problems with a path, a stable code and a message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: The path of the document (or file) as a whole.
WHOLE = "$"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document.

    `path` points into the document in a language-independent form (`units[5].parent`,
    `calendar.holidays[0]`, `tasks`, `$` for the document itself); `code` is stable (tests,
    API clients); `message` is translated. `where` is how a person finds the place, when it
    differs from the path (a workbook's sheet, row and column; see `files.Sheets`).
    `str(problem)` is the line the CLI prints: `units[5].parent: unknown unit "HN.NOPE"`;
    the document as a whole is called "the file".
    """

    path: str
    code: str
    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.place()}: {self.message}"

    def place(self) -> str:
        if self.where:
            return self.where
        return _("the file") if self.path == WHOLE else self.path

    def as_dict(self) -> dict[str, str]:
        found = {"path": self.path, "code": self.code, "message": self.message}
        if self.where:
            found["where"] = self.where
        return found


class ImportRejected(Exception):
    """The document was refused; nothing was written. `problems` lists every reason;
    `notes` say which checks could not run because they need the problems fixed first."""

    def __init__(self, problems: Iterable[Problem], notes: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        self.notes = list(notes)
        super().__init__(summary(len(self.problems)))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + self.notes

    def __str__(self) -> str:
        return "\n".join([*self.lines(), summary(len(self.problems))])


def summary(count: int, *, bilingual: bool = True) -> str:
    """The closing line of a refused import: in both languages as the CLI has always said
    (read by scripts and by people of either language), or, for a page, in its language."""
    if not bilingual:
        return ngettext("%(count)d problem, nothing was imported",
                        "%(count)d problems, nothing was imported", count) % {"count": count}
    return ngettext(
        "%(count)d problem, nothing was imported / không có gì được nhập",
        "%(count)d problems, nothing was imported / không có gì được nhập",
        count,
    ) % {"count": count}


def unreadable(path: str, reason: str) -> Problem:
    return Problem(WHOLE, "unreadable", _("cannot read %(path)s: %(reason)s")
                   % {"path": path, "reason": reason})


def day(value: dt.date) -> str:
    """A date the way the interface writes it (dd/mm/yyyy), for messages."""
    return date_format(value, "SHORT_DATE_FORMAT")
