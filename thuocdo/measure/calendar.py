"""Working days (ngày làm việc) for deadlines of administrative work.

Monday to Friday, minus public holidays and compensatory days off, plus Saturdays the
Government swaps into working days (Labour Code 2019, art. 112; the yearly civil-service
calendar). The calendar is data: the caller passes the holidays and swapped workdays in,
typically the `holidays` library's Vietnam calendar plus the administrator's overrides.
Pure: no clock, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Days off and swapped working days; everything else follows Monday–Friday."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_workday(self, day: dt.date) -> bool:
        """A swapped working day always works; a holiday never does; else Monday–Friday."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (n ≥ 1); `start` itself does not count.

        "N working days after receipt" is the N-th working day after the day of receipt.
        n = 0 returns `start` unchanged.
        """
        if n < 0:
            raise ValueError("n must be ≥ 0")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days late `end` is after `start`.

        0 when end ≤ start.
        """
        if end <= start:
            return 0
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return count
