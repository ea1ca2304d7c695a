"""Working days (ngày làm việc) for deadlines of administrative work.

Monday to Friday, minus public holidays and compensatory days off, plus Saturdays the
Government swaps into working days (Labour Code 2019, art. 112; the yearly civil-service
calendar). The calendar is data: the caller passes the holidays and swapped workdays in,
typically the `holidays` library's Vietnam calendar plus the administrator's overrides.
Pure: no clock, no database.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

_ONE_DAY = dt.timedelta(days=1)
#: days added on each side when the running count of working days is (re)built
_MARGIN = 400


def public_days(years: Iterable[int]) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Vietnam's days off and swapped working days for `years`, from the `holidays` library:
    public holidays with their observed and substituted days off, and the weekend days the
    Government swapped into working days for them (`weekend_workdays`: 22/08/2026 works for
    31/08/2026 off). The library lists a few swapped days of other years in every year: only
    those of `years` are kept."""
    import holidays

    years = sorted(set(years))
    library = holidays.country_holidays("VN", years=years)
    wanted = set(years)
    return (frozenset(library.keys()),
            frozenset(day for day in library.weekend_workdays if day.year in wanted))


@dataclass(frozen=True)
class WorkCalendar:
    """Days off and swapped working days; everything else follows Monday–Friday."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    @classmethod
    def vietnam(cls, years: Iterable[int]) -> WorkCalendar:
        """Vietnam's calendar for `years` as the library knows it (`public_days`), with no
        administrator's correction."""
        return cls(*public_days(years))

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
        if n == 0:
            return start
        # Signals ask this for every event of every task, but about few distinct days: the
        # answers are remembered (a cache, not part of the value).
        answers = self.__dict__.get("_added")
        if answers is None:
            answers = {}
            object.__setattr__(self, "_added", answers)
        found = answers.get((start, n))
        if found is None:
            first = start.toordinal()
            # at most 7 calendar days per working day, plus the longest holiday (Tết)
            lo, counts = self._table(first, first + 7 * n + 31)
            target = counts[first - lo] + n
            found = answers[start, n] = dt.date.fromordinal(lo + bisect.bisect_left(counts,
                                                                                     target))
        return found

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days late `end` is after `start`.

        0 when end ≤ start.
        """
        if end <= start:
            return 0
        first, last = start.toordinal(), end.toordinal()
        lo, counts = self._table(first, last)
        return counts[last - lo] - counts[first - lo]

    # A running count of working days over a range of days, built once and widened when a
    # day outside it is asked for: every question above is then one or two lookups in the
    # same table (a widened table counts from a new first day, so never mix two tables).

    def _table(self, first: int, last: int) -> tuple[int, list[int]]:
        table = self.__dict__.get("_counts")
        if table is not None and table[0] <= first and last < table[0] + len(table[1]):
            return table
        if table is not None:
            first, last = min(first, table[0]), max(last, table[0] + len(table[1]) - 1)
        first, last = first - _MARGIN, last + _MARGIN
        counts, running = [], 0
        for ordinal in range(first, last + 1):
            running += self.is_workday(dt.date.fromordinal(ordinal))
            counts.append(running)
        table = (first, counts)
        object.__setattr__(self, "_counts", table)  # a cache, not part of the value
        return table
