"""The date policy (issue 12): 和暦 from japanera with 元年, birth dates in 和暦, JST moments."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


def test_moments_are_shown_in_japan_time() -> None:
    # 2026-12-05 23:30 UTC is already the 6th in Japan
    assert jst_moment(datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == "令和8年12月6日 08:30"
