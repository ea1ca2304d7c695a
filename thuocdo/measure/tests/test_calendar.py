"""Working days around the 2026 holidays (Labour Code art. 112; the 2026 civil-service
calendar), and the calendar's invariants."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.measure.calendar import WorkCalendar, public_days

D = dt.date
VN_2026 = WorkCalendar.vietnam([2026])


def test_reunification_and_labour_day_2026():
    """30/4 (Thu) and 1/5 (Fri) are off. Counting from Wed 29/4: Mon 4/5 is the first working
    day after, Fri 8/5 the fifth."""
    assert not VN_2026.is_workday(D(2026, 4, 30))
    assert not VN_2026.is_workday(D(2026, 5, 1))
    assert VN_2026.add_workdays(D(2026, 4, 29), 1) == D(2026, 5, 4)
    assert VN_2026.add_workdays(D(2026, 4, 29), 5) == D(2026, 5, 8)


def test_tet_2026_is_off_from_14_to_22_february():
    """Tết Bính Ngọ: Mon 16/2 to Fri 20/2 are holidays; with the weekends 14/2–22/2 off."""
    for day in range(14, 23):
        assert not VN_2026.is_workday(D(2026, 2, day)), day
    assert VN_2026.is_workday(D(2026, 2, 13))
    assert VN_2026.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert VN_2026.workdays_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_the_government_s_swapped_saturday_of_2026_works():
    """National Day 2026: Mon 31/8 is given off and Sat 22/8 worked in its place. The library
    lists both; the swapped Saturday used to be left out, so 22/8 counted as a day off and the
    week of 24/8 had a working day too few."""
    assert VN_2026.is_workday(D(2026, 8, 22))
    assert not VN_2026.is_workday(D(2026, 8, 31))
    assert VN_2026.add_workdays(D(2026, 8, 21), 1) == D(2026, 8, 22)
    days_off, workdays = public_days([2026])
    assert D(2026, 8, 31) in days_off and workdays == {D(2026, 8, 22)}  # no other year's


def test_a_swapped_saturday_works_and_an_extra_day_off_does_not():
    cal = WorkCalendar.of(holidays=[D(2026, 1, 2)], workdays=[D(2026, 1, 10)])
    assert cal.is_workday(D(2026, 1, 10))  # Saturday swapped into a working day
    assert not cal.is_workday(D(2026, 1, 2))  # Friday given off
    assert cal.add_workdays(D(2026, 1, 8), 2) == D(2026, 1, 10)


def test_deadline_of_n_working_days_after_receipt():
    """Received Friday 2/10/2026: 3 working days later is Wednesday 7/10."""
    assert VN_2026.add_workdays(D(2026, 10, 2), 3) == D(2026, 10, 7)
    assert VN_2026.add_workdays(D(2026, 10, 2), 0) == D(2026, 10, 2)


days = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


@given(start=days, n=st.integers(min_value=0, max_value=60))
def test_add_then_count_gives_back_n(start, n):
    """workdays_between(start, add_workdays(start, n)) == n, and the result is a working day."""
    end = VN_2026.add_workdays(start, n)
    assert VN_2026.workdays_between(start, end) == n
    if n:
        assert VN_2026.is_workday(end)


@given(a=days, b=days, c=days)
def test_counting_is_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    assert VN_2026.workdays_between(a, c) == (
        VN_2026.workdays_between(a, b) + VN_2026.workdays_between(b, c)
    )
