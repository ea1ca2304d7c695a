"""Dossiers and citizens' feedback in the engine: deadlines in working days, the pause for
supplements, S10, S11 and S3 on feedback. Golden cases in tests/golden/citizens/ (written by
hand as exchange documents, with the working in `working`: golden/README.md), unit tests and
hypothesis properties."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.measure import dossiers as d
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.signals import period_bounds

GOLDEN = Path(__file__).parent / "golden" / "citizens"
VN = dt.timezone(dt.timedelta(hours=7))


def load(name: str):
    """A golden case, an exchange document (with its scenario keys), read as the engine reads
    the database (`dossiers.load_cases`)."""
    doc = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    calendar = WorkCalendar.of(map(dt.date.fromisoformat, doc["calendar"]["holidays"]),
                               map(dt.date.fromisoformat, doc["calendar"]["workdays"]))
    dossiers, feedback = d.load_cases(doc, calendar=calendar)
    return doc, calendar, dossiers, feedback


def detect(calendar, dossiers, feedback, period: str, as_of: dt.datetime):
    start, end = period_bounds(period)
    found = [*d.repeated_supplements(dossiers, period_start=start, period_end=end, as_of=as_of),
             *d.late_without_apology(dossiers, calendar=calendar, period_start=start,
                                     period_end=end, as_of=as_of),
             *d.feedback_ping_pong(feedback, period_start=start, period_end=end, as_of=as_of)]
    return found


def test_golden_s10_s11_s3():
    doc, calendar, dossiers, feedback = load("s10_s11_s3.json")
    as_of = dt.datetime.fromisoformat(doc["as_of"])
    found = detect(calendar, dossiers, feedback, doc["period"], as_of)
    got = sorted(
        (s.code, s.task, s.official or "", s.unit, s.raised_on.isoformat(), list(s.events),
         s.anchor) for s in found)
    expected = sorted(
        (e["code"], e["task"], e["official"] or "", e["unit"], e["raised_on"], e["events"],
         e["anchor"]) for e in doc["expected"])
    assert got == expected
    assert all(s.period == "2026-10" and s.explanation for s in found)
    assert len({s.key for s in found}) == len(found)


def test_golden_due_in_force_moves_by_the_supplement_waits():
    _doc, calendar, dossiers, _ = load("s10_s11_s3.json")
    h1 = dossiers[0]
    assert d.due_in_force(h1, calendar) == dt.date(2026, 10, 12)
    assert not d.is_late(h1, calendar, dt.datetime(2026, 11, 2, tzinfo=VN))
    assert d.is_late(dossiers[1], calendar, dt.datetime(2026, 11, 2, tzinfo=VN))


def test_deadline_across_holidays():
    """National day 2026: 1/9 and 2/9 off (Tuesday, Wednesday). A dossier received on Friday
    28/8 with 3 working days: 31/8 (1), 3/9 (2), 4/9 (3)."""
    calendar = WorkCalendar.of([dt.date(2026, 9, 1), dt.date(2026, 9, 2)])
    assert d.dossier_due(calendar, dt.date(2026, 8, 28), 3) == dt.date(2026, 9, 4)
    # Tết 2026 (14/2–22/2 off): received Friday 13/2, 2 working days → 23/2, 24/2
    tet = WorkCalendar.of(dt.date(2026, 2, 14) + dt.timedelta(days=i) for i in range(9))
    assert d.dossier_due(tet, dt.date(2026, 2, 13), 2) == dt.date(2026, 2, 24)


def test_apology_on_the_deadline_day_counts_and_the_day_after_does_not():
    received = dt.datetime(2026, 10, 1, 9, tzinfo=VN)
    calendar = WorkCalendar()

    def history(apology_at):
        return d.DossierHistory("X", "U", received, dt.date(2026, 10, 8), (
            d.CaseEvent("receive", received, "A", "U", "A"),
            d.CaseEvent("apology", apology_at, "A", "U", "A"),
        ))

    as_of = dt.datetime(2026, 10, 20, tzinfo=VN)
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    on_day = history(dt.datetime(2026, 10, 8, 23, 30, tzinfo=VN))
    after = history(dt.datetime(2026, 10, 9, 0, 5, tzinfo=VN))
    assert not list(d.late_without_apology([on_day], calendar=calendar, period_start=start,
                                           period_end=end, as_of=as_of))
    assert [s.code for s in d.late_without_apology([after], calendar=calendar,
                                                   period_start=start, period_end=end,
                                                   as_of=as_of)] == ["S11"]


def test_s11_waits_until_the_deadline_day_is_over():
    received = dt.datetime(2026, 10, 1, 9, tzinfo=VN)
    h = d.DossierHistory("X", "U", received, dt.date(2026, 10, 8),
                         (d.CaseEvent("receive", received, "A", "U", "A"),))
    kwargs = {"calendar": WorkCalendar(), "period_start": dt.date(2026, 10, 1),
              "period_end": dt.date(2026, 10, 31)}
    assert not list(d.late_without_apology([h], as_of=dt.datetime(2026, 10, 8, 17, tzinfo=VN),
                                           **kwargs))
    assert list(d.late_without_apology([h], as_of=dt.datetime(2026, 10, 9, 0, 1, tzinfo=VN),
                                       **kwargs))


def test_will_be_late():
    calendar = WorkCalendar()
    thursday, friday = dt.date(2026, 10, 8), dt.date(2026, 10, 9)
    assert d.will_be_late(due=friday, today=thursday, later_allowance=1, calendar=calendar)
    assert not d.will_be_late(due=friday, today=thursday, later_allowance=0, calendar=calendar)
    monday = dt.date(2026, 10, 12)
    assert not d.will_be_late(due=monday + dt.timedelta(days=1), today=friday,
                              later_allowance=1, calendar=calendar)


# naive bounds, as hypothesis wants them; every drawn moment gets the +07:00 zone
moments = st.datetimes(min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
                       max_value=dt.datetime(2026, 12, 31),  # noqa: DTZ001
                       timezones=st.just(VN))
kinds = st.sampled_from(["move", "supplement_request", "supplement_received", "apology",
                         "result"])


@st.composite
def histories(draw):
    received = draw(moments)
    n = draw(st.integers(min_value=0, max_value=8))
    steps = sorted(draw(st.lists(st.timedeltas(min_value=dt.timedelta(0),
                                               max_value=dt.timedelta(days=40)),
                                 min_size=n, max_size=n)))
    events = [d.CaseEvent("receive", received, "A", "U", "A")]
    for delta in steps:
        events.append(d.CaseEvent(draw(kinds), received + delta, "A", "U", "A",
                                  MappingProxyType({"new_date": "2027-01-01"})))
    due = d.dossier_due(WorkCalendar(), received.date(), draw(st.integers(1, 20)))
    return d.DossierHistory("X", "U", received, due, tuple(events))


@given(histories(), moments)
def test_signals_are_stable_as_the_log_grows(history, as_of):
    """A signal raised at `as_of` is raised again, with the same key, at any later time."""
    start, end = dt.date(2026, 1, 1), dt.date(2027, 12, 31)
    later = as_of + dt.timedelta(days=60)
    calendar = WorkCalendar()

    def keys(moment):
        return {s.key for s in (
            *d.repeated_supplements([history], period_start=start, period_end=end,
                                    as_of=moment),
            *d.late_without_apology([history], calendar=calendar, period_start=start,
                                    period_end=end, as_of=moment))}

    early = {k for k in keys(as_of) if not k.startswith("S11")}
    assert early <= keys(later)


@given(histories())
def test_due_in_force_never_before_the_original(history):
    assert d.due_in_force(history, WorkCalendar()) >= history.due
    s10 = list(d.repeated_supplements([history], period_start=dt.date(2000, 1, 1),
                                      period_end=dt.date(2100, 1, 1),
                                      as_of=dt.datetime(2100, 1, 1, tzinfo=VN)))
    requests = sum(1 for e in history.events if e.kind == "supplement_request")
    assert len(s10) == max(0, requests - 1)
