"""Dates and times of the years the product takes (1900 to 2999, `core.periods`): any other
year is refused at the field's path, all or nothing, instead of being written and
overflowing later (the task page, the nightly signals) or failing inside the import."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.schema import exchange_schema
from thuocdo.exchange.validation import parse_date, parse_datetime
from thuocdo.tasks.models import Task

from .conftest import ON, fingerprint, load

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def refused(document: dict) -> ImportRejected:
    before = fingerprint()
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    assert fingerprint() == before, "nothing written"
    return caught.value


def _set(key, index, **values):
    return lambda d: d[key][index].update(values)


def _event(kind, **values):
    def mutate(d):
        next(e for e in d["events"] if e["kind"] == kind).update(values)

    return mutate


def _first_event_path(document, kind):
    return next(j for j, e in enumerate(document["events"]) if e["kind"] == kind)


YEAR = "the year must be from 1900 to 2999: "

#: (how to break the example, the path, the value, the problem code): every date and time
#: field of the format, each with a year out of range.
OUT_OF_RANGE = [
    (
        lambda d: d["calendar"]["holidays"].append("9999-12-31"),
        "calendar.holidays[1]",
        "9999-12-31",
        "date",
    ),
    (
        lambda d: d["calendar"]["workdays"].append("1899-12-30"),
        "calendar.workdays[1]",
        "1899-12-30",
        "date",
    ),
    (_set("officials", 0, since="9999-12-31"), "officials[0].since", "9999-12-31", "date"),
    (
        _set("products", 0, coefficient_from="0001-01-01"),
        "products[0].coefficient_from",
        "0001-01-01",
        "date",
    ),
    (
        _set("directives", 0, issued_on="3000-01-01"),
        "directives[0].issued_on",
        "3000-01-01",
        "date",
    ),
    (_set("tasks", 0, due="9999-12-31"), "tasks[0].due", "9999-12-31", "date"),
    (_set("tasks", 0, due="3500-01-01"), "tasks[0].due", "3500-01-01", "date"),
    (
        _set("tasks", 0, assigned_at="0001-01-01T08:00:00+07:00"),
        "tasks[0].assigned_at",
        "0001-01-01T08:00:00+07:00",
        "datetime",
    ),
    (
        lambda d: d["tasks"][0]["coordinating_units"][0].update(due="9999-01-01"),
        "tasks[0].coordinating_units[0].due",
        "9999-01-01",
        "date",
    ),
    (
        lambda d: d["events"][0].update(at="9999-12-31T23:00:00Z"),
        "events[0].at",
        "9999-12-31T23:00:00Z",
        "datetime",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "value", "code"), OUT_OF_RANGE, ids=[case[1] for case in OUT_OF_RANGE]
)
def test_a_date_or_time_of_a_year_out_of_range_is_refused_at_its_path(mutate, path, value, code):
    """The problem names the field (not the file, nor a rule of the workflow it upsets),
    and it is the only one: what follows from it is not reported on top."""
    document = load("example.json")
    mutate(document)
    problems = refused(document).problems
    assert [(p.path, p.code, p.message) for p in problems] == [
        (path, code, YEAR + json.dumps(value))
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("new_due", "9999-12-31"), ("reply_due", "2999-13-01")]
)
def test_dates_of_events_are_checked_too(field, value):
    document = load("example.json")
    kind = "extension_grant" if field == "new_due" else "consult"
    index = _first_event_path(document, kind)
    document["events"][index][field] = value
    [problem] = refused(document).problems
    assert problem.path == f"events[{index}].{field}"
    assert problem.code == "date"
    expected = YEAR if value.startswith("9999") else "not a date (YYYY-MM-DD): "
    assert problem.message == expected + json.dumps(value)


def test_a_task_due_in_9999_without_events_is_not_imported():
    """It used to be written, and then the task's page and the month's signals overflowed."""
    document = load("example.json")
    del document["events"]
    document["tasks"][0]["due"] = "9999-12-31"
    [problem] = refused(document).problems
    assert str(problem) == 'tasks[0].due: the year must be from 1900 to 2999: "9999-12-31"'
    assert not Task.objects.exists()


def test_the_edges_of_the_range_are_accepted():
    assert parse_date("1900-01-01") == dt.date(1900, 1, 1)
    assert parse_date("2999-12-31") == dt.date(2999, 12, 31)
    assert parse_date("1899-12-31") is None and parse_date("3000-01-01") is None
    assert parse_datetime("2999-12-31T23:59:59+07:00") is not None
    assert parse_datetime("0001-01-01T00:00:00+07:00") is None
    document = load("example.json")
    document["tasks"][0]["due"] = "2999-12-31"
    document["calendar"]["holidays"].append("1900-01-02")
    del document["events"]
    import_document(document, on=ON)
    assert Task.objects.get(code="T1").due == dt.date(2999, 12, 31)


def test_a_discipline_date_and_an_assessment_period_out_of_range_are_refused():
    document = load("example.json")
    document["assessments"] = [{"official": "CB001", "period": "9999-12", "general_points": 30}]
    document["discipline"] = [{"official": "CB002", "on": "9999-12-31", "level": "reprimand"}]
    problems = refused(document).problems
    assert [str(p) for p in problems] == [
        'assessments[0].period: the year must be from 1900 to 2999: "9999-12"',
        'discipline[0].on: the year must be from 1900 to 2999: "9999-12-31"',
    ]


def test_citizens_times_out_of_range_are_refused_at_their_path():
    from thuocdo.citizens.tests.test_exchange import DOCUMENT

    document = json.loads(json.dumps(DOCUMENT))
    document["dossiers"][0]["received_at"] = "9999-12-31T10:00:00+07:00"
    document["feedback"][0]["events"][0]["at"] = "0001-01-01T10:00:00+07:00"
    problems = refused(document).problems
    assert [(p.path, p.code) for p in problems] == [
        ("feedback[0].events[0].at", "datetime"),
        ("dossiers[0].received_at", "datetime"),
    ]


def test_the_schema_says_the_years_too():
    validator = jsonschema.Draft202012Validator(exchange_schema())
    document = load("example.json")
    assert validator.is_valid(document)
    document["tasks"][0]["due"] = "9999-12-31"
    assert not validator.is_valid(document)
    document = load("example.json")
    document["events"][0]["at"] = "0001-01-01T08:00:00+07:00"
    assert not validator.is_valid(document)


def test_the_command_refuses_a_day_of_effect_out_of_range_as_the_page_does(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(json.dumps(load("example.json")), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command(
            "import", str(path), "--on", "9999-12-31", stdout=StringIO(), stderr=StringIO()
        )
    assert str(caught.value) == "--on: the year must be from 1900 to 2999: 9999-12-31"
