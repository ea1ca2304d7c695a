"""Spreadsheet cells: user text never becomes a formula; dates are real dates."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from thuocdo.core import xlsx


def _roundtrip(write_only: bool):
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    xlsx.header(sheet, ["Tên", "Ngày"], [20, 12])
    sheet.append(xlsx.row(sheet, ["=HYPERLINK(\"http://x\")", None]))
    sheet.append([xlsx.text(sheet, "Báo cáo"), xlsx.date(sheet, dt.date(2026, 10, 15))])
    buffer = io.BytesIO()
    book.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue())).worksheets[-1]


def test_text_that_looks_like_a_formula_stays_text_in_both_kinds_of_sheet():
    for write_only in (True, False):
        sheet = _roundtrip(write_only)
        cell = sheet["A2"]
        assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
        assert sheet["A1"].font.bold and sheet["A1"].value == "Tên"
        assert sheet["B3"].value.date() == dt.date(2026, 10, 15)
        assert sheet["B3"].number_format == xlsx.DATE
