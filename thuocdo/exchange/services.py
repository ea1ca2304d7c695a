"""Import an exchange document from wherever it comes: the one path of `thuocdo import`
and of the import page.

    run = document_import(read=lambda: read_document("city.xlsx"), actor=user, dry_run=True)
    if run.rejected:
        run.problems   # every problem, named by sheet, row and column for a workbook
    else:
        run.report     # ImportReport: counts, the dry run's details, warnings

Reading and checking share one outcome, so a file that cannot be read at all and a document
with problems are told the same way; the import itself is `importer.import_document`
(all or nothing, one audit entry when it changes something).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .files import Sheets
from .importer import ImportReport, import_document
from .problems import ImportRejected, Problem, summary

#: Reads the document: returns it, and for a workbook where its keys are (see files.Sheets);
#: raises ImportRejected when the file cannot be read.
Reader = Callable[[], tuple[Any, Sheets | None]]


@dataclass
class ImportRun:
    """What one import or dry run gave: its report, or, when the document was refused
    (nothing written), every problem in the order of the document and the notes on what
    could not be checked yet."""

    report: ImportReport | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.report is None

    def summary(self) -> str:
        """The closing line of a refused import ("3 problems, nothing was imported / …")."""
        return summary(len(self.problems))

    def page_summary(self) -> str:
        """The same, in the page's language only."""
        return summary(len(self.problems), bilingual=False)


def document_import(
    *,
    read: Reader,
    actor: Any = None,
    on: dt.date | None = None,
    dry_run: bool = False,
    source: str = "",
) -> ImportRun:
    """Read a document with `read`, then import it (`importer.import_document`: checked
    whole, written all or nothing, or with `dry_run` checked and counted and rolled back).

    `actor` is who imports (None from the command line), recorded in the audit entry with
    `source`, the file's name. A refusal is returned, not raised: the problems of a workbook
    name its sheet, row and column, and the messages that mention another record name its
    row.
    """
    sheets: Sheets | None = None
    try:
        document, sheets = read()
        report = import_document(document, actor=actor, on=on, dry_run=dry_run, source=source)
    except ImportRejected as rejected:
        problems, notes = rejected.problems, rejected.notes
        if sheets is not None:
            problems = sheets.present(problems)
            notes = [sheets.mentions(note) for note in notes]
        return ImportRun(problems=list(problems), notes=list(notes))
    return ImportRun(report=report)
