"""Japan time: what staff mean by "today", and the zone every date shown is in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def today_jst() -> date:
    """The date in Japan (due dates, meeting days and records are calendar days there)."""
    return datetime.now(JST).date()


# ------------------------------------------------------------------ how dates are shown
#
# One policy for the whole UI (decision 0019): calendar days in 和暦 with the 西暦 year where
# staff compare across years (令和8年12月6日 (2026)) — the era from japanera, a maintained
# era table, with 元年 for an era's first year; birth dates in 和暦 only (昭和20年8月15日);
# moments (timestamps, stored in UTC) in JST, 和暦 day and a 24-hour time. English pages
# keep ISO dates (2026-12-06), still in JST.


# The eras met so far, as (since, until or None, name): a handful in practice (birth dates
# reach back to 大正), each found once. japanera searches its whole table on every call —
# a third of the case page's time before dates were cached, and still a miss per new day
# when the cache was by day (a case list spans thousands of days).
_ERAS: list[tuple[date, date | None, str]] = []


def era_of(day: date) -> tuple[str, str]:
    """The era's name and its year (元 for the first) of ``day``. The era's span comes from
    japanera once, the first time a day in it is asked (a new era means a new japanera,
    which means a restart)."""
    span = next((e for e in _ERAS if e[0] <= day and (e[1] is None or day < e[1])), None)
    if span is None:
        from japanera import EraDate  # here: a module-level import costs every CLI call

        era = EraDate.from_date(day).era
        span = (era.since, era.until, str(era.kanji))
        _ERAS.append(span)
    since, _, name = span
    year = day.year - since.year + 1
    return name, "元" if year == 1 else str(year)


def wareki(day: date | None, *, western: bool = False, english: bool = False) -> str:
    """``令和8年12月6日`` (``western``: with ``(2026)``); ISO in English."""
    if day is None:
        return ""
    if english:
        return day.isoformat()
    era, year = era_of(day)
    text = f"{era}{year}年{day.month}月{day.day}日"
    return f"{text}（{day.year}）" if western else text


def jst_moment(moment: datetime | None, *, english: bool = False) -> str:
    """A stored UTC moment as staff read it: 令和8年12月6日 14:05 (JST)."""
    if moment is None:
        return ""
    local = moment.astimezone(JST)
    return f"{wareki(local.date(), english=english)} {local:%H:%M}"
