"""Periods in the town's terms: fiscal years (April–March, 令和N年度), quarters, months, ranges.

A :class:`Period` is two calendar dates in Japan time, both included. Every label is given in
Japanese (和暦 first, 西暦 in brackets, as staff write them in reports to the State) and in
English; :func:`era_year` and :func:`era_date` are the 和暦 rules the labels use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from kasane.core.japan_time import era_of, wareki

PeriodKind = Literal["fy", "quarter", "month", "range"]
MONTH_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def fiscal_year_of(day: date) -> int:
    """The fiscal year a date belongs to, named by the calendar year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def era_year(year: int, *, fiscal: bool = False) -> str:
    """和暦 year: 令和8年, 令和元年; ``fiscal`` names a fiscal year (令和元年度 is FY2019, which
    began in 平成31年4月: the 年度 takes the era in force for most of it). The era table is
    japanera's, through the date policy (``japan_time``)."""
    era, n = era_of(date(year, 12, 31))
    return f"{era}{n}年{'度' if fiscal else ''}"


def era_month(year: int, month: int) -> str:
    """令和8年4月; April 2019 is still 平成31年4月."""
    return era_date(date(year, month, 1)).removesuffix("1日")


def era_date(day: date) -> str:
    """令和8年12月6日 (平成31年4月30日, 令和元年5月1日): the date policy's 和暦."""
    return wareki(day)


def month_key(day: date) -> str:
    """``YYYY-MM``: the value of the ``month`` dimension."""
    return f"{day.year:04d}-{day.month:02d}"


def month_label(key: str, locale: str = "ja") -> str:
    """``2026-11`` → 令和8年11月 (ja) or November 2026 (en)."""
    year, month = int(key[:4]), int(key[5:7])
    if locale == "ja":
        return era_month(year, month)
    return f"{MONTH_EN[month - 1]} {year}"


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both included (calendar days in Japan)."""

    start: date
    end: date
    kind: PeriodKind = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    # ------------------------------------------------------------ constructors

    @classmethod
    def fiscal_year(cls, fy: int) -> Period:
        """April 1 of ``fy`` to March 31 of the next year."""
        return cls(date(fy, 4, 1), date(fy + 1, 3, 31), "fy")

    @classmethod
    def quarter(cls, fy: int, q: int) -> Period:
        """Quarter ``q`` (1-4) of fiscal year ``fy``: Q1 is April–June, Q4 January–March."""
        if q not in (1, 2, 3, 4):
            raise ValueError("a quarter is 1, 2, 3 or 4")
        first = date(fy + 1, 1, 1) if q == 4 else date(fy, 1 + 3 * q, 1)
        return cls(first, _month_end(first.year, first.month + 2), "quarter")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), _month_end(year, month), "month")

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        return cls(start, end, "range")

    # ------------------------------------------------------------ facts

    @property
    def fiscal_year_number(self) -> int:
        """The fiscal year the period starts in."""
        return fiscal_year_of(self.start)

    @property
    def quarter_number(self) -> int:
        """1-4 for a quarter (Q1 is April–June); meaningless for other kinds."""
        return {4: 1, 7: 2, 10: 3, 1: 4}.get(self.start.month, 0)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def month_keys(self) -> list[str]:
        """Every month the period touches, in order (``YYYY-MM``)."""
        keys, year, month = [], self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return keys

    def elapsed_share(self, today: date) -> float:
        """How much of the period has passed by the end of ``today`` (0.0 to 1.0)."""
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return ((today - self.start).days + 1) / self.days

    def label(self, locale: str = "ja") -> str:
        """令和8年度（2026年度） · 令和8年11月 · 令和8年度 第3四半期 … or the English."""
        fy = self.fiscal_year_number
        if self.kind == "fy":
            return f"{era_year(fy, fiscal=True)}（{fy}年度）" if locale == "ja" else f"FY{fy}"
        if self.kind == "month":
            key = month_key(self.start)
            if locale == "ja":
                return f"{month_label(key)}（{self.start.year}年{self.start.month}月）"
            return month_label(key, "en")
        if self.kind == "quarter":
            q = self.quarter_number
            if locale == "ja":
                return (
                    f"{era_year(fy, fiscal=True)} 第{q}四半期（{self.start.year}年"
                    f"{self.start.month}月〜{self.end.year}年{self.end.month}月）"
                )
            return f"FY{fy} Q{q}"
        if locale == "ja":
            return (
                f"{era_date(self.start)}〜{era_date(self.end)}"
                f"（{self.start.isoformat()}〜{self.end.isoformat()}）"
            )
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def slug(self) -> str:
        """A short name for files: ``fy2026``, ``2026-11``, ``fy2026q3``, ``20260401-20261206``."""
        if self.kind == "fy":
            return f"fy{self.fiscal_year_number}"
        if self.kind == "month":
            return month_key(self.start)
        if self.kind == "quarter":
            return f"fy{self.fiscal_year_number}q{self.quarter_number}"
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"
