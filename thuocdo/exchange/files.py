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

import datetime as dt
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from thuocdo.core import xlsx

from .problems import ImportRejected, unreadable
from .spec import FIELDS, KEYS, Field

SUFFIXES = (".json", ".xlsx")
NULL_TEXT = "null"
VIETNAM_OFFSET = dt.timezone(dt.timedelta(hours=7))


def read_path(path: str | Path) -> dict[str, Any]:
    """The document in a .json or .xlsx file. Raises ImportRejected (path `$`) if the file
    cannot be read at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRejected([unreadable(str(path), _("expected a .json or .xlsx file"))])
    try:
        if suffix == ".json":
            with path.open(encoding="utf-8-sig") as handle:
                return json.load(handle)
        return read_workbook(path)
    except json.JSONDecodeError as error:
        raise ImportRejected([unreadable(
            str(path), _("not valid JSON (line %(line)d, column %(column)d): %(error)s")
            % {"line": error.lineno, "column": error.colno, "error": error.msg},
        )]) from error
    except UnicodeDecodeError as error:
        raise ImportRejected([unreadable(str(path), _("not UTF-8 text"))]) from error
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise ImportRejected([unreadable(str(path), str(error))]) from error


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
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        document: dict[str, Any] = {}
        for sheet in workbook.worksheets:
            rows = _trim(list(sheet.iter_rows(values_only=True)))
            if not rows:
                continue
            header = [_header(value) for value in rows[0]]
            data = rows[1:]
            name = sheet.title
            if name == "format":
                value = next((row[0] for row in data if row and row[0] is not None), None)
                document["format"] = _text(value)
            elif name == "calendar":
                document["calendar"] = _read_calendar(header, data)
            else:
                document[name] = [_read_record(FIELDS.get(name, {}), header, row)
                                  for row in data]
        return document
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


def _read_calendar(header: list[str | None], rows: list[tuple]) -> dict[str, Any]:
    columns = {name: n for n, name in enumerate(header) if name}
    calendar: dict[str, Any] = {}
    for row in rows:
        cells = dict(zip(header, row, strict=False))
        day = cells.get("day") if "day" in columns else None
        kind = _text(cells.get("kind")) if "kind" in columns else None
        if day is None and kind is None:
            calendar.setdefault("holidays", []).append(None)
            continue
        name = "(no kind)" if kind is None else {
            "holiday": "holidays", "workday": "workdays"}.get(str(kind).lower(), str(kind))
        calendar.setdefault(name, []).append(_date_text(day))
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


def write_workbook(document: dict[str, Any], path: Path) -> None:
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
