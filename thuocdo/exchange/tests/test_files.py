"""Reading and writing .json and .xlsx: the same data gives the same import."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from openpyxl import Workbook, load_workbook

from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import read_path, write_path
from thuocdo.exchange.importer import ImportRejected, import_document

from .conftest import ON

pytestmark = pytest.mark.django_db


def imported(document) -> dict:
    """What the database looks like (as an export) after importing `document` into it;
    rolled back afterwards."""
    with transaction.atomic():
        import_document(document, on=ON)
        exported = export_document()
        transaction.set_rollback(True)
    return exported


def test_json_and_xlsx_of_the_same_data_import_to_the_same_result(example, tmp_path):
    write_path(example, tmp_path / "city.json")
    write_path(example, tmp_path / "city.xlsx")
    from_json = read_path(tmp_path / "city.json")
    from_xlsx = read_path(tmp_path / "city.xlsx")
    assert from_json == example
    assert imported(from_json) == imported(from_xlsx) == imported(example)


def test_the_workbook_has_one_sheet_per_key_with_field_names_first(example, tmp_path):
    write_path(example, tmp_path / "city.xlsx")
    workbook = load_workbook(tmp_path / "city.xlsx")
    assert workbook.sheetnames == ["format", "calendar", "units", "task_groups", "officials",
                                   "products", "directives", "tasks", "events"]
    rows = list(workbook["units"].iter_rows(values_only=True))
    assert rows[0] == ("code", "name", "kind", "parent", "active")
    assert rows[1] == ("HN", "UBND Thành phố Hà Nội", "city", "null", None)
    assert list(workbook["calendar"].iter_rows(values_only=True)) == [
        ("day", "kind"), ("2026-09-01", "holiday"), ("2026-01-10", "workday")]
    assert list(workbook["format"].values) == [("format",), ("thuocdo-exchange/1",)]


def test_a_bad_cell_is_named_by_sheet_row_and_column(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "units"
    sheet.append(["code", "name", "kind", "parent"])
    sheet.append(["HN", "Hà Nội", "city", None])
    sheet.append(["HN.CG", "Cầu Giấy", "district", "HN.NOPE"])
    sheet.append(["HN.BD", "Ba Đình", 7, "HN"])
    dates = workbook.create_sheet("directives")
    dates.append(["code", "title", "issued_by", "issued_on"])
    dates.append(["24-CT/TU", "Chỉ thị", "HN", "7/8/2023"])
    workbook.save(tmp_path / "bad.xlsx")
    with pytest.raises(ImportRejected) as caught:
        import_document(read_path(tmp_path / "bad.xlsx"), on=ON)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["units[1].parent", "units[2].kind", "directives[0].issued_on"]


def test_excel_types_become_json_values(tmp_path):
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "officials"
    sheet.append(["code", "name", "unit", "position", "since", "active", "phone"])
    excel_day = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - Excel cells carry no time zone
    sheet.append([1001, "Nguyễn Văn An", "HN", "head", excel_day, "FALSE",
                  912345678])
    products = workbook.create_sheet("products")
    products.append(["code", "name", "coefficient", "extra"])
    products.append(["BC", "Báo cáo", "1.5", '["a", 1]'])
    workbook.save(tmp_path / "types.xlsx")
    document = read_path(tmp_path / "types.xlsx")
    assert document["officials"] == [{
        "code": "1001", "name": "Nguyễn Văn An", "unit": "HN", "position": "head",
        "since": "2024-01-01", "active": False, "phone": "912345678"}]
    assert document["products"] == [{"code": "BC", "name": "Báo cáo", "coefficient": 1.5,
                                      "extra": ["a", 1]}]


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    document = {"task_groups": [{"code": "EQ", "name": "=HYPERLINK(\"x\")"}]}
    write_path(document, tmp_path / "f.xlsx")
    assert read_path(tmp_path / "f.xlsx") == document


def test_an_unreadable_file_is_one_problem(tmp_path):
    (tmp_path / "bad.json").write_text("{\"units\": [", encoding="utf-8")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    (tmp_path / "bad.csv").write_text("code,name", encoding="utf-8")
    for name in ("bad.json", "bad.xlsx", "bad.csv", "missing.json"):
        with pytest.raises(ImportRejected) as caught:
            read_path(tmp_path / name)
        [problem] = caught.value.problems
        assert (problem.path, problem.code) == ("$", "unreadable")


def test_json_is_written_as_readable_utf8(example, tmp_path):
    write_path(example, tmp_path / "city.json")
    text = (tmp_path / "city.json").read_text(encoding="utf-8")
    assert "Nguyễn Văn An" in text
    assert json.loads(text) == example
    with pytest.raises(ValueError):
        write_path(example, tmp_path / "city.csv")
