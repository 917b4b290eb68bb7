"""Meeting dates from a cadence, moved off weekends, public holidays and 年末年始.

A municipal office is closed on Saturdays, Sundays, 国民の祝日 (jpholiday) and from 29
December to 3 January; a meeting that would fall on such a day moves to the next business
day.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

import jpholiday

from kasane.core.config_types import Cadence

QUARTER_MONTHS = (4, 7, 10, 1)  # the fiscal year's quarters start in April


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def next_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-4, or -1 = last) given weekday of a month; None if it does not exist."""
    days = [
        d
        for d in range(1, _calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


def occurrences(cadence: Cadence, start: date, end: date) -> list[tuple[date, date]]:
    """(nominal date, actual date) pairs between ``start`` and ``end`` inclusive.

    The nominal date identifies the occurrence (so a moved meeting is still the same one);
    the actual date is moved to the next business day when needed.
    """
    found: list[tuple[date, date]] = []
    if cadence.frequency == "as_needed" or cadence.weekday is None:
        return found
    if cadence.frequency == "weekly":
        day = start + timedelta(days=(cadence.weekday - start.weekday()) % 7)
        while day <= end:
            found.append((day, next_business_day(day)))
            day += timedelta(days=7)
        return found
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        if cadence.frequency == "monthly" or month in QUARTER_MONTHS:
            nominal = nth_weekday(year, month, cadence.weekday, cadence.nth or 1)
            if nominal and start <= nominal <= end:
                found.append((nominal, next_business_day(nominal)))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return found
