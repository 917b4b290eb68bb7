"""The date policy (issue 12): 和暦 from japanera with 元年, birth dates in 和暦, JST moments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from japanera import EraDate

from kasane.core import japan_time
from kasane.core.japan_time import jst_moment, wareki
from kasane.core.reports.periods import era_year


def test_era_boundaries_and_the_first_year() -> None:
    assert wareki(date(1989, 1, 7)) == "昭和64年1月7日"
    assert wareki(date(1989, 1, 8)) == "平成元年1月8日"  # never 平成1年
    assert wareki(date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(date(1945, 8, 15)) == "昭和20年8月15日"  # a birth date, not 1945年
    assert wareki(date(2026, 12, 6), western=True) == "令和8年12月6日（2026）"
    assert wareki(date(2026, 12, 6), english=True) == "2026-12-06"
    assert era_year(2019, fiscal=True) == "令和元年度" and era_year(1989) == "平成元年"


def test_every_day_reads_as_japanera_writes_it_whatever_day_is_asked_first() -> None:
    # the eras' spans are learnt from the days asked: a day asked first in the middle of an
    # era, or on its last day, must not shift the next era's years
    japan_time._ERAS.clear()
    days = [date(1912, 7, 30) + timedelta(days=n) for n in range(0, 42_000, 3)]
    days += [date(1926, 12, 24), date(1926, 12, 25), date(1989, 1, 7), date(2019, 4, 30)]
    random.Random(8).shuffle(days)
    for day in days:
        era = EraDate.from_date(day)
        year = int(era.strftime("%-Y"))
        expected = f"{era.strftime('%-K')}{'元' if year == 1 else year}年{day.month}月{day.day}日"
        assert wareki(day) == expected, day
    assert len(japan_time._ERAS) == 4  # 大正, 昭和, 平成, 令和: each looked up once


def test_moments_are_shown_in_japan_time() -> None:
    # 2026-12-05 23:30 UTC is already the 6th in Japan
    assert jst_moment(datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == "令和8年12月6日 08:30"
