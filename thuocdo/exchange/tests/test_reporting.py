"""How a refused or dry-run import speaks to the person running it: every problem of every
check in one run, workbook problems by sheet, row and column, what a dry run would change,
and readable reasons when a file cannot be read."""

from __future__ import annotations

import copy
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from openpyxl import Workbook

from thuocdo.exchange import importer
from thuocdo.exchange.files import read_document, write_path
from thuocdo.exchange.importer import ImportRejected, import_document

from .conftest import ON, fingerprint, load

pytestmark = pytest.mark.usefixtures("english")


def rejected(document, on=ON) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=on)
    return caught.value


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# -- every problem in one run ----------------------------------------------------------


@pytest.mark.django_db
def test_the_workflow_check_runs_on_what_the_first_check_leaves_sound():
    """An unknown product (first check) and a changed assignment of a stored task (found by
    the workflow's replay) are both reported, and the task with the first problem is named
    as not replayed."""
    import_document(load("example.json"), on=ON)
    before = fingerprint()
    document = load("example.json")
    document["tasks"][0]["due"] = "2026-10-16"  # stored: a recorded assignment is fixed
    document["tasks"][1]["product"] = "NOPE"
    refused = rejected(document)
    assert [(p.path, p.code) for p in refused.problems] == [
        ("tasks[0].due", "assignment_changed"), ("tasks[1].product", "unknown_product")]
    [note] = refused.notes
    assert 'tasks[1] "T2"' in note and "not checked against the workflow" in note.lower()
    assert fingerprint() == before


@pytest.mark.django_db
def test_replay_problems_keep_their_paths_in_the_whole_document():
    """Tasks left out of the trial do not shift the paths of the others' events."""
    document = load("example.json")
    document["tasks"][0]["product"] = "NOPE"  # T1 and its events are left out
    t2_events = [j for j, e in enumerate(document["events"]) if e["task"] == "T2"]
    document["events"][t2_events[1]]["at"] = "2026-09-01T08:00:00+07:00"  # before assigned
    refused = rejected(document)
    paths = [p.path for p in refused.problems]
    assert paths[0] == "tasks[0].product"
    assert any(path.startswith(f"events[{t2_events[1]}]") for path in paths[1:]), paths


@pytest.mark.django_db
def test_a_task_naming_a_record_with_a_problem_is_not_replayed_and_says_why():
    document = load("example.json")
    lead = document["tasks"][0]["lead_official"]
    official = next(o for o in document["officials"] if o["code"] == lead)
    official["email"] = "not-an-address"
    refused = rejected(document)
    assert [p.code for p in refused.problems] == ["email"]
    assert any('"T1"' in note for note in refused.notes)


@pytest.mark.django_db
def test_a_broken_history_list_says_the_workflow_was_not_checked():
    document = load("example.json")
    document["units"][0]["name"] = ""
    document["events"] = "x"
    refused = rejected(document)
    assert {p.code for p in refused.problems} >= {"empty", "type"}
    assert refused.notes and "workflow" in refused.notes[0]


# -- workbooks: sheet, row, column ------------------------------------------------------


def workbook_with(tmp_path, sheets: dict[str, list[list]]):
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


@pytest.mark.django_db
def test_workbook_problems_name_sheet_row_and_column(tmp_path):
    path = workbook_with(tmp_path, {"units": [
        ["code", "name", "kind", "parent"],
        ["HN", "Hà Nội", "city", None],
        ["HN.CG", "Cầu Giấy", "district", "HN.NOPE"],
        ["HN", "Hà Nội", "city", None],
    ]})
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", str(path), stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert err.getvalue().splitlines() == [
        'sheet "units", row 3, column D "parent": unknown unit "HN.NOPE"',
        'sheet "units", row 4, column A "code": duplicate code "HN" '
        '(first given at sheet "units", row 2)',
    ]


@pytest.mark.django_db
def test_a_wrong_column_header_is_reported_once_on_the_header(tmp_path):
    path = workbook_with(tmp_path, {"units": [
        ["code", "ten", "kind", "parent"],
        ["HN", "Hà Nội", "city", None],
        ["HN.CG", "Cầu Giấy", "district", "HN"],
        ["HN.SNV", "Sở Nội vụ", "department", "HN"],
    ]})
    document, sheets = read_document(path)
    lines = [str(p) for p in sheets.present(rejected(document).problems)]
    assert lines == [
        'sheet "units", row 1, column B: unknown column "ten": not a field of this sheet '
        "(its fields: code, name, kind, parent, active)",
        'sheet "units", row 1: no column "name": the field is required (3 rows need it)',
    ]


@pytest.mark.django_db
def test_a_renamed_sheet_is_named_as_an_unknown_sheet(tmp_path):
    path = workbook_with(tmp_path, {"Đơn vị": [["code", "name"], ["HN", "Hà Nội"]]})
    document, sheets = read_document(path)
    [line] = [str(p) for p in sheets.present(rejected(document).problems)]
    assert line.startswith('sheet "Đơn vị": unknown sheet "Đơn vị"; the sheets of the format '
                           "are: format, calendar, units, task_groups, officials,")


@pytest.mark.django_db
def test_calendar_rows_are_named_by_their_row(tmp_path):
    path = workbook_with(tmp_path, {"calendar": [
        ["day", "kind"], ["2026-09-01", "holiday"], ["2026-09-02", "workday"],
        ["2026-09-01", "holiday"]]})
    document, sheets = read_document(path)
    [problem] = sheets.present(rejected(document).problems)
    assert problem.where == 'sheet "calendar", row 4'


# -- dry run: what would change -----------------------------------------------------------


@pytest.mark.django_db
def test_a_dry_run_lists_what_would_change(tmp_path):
    import_document(load("example.json"), on=ON)
    document = load("example.json")
    document["units"][1]["name"] = "UBND quận Cầu Giấy mới"
    document["products"][0]["coefficient"] = 1.5
    document["officials"][2]["unit"] = "HN.SNV"
    document["officials"][2]["position"] = "staff"
    document["officials"][2]["since"] = "2026-07-01"
    document["task_groups"].append({"code": "NEW", "name": "Mới"})
    path = tmp_path / "city.json"
    write_path(document, path)
    out, _err = run("import", str(path), "--dry-run", "--on", "2026-07-01")
    assert "units updated:" in out
    assert '    HN.CG: name: "UBND quận Cầu Giấy" → "UBND quận Cầu Giấy mới"' in out
    assert "    CB003: place: HN.CG, deputy, LD from 01/06/2024 → HN.SNV, staff, LD from " \
           "01/07/2026" in out
    assert "coefficient: 1 → 1.5 (from 01/07/2026)" in out
    assert "task_groups created: NEW" in out
    assert "Dry run" in out


@pytest.mark.django_db
def test_a_long_list_of_changes_is_cut_short(monkeypatch):
    monkeypatch.setattr(importer, "DETAIL_LIMIT", 2)
    import_document(load("example.json"), on=ON)
    document = load("example.json")
    for unit in document["units"]:
        unit["name"] += " (mới)"
    report = import_document(document, on=ON, dry_run=True)
    details = report.details()
    assert details[0] == "  units updated:"
    assert len([line for line in details if line.startswith("    HN")]) == 2
    assert details[3] == "    … and 4 more"


@pytest.mark.django_db
def test_a_same_day_fix_warns_that_it_rewrites_the_membership_history():
    """CB001 has headed HN.CG since 2024-01-01: a place from that same day replaces it."""
    import_document(load("example.json"), on=ON)
    document = {"officials": [{"code": "CB001", "name": "Nguyễn Văn An", "unit": "HN.CG",
                               "position": "deputy", "task_group": "LD",
                               "since": "2024-01-01"}]}
    report = import_document(copy.deepcopy(document), on=ON, dry_run=True)
    [warning] = report.warnings
    assert '"CB001"' in warning and "01/01/2024" in warning
    assert "HN.CG, head, LD" in warning and "HN.CG, deputy, LD" in warning
    out, _err = run("import", "--dry-run", "--on", "2026-06-01", str(_written(document)))
    assert warning in out


def _written(document, name="fix.json"):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    write_path(document, path)
    return path


# -- files that cannot be read, and the command line ---------------------------------------


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("syntax.json", b'{"units": [\n  {"code": "HN",}\n]}',
     "not valid JSON, line 2, column 17: expected a field name in double quotes"),
    ("empty.json", b"", "the file is empty"),
    ("latin1.json", '{"units": []}\n{"name": "Thành"}'.encode("latin-1"),
     "not UTF-8 text (line 2)"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not an Excel workbook (.xlsx)"),
])
def test_an_unreadable_file_says_why_in_the_readers_language(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as caught:
        read_document(path)
    [line] = caught.value.lines()
    assert line.startswith(f"the file: cannot read {path}: ")
    assert reason in line
    assert "Expecting" not in line and "zip" not in line


def test_a_missing_file_is_named_plainly(tmp_path):
    with pytest.raises(ImportRejected) as caught:
        read_document(tmp_path / "nope.json")
    assert caught.value.lines() == [f"the file: cannot read {tmp_path / 'nope.json'}: "
                                    "there is no such file"]


def test_the_command_line_prints_the_refusal_without_a_class_name(tmp_path, capsys):
    path = tmp_path / "empty.json"
    path.write_text("", encoding="utf-8")
    command = load_command_class("thuocdo.exchange", "import")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["thuocdo", "import", str(path)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError" not in err
    assert err.splitlines()[-1] == "1 problem, nothing was imported / không có gì được nhập"
