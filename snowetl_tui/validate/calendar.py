"""Which days a period must cover, and how the file's days compare.

The previous tool looked for missing days only between the first and last date *seen*, so a
file missing its first or last business day passed. Here the expected days come from the
period the file name implies (or the configured period), never from the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from snowetl_tui.config.model import CalendarSpec
from snowetl_tui.config.patterns import Period


def expected_days(period: Period, calendar: CalendarSpec, holidays: frozenset[date]) -> list[date]:
    """Every day of ``period`` that must have rows under ``calendar`` (holidays removed)."""
    days = []
    d = period.start
    while d <= period.end:
        if d not in holidays and (calendar.days == "all" or d.weekday() < 5):
            days.append(d)
        d += timedelta(days=1)
    return days


@dataclass(frozen=True)
class DayComparison:
    """The file's per-day counts against the calendar."""

    missing: list[date]
    outside_period: dict[date, int]
    unexpected_days: dict[date, int]

    @property
    def rows_outside_period(self) -> int:
        return sum(self.outside_period.values())

    @property
    def rows_on_unexpected_days(self) -> int:
        return sum(self.unexpected_days.values())


def compare_days(per_day: dict[date, int], period: Period, expected: list[date]) -> DayComparison:
    """Missing expected days (edges included), rows outside the period, rows on days that
    need none (weekends under a business calendar, holidays)."""
    want = set(expected)
    missing = [d for d in expected if per_day.get(d, 0) == 0]
    outside = {d: n for d, n in sorted(per_day.items()) if not period.start <= d <= period.end}
    unexpected = {
        d: n for d, n in sorted(per_day.items())
        if period.start <= d <= period.end and d not in want and n > 0
    }
    return DayComparison(missing, outside, unexpected)
