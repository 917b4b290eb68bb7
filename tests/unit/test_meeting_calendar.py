"""Regular meeting dates: nth weekday, moved off public holidays and 年末年始.

Holidays are real ones from jpholiday: 2026-11-03 (Tue) is 文化の日, 2026-09-22 (Tue) is
国民の休日 and the next day 秋分の日, 2027-01-01 is 元日.
"""

from __future__ import annotations

from datetime import date

from kasane.core.config_types import Cadence
from kasane.core.meetings.calendar import is_business_day, occurrences
from kasane_plugins.usuki import assumptions


def test_usukis_meeting_is_the_second_tuesday_at_two() -> None:
    # given 臼杵市's 重層的支援会議 cadence (monthly, 2nd Tuesday, 14:00)
    cadence = Cadence(**assumptions.JUSOTEKI_CADENCE)
    # when the dates of three months are worked out
    found = occurrences(cadence, date(2026, 12, 1), date(2027, 2, 28))
    # then each is the month's second Tuesday, none of them moved
    assert found == [
        (date(2026, 12, 8), date(2026, 12, 8)),
        (date(2027, 1, 12), date(2027, 1, 12)),
        (date(2027, 2, 9), date(2027, 2, 9)),
    ]
    assert cadence.time == "14:00"
    assert all(actual.weekday() == 1 for _nominal, actual in found)


def test_a_meeting_on_a_public_holiday_moves_to_the_next_business_day() -> None:
    # given a monthly meeting on the first Tuesday: in November 2026 that is 文化の日
    cadence = Cadence(frequency="monthly", weekday=1, nth=1, time="10:00")
    # when November is worked out
    found = occurrences(cadence, date(2026, 11, 1), date(2026, 11, 30))
    # then it keeps its nominal date as its identity but is held on Wednesday the 4th
    assert found == [(date(2026, 11, 3), date(2026, 11, 4))]


def test_a_move_skips_every_closed_day_in_a_row() -> None:
    # given the fourth Tuesday of September 2026: 国民の休日, then 秋分の日 on Wednesday
    cadence = Cadence(frequency="monthly", weekday=1, nth=4)
    # when September is worked out
    found = occurrences(cadence, date(2026, 9, 1), date(2026, 9, 30))
    # then the meeting is on Thursday the 24th
    assert found == [(date(2026, 9, 22), date(2026, 9, 24))]


def test_the_year_end_holidays_move_a_meeting_into_january() -> None:
    # given a weekly Tuesday meeting across the new year (12/29 to 1/3 the office is closed)
    cadence = Cadence(frequency="weekly", weekday=1, time="09:30")
    # when the last weeks of 2026 are worked out
    found = occurrences(cadence, date(2026, 12, 15), date(2027, 1, 12))
    # then 29 December moves past 元日 and the weekend to Monday 4 January
    assert found == [
        (date(2026, 12, 15), date(2026, 12, 15)),
        (date(2026, 12, 22), date(2026, 12, 22)),
        (date(2026, 12, 29), date(2027, 1, 4)),
        (date(2027, 1, 5), date(2027, 1, 5)),
        (date(2027, 1, 12), date(2027, 1, 12)),
    ]
    assert not is_business_day(date(2026, 12, 29)) and not is_business_day(date(2027, 1, 3))
    assert is_business_day(date(2026, 12, 28)) and is_business_day(date(2027, 1, 4))


def test_the_first_friday_of_january_is_never_new_years_day() -> None:
    # given a monthly meeting on the first Friday: in 2027 that is 元日
    cadence = Cadence(frequency="monthly", weekday=4, nth=1)
    # when January 2027 is worked out
    found = occurrences(cadence, date(2027, 1, 1), date(2027, 1, 31))
    # then it is held on the first business day, Monday 4 January
    assert found == [(date(2027, 1, 1), date(2027, 1, 4))]


def test_weekly_meetings_come_every_seven_days_from_the_first_matching_day() -> None:
    # given a weekly Thursday meeting and a range starting on a Monday
    cadence = Cadence(frequency="weekly", weekday=3)
    # when two weeks of June 2026 are worked out
    found = occurrences(cadence, date(2026, 6, 1), date(2026, 6, 14))
    # then there are two Thursdays
    assert found == [(date(2026, 6, 4), date(2026, 6, 4)), (date(2026, 6, 11), date(2026, 6, 11))]


def test_quarterly_meetings_follow_the_fiscal_quarters() -> None:
    # given a quarterly meeting on the second Wednesday
    cadence = Cadence(frequency="quarterly", weekday=2, nth=2, time="10:00")
    # when fiscal 2026 (April 2026 to March 2027) is worked out
    found = occurrences(cadence, date(2026, 4, 1), date(2027, 3, 31))
    # then it meets in April, July, October and January
    assert [actual for _nominal, actual in found] == [
        date(2026, 4, 8),
        date(2026, 7, 8),
        date(2026, 10, 14),
        date(2027, 1, 13),
    ]


def test_the_last_weekday_of_a_month() -> None:
    # given a meeting on the last Tuesday: in December 2026 that is the 29th (年末年始)
    cadence = Cadence(frequency="monthly", weekday=1, nth=-1)
    # when December is worked out
    found = occurrences(cadence, date(2026, 12, 1), date(2026, 12, 31))
    # then it moves into January
    assert found == [(date(2026, 12, 29), date(2027, 1, 4))]


def test_a_meeting_held_as_needed_has_no_regular_dates() -> None:
    # given the 支援会議, called as needed
    cadence = Cadence(frequency="as_needed")
    # when a whole year is worked out, then nothing is generated
    assert occurrences(cadence, date(2026, 4, 1), date(2027, 3, 31)) == []
