"""What is wrong with a document: problems with a path, a stable code and a message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document.

    `path` points into the document in a language-independent form (`units[5].parent`,
    `calendar.holidays[0]`, `tasks`, `$` for the document itself); `code` is stable (tests,
    API clients); `message` is translated. `str(problem)` is the line the CLI prints:
    `units[5].parent: unknown unit "HN.NOPE"`.
    """

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class ImportRejected(Exception):
    """The document was refused; nothing was written. `problems` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(summary(len(self.problems)))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def __str__(self) -> str:
        return "\n".join([*self.lines(), summary(len(self.problems))])


def summary(count: int) -> str:
    """The closing line of a refused import, in both languages as the CLI has always said."""
    return ngettext(
        "%(count)d problem, nothing was imported / không có gì được nhập",
        "%(count)d problems, nothing was imported / không có gì được nhập",
        count,
    ) % {"count": count}


def unreadable(path: str, reason: str) -> Problem:
    return Problem("$", "unreadable", _("cannot read %(path)s: %(reason)s")
                   % {"path": path, "reason": reason})
