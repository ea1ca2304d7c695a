"""Read and write exchange documents as .json or .xlsx files.

The workbook has one sheet per top-level key, named like the key. The first row holds the
field names, then one row per record, so row n + 2 of sheet `units` is `units[n]` in
problem paths. Cells: an empty cell means the field is absent (a stored record keeps its
value); the text `null` means JSON null; list- or object-valued fields hold JSON text.
The `format` sheet has one column `format` with the version in its second row; the
`calendar` sheet has the columns `day` and `kind` (`holiday` or `workday`). Sheets `tasks`
and `events` are record sheets like the others (`coordinating_units` and `steps` as JSON
text); a date-and-time cell in a time field is read as Vietnam time (+07:00).

Reading never judges the content: cells are turned into JSON values as faithfully as
possible and the validator reports what is wrong, with paths.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from thuocdo.core import xlsx

from .problems import ImportRejected, Problem, unreadable
from .spec import FIELDS, KEYS, Field
from .validation import show

SUFFIXES = (".json", ".xlsx")
NULL_TEXT = "null"
VIETNAM_OFFSET = dt.timezone(dt.timedelta(hours=7))


def read_path(path: str | Path) -> dict[str, Any]:
    """The document in a .json or .xlsx file. Raises ImportRejected (path `$`) if the file
    cannot be read at all."""
    return read_document(path)[0]


def read_document(path: str | Path) -> tuple[dict[str, Any], Sheets | None]:
    """The document in a .json or .xlsx file, and for a workbook where each key's records
    are (to name problems by sheet, row and column: `Sheets.present`). Raises
    ImportRejected (path `$`) if the file cannot be read at all, with the reason in the
    reader's language and the line and column where the JSON parser gives them."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRejected([unreadable(str(path), _("expected a .json or .xlsx file"))])
    try:
        if suffix == ".json":
            return _read_json(path), None
        return _read_workbook(path)
    except IsADirectoryError as error:
        raise ImportRejected([unreadable(str(path), _("it is a folder, not a file"))]) \
            from error
    except FileNotFoundError as error:
        raise ImportRejected([unreadable(str(path), _("there is no such file"))]) from error
    except PermissionError as error:
        raise ImportRejected([unreadable(str(path), _("permission denied"))]) from error
    except OSError as error:
        raise ImportRejected([unreadable(
            str(path), _("the system refused to open it (error %(errno)s)")
            % {"errno": error.errno})]) from error
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise ImportRejected([unreadable(
            str(path), _("not an Excel workbook (.xlsx), or a damaged one"))]) from error


#: The JSON parser's messages (json.JSONDecodeError.msg), said in the reader's language.
_JSON_ERRORS = {
    "Expecting property name enclosed in double quotes":
        lambda: _("expected a field name in double quotes (a comma before a closing brace?)"),
    "Expecting value": lambda: _("expected a value"),
    "Expecting ',' delimiter": lambda: _("expected a comma"),
    "Expecting ':' delimiter": lambda: _("expected a colon"),
    "Extra data": lambda: _("more text after the end of the document"),
    "Unterminated string starting at": lambda: _("a text without its closing double quote"),
    "Invalid control character at": lambda: _("a line break or control character in a text"),
    "Invalid \\escape": lambda: _("a backslash that starts no valid escape"),
}


def read_bytes(data: bytes, name: str) -> tuple[dict[str, Any], Sheets | None]:
    """`read_document` for a file that is not on disk (an upload): its bytes, and the name
    it came with, whose suffix says how to read it and which problems name."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRejected([unreadable(name, _("expected a .json or .xlsx file"))])
    if suffix == ".json":
        return _parse_json(data, name), None
    try:
        return _read_workbook(io.BytesIO(data))
    # An upload may be anything: a damaged part of the package (XML that does not parse is
    # a SyntaxError) is said the same way as a file that is no workbook at all.
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            SyntaxError) as error:
        raise ImportRejected([unreadable(
            name, _("not an Excel workbook (.xlsx), or a damaged one"))]) from error


def _read_json(path: Path) -> Any:
    return _parse_json(path.read_bytes(), str(path))


def _parse_json(raw: bytes, name: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ImportRejected([unreadable(
            name, _("not UTF-8 text (line %(line)d): save the file as UTF-8")
            % {"line": line})]) from error
    if not text.strip():
        raise ImportRejected([unreadable(name, _("the file is empty"))])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        said = _JSON_ERRORS.get(error.msg)
        raise ImportRejected([unreadable(
            name, _("not valid JSON, line %(line)d, column %(column)d: %(error)s")
            % {"line": error.lineno, "column": error.colno,
               "error": said() if said else _("a syntax error")},
        )]) from error


def write_path(document: dict[str, Any], path: str | Path) -> None:
    """Write `document` to a .json or .xlsx file (by the suffix of `path`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(dumps(document), encoding="utf-8")
    elif suffix == ".xlsx":
        write_workbook(document, path)
    else:
        raise ValueError(_("expected a .json or .xlsx file name, not %(path)s")
                         % {"path": str(path)})


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON text: UTF-8 as is (Vietnamese stays readable), indented."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# -- xlsx: reading ---------------------------------------------------------------------


def read_workbook(path: Path) -> dict[str, Any]:
    return _read_workbook(path)[0]


def _read_workbook(path: Path | IO[bytes]) -> tuple[dict[str, Any], Sheets]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheets = Sheets()
    try:
        document: dict[str, Any] = {}
        for sheet in workbook.worksheets:
            rows = _trim(list(sheet.iter_rows(values_only=True)))
            if not rows:
                continue
            header = [_header(value) for value in rows[0]]
            data = rows[1:]
            name = sheet.title
            sheets.titles[name] = name
            sheets.columns[name] = {}
            for n, column in enumerate(header, start=1):
                if column is not None:
                    sheets.columns[name].setdefault(column, n)
            if name == "format":
                value = next((row[0] for row in data if row and row[0] is not None), None)
                document["format"] = _text(value)
            elif name == "calendar":
                document["calendar"] = _read_calendar(header, data, sheets.calendar_rows)
            else:
                document[name] = [_read_record(FIELDS.get(name, {}), header, row)
                                  for row in data]
        return document, sheets
    finally:
        workbook.close()


def _trim(rows: list[tuple]) -> list[tuple]:
    """Drop empty rows at the end (formatting leaves them behind)."""
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    return rows


def _header(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _read_calendar(header: list[str | None], rows: list[tuple],
                   row_numbers: dict[str, list[int]]) -> dict[str, Any]:
    columns = {name: n for n, name in enumerate(header) if name}
    calendar: dict[str, Any] = {}
    for number, row in enumerate(rows, start=2):
        cells = dict(zip(header, row, strict=False))
        day = cells.get("day") if "day" in columns else None
        kind = _text(cells.get("kind")) if "kind" in columns else None
        if day is None and kind is None:
            calendar.setdefault("holidays", []).append(None)
            row_numbers.setdefault("holidays", []).append(number)
            continue
        name = "(no kind)" if kind is None else {
            "holiday": "holidays", "workday": "workdays"}.get(str(kind).lower(), str(kind))
        calendar.setdefault(name, []).append(_date_text(day))
        row_numbers.setdefault(name, []).append(number)
    return calendar


def _read_record(fields: dict[str, Field], header: list[str | None], row: tuple) -> dict:
    record: dict[str, Any] = {}
    for n, value in enumerate(row):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        name = header[n] if n < len(header) else None
        if name is None:
            name = f"(column {get_column_letter(n + 1)})"
        record[name] = _cell_value(fields.get(name), value)
    return record


def _cell_value(f: Field | None, value: Any) -> Any:
    """A cell as the JSON value it stands for, given the field it is in (if known)."""
    if isinstance(value, str) and value.strip() == NULL_TEXT:
        return None
    kind = f.type if f is not None else None
    if kind == "datetime" and isinstance(value, dt.datetime) and value.tzinfo is None:
        # Excel cells carry no zone: a date-and-time typed in a workbook is Vietnam time.
        return value.replace(tzinfo=VIETNAM_OFFSET).isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return _date_text(value)
    if kind in {"code", "ref", "text", "string", "email", "enum"}:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value
    if kind in {"number", "integer"} and isinstance(value, str):
        try:
            return json.loads(value.strip())
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    if kind in {None, "list"} and isinstance(value, str) and value.lstrip()[:1] in {"[", "{"}:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _date_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _text(value)


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    return value


# -- xlsx: writing ---------------------------------------------------------------------


def write_workbook(document: dict[str, Any], path: Path | IO[bytes]) -> None:
    """The document as a workbook, saved to `path` (a file name, or a binary file object
    such as a web response's buffer)."""
    workbook = Workbook(write_only=True)
    order = {key: n for n, key in enumerate(KEYS)}
    for key in sorted(document, key=lambda k: (order.get(k, len(order)), k)):
        value = document[key]
        sheet = workbook.create_sheet(title=str(key)[:31])
        if key == "format":
            sheet.append(["format"])
            sheet.append([value])
        elif key == "calendar" and isinstance(value, dict):
            sheet.append(["day", "kind"])
            for name, kind in (("holidays", "holiday"), ("workdays", "workday")):
                for day in value.get(name, []):
                    sheet.append([day, kind])
        elif isinstance(value, list):
            header = _columns(key, value)
            sheet.append(header)
            for record in value:
                sheet.append([_cell(sheet, record.get(name, _ABSENT))
                              for name in header] if isinstance(record, dict) else [])
    workbook.save(path)


_ABSENT = object()


def _columns(key: str, records: Iterable[Any]) -> list[str]:
    """The fields of the format in their order, then any other field in order of use."""
    used: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            used.update(dict.fromkeys(record))
    known = [name for name in FIELDS.get(key, {}) if name in used]
    return known + [name for name in used if name not in known]


def _cell(sheet: Any, value: Any) -> Any:
    if value is _ABSENT:
        return None
    if value is None:
        return NULL_TEXT
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return xlsx.text(sheet, value)  # text, never a formula


# -- xlsx: naming problems by sheet, row and column -------------------------------------


_RECORD_PATH = re.compile(r"^([^.\[]+)\[(\d+)\](?:\.([^.\[]+))?(.*)$")
_MENTION = re.compile(r"\b(" + "|".join(re.escape(k) for k in KEYS) + r")\[(\d+)\]")


@dataclass
class Sheets:
    """Where the keys of a document read from a workbook are: the sheet of each key, the
    column of each field (1-based, by the header row), the row of each calendar day.
    Record n of a sheet is on row n + 2."""

    titles: dict[str, str] = dataclass_field(default_factory=dict)
    columns: dict[str, dict[str, int]] = dataclass_field(default_factory=dict)
    calendar_rows: dict[str, list[int]] = dataclass_field(default_factory=dict)

    def present(self, problems: Iterable[Problem]) -> list[Problem]:
        """The problems as a person finds them in the workbook: each with its sheet, row
        and column; a wrong or missing column once, on the header row, not once per row;
        a sheet the format does not have named as a sheet, with the names it may have."""
        shown: list[Problem] = []
        headers: dict[tuple[str, str, str], list[int]] = {}
        for problem in self.unknown_sheets(problems):
            if problem.where:
                shown.append(problem)
                continue
            match = _RECORD_PATH.match(problem.path)
            if match and problem.code in {"unknown_field", "required"}:
                key, index, name, rest = match.groups()
                columns = self.columns.get(key)
                header_problem = columns is not None and name is not None and not rest and (
                    (problem.code == "unknown_field" and name in columns)
                    or (problem.code == "required" and name not in columns))
                if header_problem:
                    group = (key, name, problem.code)  # type: ignore[assignment]
                    if group not in headers:
                        headers[group] = []
                        shown.append(Problem(f"{key}.{name}", problem.code, "", ""))
                    headers[group].append(int(index))
                    continue
            shown.append(dataclasses.replace(problem, where=self.where(problem.path),
                                             message=self.mentions(problem.message)))
        return [self.header_problem(p, headers) if not p.message else p for p in shown]

    def header_problem(self, placeholder: Problem,
                       headers: dict[tuple[str, str, str], list[int]]) -> Problem:
        key, name = placeholder.path.split(".", 1)
        rows = headers[(key, name, placeholder.code)]
        sheet = show(self.titles.get(key, key))
        if placeholder.code == "unknown_field":
            column = self.columns[key][name]
            return Problem(placeholder.path, "unknown_field", _(
                "unknown column %(name)s: not a field of this sheet (its fields: %(fields)s)"
            ) % {"name": show(name), "fields": ", ".join(FIELDS.get(key, {}))},
                where=_("sheet %(sheet)s, row 1, column %(letter)s")
                % {"sheet": sheet, "letter": get_column_letter(column)})
        return Problem(placeholder.path, "required", ngettext(
            "no column %(name)s: the field is required (%(count)d row needs it)",
            "no column %(name)s: the field is required (%(count)d rows need it)",
            len(rows),
        ) % {"name": show(name), "count": len(rows)},
            where=_("sheet %(sheet)s, row 1") % {"sheet": sheet})

    def where(self, path: str) -> str:
        """`tasks[1].due` as `sheet "tasks", row 3, column C "due"`."""
        if path == "$":
            return ""
        match = _RECORD_PATH.match(path)
        if match:
            key, index, name, rest = match.groups()
            if key == "calendar" or key not in self.titles:
                return self.calendar_where(path) if key == "calendar" else ""
            return self.cell(key, int(index) + 2, name, rest)
        key, _dot, name = path.partition(".")
        if key == "format" and key in self.titles:
            return self.cell("format", 2, "format", "")
        if key == "calendar":
            return self.calendar_where(path)
        if key in self.titles:
            return _("sheet %(sheet)s") % {"sheet": show(self.titles[key])}
        return ""

    def cell(self, key: str, row: int, name: str | None, rest: str) -> str:
        sheet = show(self.titles[key])
        if name is None:
            return _("sheet %(sheet)s, row %(row)d") % {"sheet": sheet, "row": row}
        column = self.columns.get(key, {}).get(name)
        where = _("sheet %(sheet)s, row %(row)d, column %(name)s") % {
            "sheet": sheet, "row": row,
            "name": f"{get_column_letter(column)} {show(name)}" if column else show(name)}
        return f"{where} ({rest.lstrip('.')})" if rest else where

    def calendar_where(self, path: str) -> str:
        match = re.match(r"^calendar\.(\w+|\(no kind\))\[(\d+)\]$", path)
        if "calendar" not in self.titles or not match:
            return ""
        rows = self.calendar_rows.get(match.group(1), [])
        index = int(match.group(2))
        if index >= len(rows):
            return ""
        return _("sheet %(sheet)s, row %(row)d") % {"sheet": show(self.titles["calendar"]),
                                                     "row": rows[index]}

    def mentions(self, message: str) -> str:
        """`units[1]` inside a message (the first of a duplicate code, ...) as its row."""
        def row(match: re.Match) -> str:
            key, index = match.group(1), int(match.group(2))
            if key not in self.titles:
                return match.group(0)
            return _("sheet %(sheet)s, row %(row)d") % {"sheet": show(self.titles[key]),
                                                         "row": index + 2}
        return _MENTION.sub(row, message)

    def unknown_sheets(self, problems: Iterable[Problem]) -> list[Problem]:
        """An unknown top-level key read from a workbook is a sheet the format does not
        have: say so, with the names it may have."""
        expected = ", ".join(KEYS)
        return [
            Problem(p.path, p.code, _("unknown sheet %(name)s; the sheets of the format are: "
                                      "%(names)s") % {"name": show(p.path), "names": expected},
                    where=_("sheet %(sheet)s") % {"sheet": show(p.path)})
            if p.code == "unknown_key" and p.path in self.titles else p
            for p in problems
        ]
