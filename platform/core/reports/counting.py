"""The aggregation API: exact figures for indicator keys, a period and dimensions.

:func:`get_figures` is a plain async function over a tenant-bound session and the tenant's
configuration — no request, no actor — so a page, an export, the CLI and a job that runs
per tenant (the central comparison) all count the same way. The figures are the town's
totals, straight from the records; who may see which records behind them is decided only
where a figure is drilled down (:mod:`kasane.core.reports.drill`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.config_types import TenantConfig
from kasane.core.japan_time import today_jst
from kasane.core.reports import sources_cases, sources_support
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.dimensions import DIMENSIONS
from kasane.core.reports.facts import Fact, Facts, Grouping, Scope, SharedReads, tally
from kasane.core.reports.indicator import Indicator
from kasane.core.reports.periods import Period

# Catalogue section → the source that reads its records (one read per report).
SOURCES: dict[str, Callable[[Scope], Awaitable[Facts]]] = {
    "consultations": sources_cases.consultations,
    "referrals": sources_cases.referrals,
    "collaboration": sources_cases.case_progress,
    "meetings": sources_cases.meetings,
    "outreach": sources_support.outreach,
    "participation": sources_support.participation,
    "community": sources_support.community,
    "gaps": sources_support.gaps,
}


@dataclass(frozen=True)
class Figure:
    """One indicator's exact figure for a period: the total and the asked-for breakdowns.

    ``tables[grouping][cell]`` is the count for one combination of values, e.g.
    ``tables[("field", "month")][("elderly", "2026-05")]``. Cells with nothing are absent
    (read them as 0); :func:`kasane.core.reports.dimensions.values_of` lists every value.
    """

    indicator: Indicator
    period: Period
    total: int
    tables: Mapping[Grouping, Mapping[tuple[str, ...], int]]

    @property
    def key(self) -> str:
        return self.indicator.key

    def by(self, dimension: str) -> dict[str, int]:
        """A one-dimension breakdown as value → count (it must have been asked for)."""
        return {cell[0]: n for cell, n in self.tables[(dimension,)].items()}

    def cell(self, grouping: Grouping, values: tuple[str, ...]) -> int:
        return self.tables[grouping].get(values, 0)


def groupings_of(dimensions: Sequence[str | Sequence[str]]) -> list[Grouping]:
    """``["field", ("field", "month")]`` → ``[("field",), ("field", "month")]``.

    Raises:
        ValueError: a dimension the catalogue does not know.
    """
    out: list[Grouping] = []
    for d in dimensions:
        grouping = (d,) if isinstance(d, str) else tuple(d)
        for name in grouping:
            if name not in DIMENSIONS:
                raise ValueError(f"unknown dimension {name!r}")
        if grouping not in out:
            out.append(grouping)
    return out


def figure_of(
    indicator: Indicator, period: Period, facts: list[Fact], groupings: Sequence[Grouping]
) -> Figure:
    """Tally ``facts`` into the indicator's figure, with the groupings it supports."""
    own = [g for g in groupings if all(d in indicator.dimensions for d in g)]
    result = tally(facts, own, indicator.adds)
    return Figure(indicator, period, result.total, result.tables)


async def get_figures(
    session: AsyncSession,
    config: TenantConfig,
    keys: Sequence[str],
    period: Period,
    dimensions: Sequence[str | Sequence[str]] = (),
    *,
    today: date | None = None,
    shared: SharedReads | None = None,
) -> dict[str, Figure]:
    """Exact figures of the core indicators ``keys`` for ``period``, by key.

    Args:
        session: bound to the tenant (its criteria and RLS scope every read).
        config: the tenant's configuration (counters → fields, meeting types → legal basis).
        keys: catalogue keys (:data:`~kasane.core.reports.catalogue.CATALOGUE`).
        period: the days counted, both ends included.
        dimensions: the breakdowns wanted: a dimension name for a one-way table, a tuple of
            names for a cross table (``("field", "month")``). A grouping naming a dimension an
            indicator does not have is left out of that indicator's figure.
        today: the day figures are counted as of (default: today in Japan). Nothing after
            it is counted as under way, kept for three months or overdue.
        shared: reads to share with the other readers of the same count (:mod:`.reads`).

    Returns:
        key → :class:`Figure`; each source's records are read once whatever the keys.

    Raises:
        KeyError: a key the catalogue does not know.
        ValueError: a dimension the catalogue does not know.
    """
    indicators = [CATALOGUE[k] for k in keys]
    groupings = groupings_of(dimensions)
    scope = Scope(session, config, period, today or today_jst(), shared or SharedReads())
    facts: dict[str, list[Fact]] = {}
    for section in dict.fromkeys(i.section for i in indicators):
        facts.update(await SOURCES[section](scope))
    return {i.key: figure_of(i, period, facts[i.key], groupings) for i in indicators}
