"""An import's calendar day that something was computed with (a month whose signals are
stored, a period approved or later) is refused at its path, and the whole document with
it; a day given as stored is no change; with THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn" it
is written, and the report and the audit entry warn of it (docs/decisions/0007)."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.core.models import AuditEntry, CalendarOverride
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.org.models import Unit

from .conftest import ON, fingerprint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = dt.date


def store_signals(period: str) -> None:
    from thuocdo.accountability.models import SignalRecord

    year, month = (int(part) for part in period.split("-"))
    moment = dt.datetime(year, month, 2, tzinfo=dt.UTC)
    SignalRecord.objects.create(
        key=f"S8|{period}|x", code="S8", period=period, raised_on=D(year, month, 1),
        subject_kind="task", unit=Unit.objects.get(code="HN"), explanation="…",
        first_seen=moment, last_seen=moment, thresholds="2026.1")


@pytest.fixture
def computed(example):
    """The example imported (its calendar: 01/09/2026 off, 10/01/2026 worked), then
    October's signals stored."""
    import_document(example, on=ON)
    store_signals("2026-10")
    return example


def test_a_day_computed_is_refused_at_its_path_and_nothing_is_written(computed):
    before, audit = fingerprint(), AuditEntry.objects.count()
    document = {"calendar": {"holidays": ["2026-11-12", "2026-10-15"],
                             "workdays": ["2026-01-10", "2026-09-01"]},
                "task_groups": [{"code": "NEW", "name": "Nhóm mới"}]}
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    assert sorted((p.path, p.code) for p in caught.value.problems) == [
        ("calendar.holidays[1]", "calendar_computed"),
        ("calendar.workdays[1]", "calendar_computed")]
    assert any(line.startswith(
        "calendar.holidays[1]: Signals are computed up to 10/2026: the calendar of "
        "15/10/2026 can no longer be changed") for line in caught.value.lines())
    # 10/01/2026 is given as stored: no change, not refused.
    assert fingerprint() == before and AuditEntry.objects.count() == audit


def test_a_day_of_an_approved_quarter_is_refused_at_its_path(example):
    from thuocdo.evaluations.models import Period
    from thuocdo.evaluations.services import period_open

    import_document(example, on=ON)
    Period.objects.filter(pk=period_open(label="2026-Q2").pk).update(status="approved")
    with pytest.raises(ImportRejected) as caught:
        import_document({"calendar": {"holidays": ["2026-07-15", "2026-05-13"]}}, on=ON)
    [problem] = caught.value.problems
    assert problem.path == "calendar.holidays[1]"
    assert problem.message.startswith("The evaluation period Q2 2026 is approved: the "
                                      "calendar of 13/05/2026 can no longer be changed")
    assert not CalendarOverride.objects.filter(day=D(2026, 7, 15)).exists()


def test_a_document_giving_the_days_as_stored_imports_again(computed):
    """The example again: its days are in months computed, but as stored."""
    report = import_document(computed, on=ON + dt.timedelta(days=1))
    assert report.counts["calendar"].unchanged == 2
    assert report.warnings == []


def test_with_warn_the_import_writes_and_warns_in_its_report_and_audit_entry(computed,
                                                                            settings):
    settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn"
    report = import_document({"calendar": {"holidays": ["2026-11-12", "2026-10-15"]}},
                             on=ON, source="calendar.json")
    assert report.counts["calendar"].created == 2
    warning = ("Warning: signals are computed up to 10/2026, with the calendar of "
               "15/10/2026 as it was: computing them again follows the new calendar, while "
               "what is approved keeps the old one.")
    assert report.warnings == [warning]
    entry = AuditEntry.objects.get(action="exchange.import", object_code="calendar.json")
    assert entry.changes["warnings"] == [warning]
    assert CalendarOverride.objects.filter(day=D(2026, 10, 15), kind="holiday").exists()
