"""Periods in the town's terms: fiscal years April–March in 令和, quarters, months, ranges;
and the small date rules the counts rest on (three months on, one fact a month)."""

from __future__ import annotations

from datetime import date

import pytest

from kasane.core.reports.catalogue import CATALOGUE, INDICATORS
from kasane.core.reports.dimensions import DIMENSIONS
from kasane.core.reports.facts import add_months, fact, span_facts, tally
from kasane.core.reports.indicator import SECTIONS
from kasane.core.reports.periods import Period, era_date, fiscal_year_of, month_label


def test_a_fiscal_year_runs_april_to_march_and_reads_in_reiwa() -> None:
    fy = Period.fiscal_year(2026)
    assert (fy.start, fy.end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert fy.label("ja") == "令和8年度（2026年度）" and fy.label("en") == "FY2026"
    assert Period.fiscal_year(2019).label("ja").startswith("令和元年度")
    assert Period.fiscal_year(2018).label("ja").startswith("平成30年度")
    assert fiscal_year_of(date(2027, 3, 31)) == 2026 and fiscal_year_of(date(2027, 4, 1)) == 2027
    assert len(fy.month_keys()) == 12 and fy.month_keys()[0] == "2026-04"


def test_quarters_months_and_ranges() -> None:
    q4 = Period.quarter(2026, 4)
    assert (q4.start, q4.end) == (date(2027, 1, 1), date(2027, 3, 31))
    q2 = Period.quarter(2026, 2)
    assert (q2.start, q2.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Period.month(2028, 2).end == date(2028, 2, 29)
    assert month_label("2019-04") == "平成31年4月" and month_label("2019-05") == "令和元年5月"
    assert month_label("2026-11", "en") == "November 2026"
    assert era_date(date(2026, 12, 6)) == "令和8年12月6日"
    with pytest.raises(ValueError):
        Period.between(date(2026, 5, 1), date(2026, 4, 1))
    with pytest.raises(ValueError):
        Period.quarter(2026, 5)


def test_the_elapsed_share_gives_the_pace_to_date() -> None:
    fy = Period.fiscal_year(2026)
    assert fy.elapsed_share(date(2026, 3, 31)) == 0.0
    assert fy.elapsed_share(date(2026, 4, 1)) == pytest.approx(1 / 365)
    assert fy.elapsed_share(date(2027, 5, 1)) == 1.0


def test_three_months_on_and_one_fact_per_month_under_way() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 10, 1), 3) == date(2026, 1, 1)
    period = Period.fiscal_year(2025)
    months = [
        f.dims["month"] for f in span_facts("x", date(2025, 2, 10), None, period, date(2025, 6, 3))
    ]
    assert months == ["2025-04", "2025-05", "2025-06"]  # from the period's start, up to today
    # one unit in three months: once in the total, once a month
    result = tally(
        span_facts("x", date(2025, 4, 5), date(2025, 6, 1), period, date(2026, 1, 1)),
        [("month",)],
        "distinct",
    )
    assert result.total == 1 and sum(result.tables[("month",)].values()) == 3
    summed = tally(
        [fact("a", date(2025, 4, 1), weight=3), fact("b", date(2025, 4, 2), weight=4)], [], "sum"
    )
    assert summed.total == 7


def test_the_catalogue_is_complete_and_consistent() -> None:
    assert len(CATALOGUE) == len(INDICATORS)
    for indicator in INDICATORS:
        assert indicator.section in SECTIONS, indicator.key
        assert indicator.key.startswith(indicator.section + "."), indicator.key
        assert set(indicator.dimensions) <= set(DIMENSIONS), indicator.key
        assert "month" in indicator.dimensions, indicator.key
        assert all(indicator.name) and all(indicator.definition), indicator.key
        assert indicator.unit_text("ja") and indicator.unit_text("en")
