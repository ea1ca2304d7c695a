"""Writing xlsx sheets the same way everywhere: a bold header with column widths, text that
stays text, real dates shown dd/mm/yyyy.

openpyxl stores a string beginning with "=" as a formula; a name or a title typed by a user
must never become one (spreadsheet injection), so every value written from user data goes
through `text()`. Works for write-only and ordinary worksheets alike.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE = "DD/MM/YYYY"
DATETIME = "DD/MM/YYYY HH:MM"


def response(book: Any, filename: str) -> HttpResponse:
    """`book` (an openpyxl workbook) as a download named `filename`: every export's answer."""
    buffer = io.BytesIO()
    book.save(buffer)
    answer = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer


def text(sheet: Any, value: Any) -> Any:
    """`value` as it should be appended: a string beginning with "=" as a text cell."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row of values with every string kept as text (see `text`)."""
    return [text(sheet, value) for value in values]


def date(sheet: Any, value: dt.date | dt.datetime | None, number_format: str = DATE) -> Any:
    """A date (or a local date and time) shown with `number_format`; None stays empty."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def date_cells(sheet: Any, formats: Sequence[str]):
    """`date(column, value)`: what `date` appends, without making and styling a new cell
    for every date of every row. A write-only sheet writes each row as it is appended, so
    each date column keeps one styled cell and refills it row after row."""
    zone = timezone.get_current_timezone()
    cells = []
    for number_format in formats:
        cell = WriteOnlyCell(sheet)
        cell.number_format = number_format
        cells.append(cell)

    def filled(column: int, value: dt.date | dt.datetime | None) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            value = value.astimezone(zone).replace(tzinfo=None)
        cell = cells[column]
        cell.value = value
        return cell

    return filled


def columns(sheet: Any, pairs: Sequence[tuple[Any, int]], *, freeze: bool = True) -> None:
    """`header` from (title, width) pairs, as the lists' exports declare their columns."""
    header(sheet, [title for title, _width in pairs], [width for _title, width in pairs],
           freeze=freeze)


def header(sheet: Any, titles: Sequence[Any], widths: Sequence[int] = (),
           *, freeze: bool = True) -> None:
    """Append a bold header row, set the column widths given, freeze the row below it."""
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    if freeze:
        sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
