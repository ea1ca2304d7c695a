"""A deadline passed only by days off: S1 and S5 never say "late by 0 working days".

24/11/2026 is Vietnam's Culture Day (a public holiday in the `holidays` calendar): work due
Monday 23/11, still open on 24/11, is past its deadline but late by no working day yet (the
user review read "quá 0 ngày làm việc"). The same for a Friday's deadline seen at the
weekend, a submit on a Saturday, an extension granted on a Sunday, a reply on a holiday.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import VIETNAM, Event, Holder, TaskHistory
from thuocdo.measure.signals import DETECTORS, detect_all, period_bounds

CALENDAR = WorkCalendar.vietnam([2026, 2027])
LEAD = Holder("U1", "P1")
BOSS = Holder("U0", "P0")
ZERO = re.compile(r"\b0 ngày làm việc")


def when(day: int, hour: int = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=VIETNAM)


def history(due: dt.date, *events: Event) -> TaskHistory:
    return TaskHistory("T1", when(2), due, LEAD, BOSS, events)


def signals(*histories: TaskHistory, as_of: dt.datetime, code: str = "S1",
            period: str = "2026-11"):
    start, end = period_bounds(period)
    return detect_all(histories, calendar=CALENDAR, period_start=start, period_end=end,
                      as_of=as_of, detectors={code: DETECTORS[code]})


def test_the_culture_day_is_a_holiday_of_the_calendar():
    assert not CALENDAR.is_workday(dt.date(2026, 11, 24))
    assert CALENDAR.workdays_between(dt.date(2026, 11, 23), dt.date(2026, 11, 24)) == 0


def test_open_work_past_its_deadline_on_a_holiday_says_when_the_delay_counts():
    """The review's case: due 23/11, open on 24/11 (a holiday)."""
    [signal] = signals(history(dt.date(2026, 11, 23)), as_of=when(24, 10))
    assert signal.explanation == (
        "Trễ hạn 23/11/2026: chưa hoàn thành, đã quá hạn đến 24/11/2026 (ngày nghỉ); tính "
        "chậm từ 25/11/2026, ngày làm việc đầu tiên sau hạn; khi hết hạn, việc ở P1 (U1)")
    # the next working day, the usual wording
    [signal] = signals(history(dt.date(2026, 11, 23)), as_of=when(25, 10))
    assert "chưa hoàn thành, quá 1 ngày làm việc đến 25/11/2026" in signal.explanation


def test_a_fridays_deadline_seen_at_the_weekend():
    [signal] = signals(history(dt.date(2026, 11, 20)), as_of=when(22, 10))
    assert "tính chậm từ 23/11/2026" in signal.explanation
    assert not ZERO.search(signal.explanation)


def test_a_submit_on_a_saturday_after_a_fridays_deadline():
    done = history(dt.date(2026, 11, 20), Event("submit", when(21, 10), "P1"),
                   Event("approve", when(23, 9), "P0"))
    [signal] = signals(done, as_of=when(30))
    assert "nộp ngày 21/11/2026, sau hạn nhưng trước 23/11/2026, ngày làm việc đầu tiên " \
           "sau hạn (#2)" in signal.explanation


def test_an_extension_granted_on_a_sunday_after_the_deadline():
    extended = history(dt.date(2026, 11, 20),
                       Event("extension_grant", when(22, 10), "P0",
                             {"new_due": "2026-11-27"}))
    found = signals(extended, as_of=when(26))
    [first] = [s for s in found if s.raised_on == dt.date(2026, 11, 20)]
    assert "đến 22/11/2026 mới gia hạn, sau hạn nhưng trước 23/11/2026" in first.explanation


def test_cancelled_before_the_first_working_day_after_the_deadline():
    cancelled = history(dt.date(2026, 11, 20), Event("cancel", when(21, 10), "P0",
                                                     {"reason": "r"}))
    for signal in signals(cancelled, as_of=when(30)):
        assert not ZERO.search(signal.explanation)


def test_a_reply_on_a_holiday_after_its_deadline_s5():
    consulted = history(dt.date(2026, 11, 30),
                        Event("consult", when(16), "P1", {"to_unit": "U2",
                                                          "reply_due": "2026-11-23"}),
                        Event("consult_reply", when(24, 10), "P2",
                              {"unit": "U2", "clear_position": True}))
    [signal] = signals(consulted, as_of=when(27), code="S5")
    assert "sau hạn 23/11/2026, vào ngày nghỉ trước 25/11/2026" in signal.explanation
    assert not ZERO.search(signal.explanation)


@settings(max_examples=80, deadline=None)
@given(due_day=st.integers(min_value=2, max_value=28),
       late_hours=st.integers(min_value=1, max_value=24 * 9),
       done=st.sampled_from(["open", "submit", "cancel", "extension_grant"]))
def test_no_explanation_ever_says_late_by_0_working_days(due_day, late_hours, done):
    """Whatever the deadline and however soon after it the work is seen, submitted,
    cancelled or extended, S1 never says "0 ngày làm việc"."""
    due = dt.date(2026, 11, due_day)
    moment = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0),
                                 tzinfo=VIETNAM) + dt.timedelta(hours=late_hours)
    events = () if done == "open" else (
        Event(done, moment, "P1", {"new_due": "2026-12-31", "reason": "r"}),)
    as_of = moment + dt.timedelta(minutes=1)
    for signal in signals(history(due, *events), as_of=as_of):
        assert not ZERO.search(signal.explanation), signal.explanation
