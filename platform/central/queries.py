"""Reading released figures: the comparison of towns, the periods released, the budget.

Only the released tables and the budget ledger are read here — on PostgreSQL through a role
that can read nothing else. A value is what the release stored: None means 「10未満」. A rate
per 100,000 people uses the population the town stated; it is shown only beside a value
that is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.cells import ZERO_SENSITIVITY_SCALE
from kasane.central.models import BudgetEntry, CentralRelease, ReleasedCell
from kasane.central.noise import noise_sd
from kasane.central.tables import BUDGET, MARGIN, TABLE_OF, TABLES, ReleasedTable
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.indicator import pick
from kasane.core.reports.periods import Period, month_label

# Peer groups by population (the upper bound is exclusive); small-town groups are their own.
BANDS: dict[str, tuple[int, int | None, str]] = {
    "under25k": (0, 25_000, N_("Under 25,000 people")),
    "25k-100k": (25_000, 100_000, N_("25,000 to 99,999 people")),
    "100k-300k": (100_000, 300_000, N_("100,000 to 299,999 people")),
    "300k+": (300_000, None, N_("300,000 people and more")),
    "groups": (0, None, N_("Small-town groups")),
}
MEASURES: tuple[str, ...] = tuple(m.key for t in TABLES for m in t.measures)
FIELD_LABELS = {
    "elderly": N_("Elderly"),
    "disability": N_("Disability"),
    "children": N_("Children"),
    "poverty": N_("Poverty"),
    "other": N_("Other (general counters and more)"),
}


def band_of(kind: str, population: int | None) -> str:
    if kind == "pool":
        return "groups"
    for key, (low, high, _label) in BANDS.items():
        if key != "groups" and population is not None and population >= low:
            if high is None or population < high:
                return key
    return "under25k"


def value_label(dim: str, value: str, locale: str) -> str:
    """How a dimension's value reads: a field, a month (令和8年11月) or a quarter."""
    if dim == "field":
        return _(FIELD_LABELS.get(value, value))
    if dim == "month":
        return month_label(value, locale)
    if dim == "quarter":  # fy2026q3
        return _("Quarter %(n)s", n=value[-1])
    return value


def measure_name(measure: str, locale: str) -> str:
    return CATALOGUE[measure].title(locale)


def table_name(table: ReleasedTable, locale: str) -> str:
    return pick(table.name, locale)


@dataclass(frozen=True)
class Release:
    """One released period (every table and town released for it)."""

    key: str
    kind: str
    start: date
    end: date
    released_at: datetime

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, self.kind)  # type: ignore[arg-type]


async def list_releases(session: AsyncSession) -> list[Release]:
    """Every released period, the newest period first."""
    rows = (
        await session.execute(
            select(
                CentralRelease.release_key,
                CentralRelease.period_kind,
                CentralRelease.period_start,
                CentralRelease.period_end,
                func.max(CentralRelease.released_at),
            )
            .group_by(
                CentralRelease.release_key,
                CentralRelease.period_kind,
                CentralRelease.period_start,
                CentralRelease.period_end,
            )
            .order_by(CentralRelease.period_end.desc(), CentralRelease.period_start)
        )
    ).all()
    return [Release(*r) for r in rows]


@dataclass
class Row:
    """One town (or small-town group) of a comparison."""

    unit_code: str
    kind: str  # town | pool
    name: str
    prefecture: str
    prefecture_code: str
    population: int | None
    members: int
    synthetic: bool
    epsilon: float
    released_at: datetime
    value: int | None = None  # None: 「10未満」
    cells: dict[str, int | None] = field(default_factory=dict)  # breakdown value → value
    own: bool = False

    @property
    def band(self) -> str:
        return band_of(self.kind, self.population)

    @property
    def rate(self) -> float | None:
        """Per 100,000 people, one decimal; None when the value or population is not known."""
        if self.value is None or not self.population:
            return None
        return round(self.value * 100_000 / self.population, 1)


@dataclass
class Comparison:
    """What a comparison page (and its CSV) shows."""

    measure: str
    table: ReleasedTable
    release: Release
    rows: list[Row]
    breakdown: str | None  # the dimension broken down by, if any
    breakdown_values: list[str]
    scale: float
    own_unit: str | None = None  # where the viewing town's figures went (its row or group)

    @property
    def noise_sd(self) -> float:
        """The standard deviation of the noise in a shown total: a sum of its noisy cells
        (their noise adds up: √cells × one cell's), or noised on its own (拠点数)."""
        m = self.table.measure(self.measure)
        if not m.additive or not m.per_person:
            return noise_sd(ZERO_SENSITIVITY_SCALE)
        period = self.release.period
        cells = math.prod(len(self.table.dim_values(d, period)) for d in self.table.dims)
        return math.sqrt(cells) * noise_sd(self.scale)


@dataclass(frozen=True)
class Scope:
    """Which towns a viewer may compare: every town, or one prefecture's (by the first two
    digits of the municipality code)."""

    prefecture_code: str | None = None

    def allows(self, prefecture_code: str) -> bool:
        return self.prefecture_code is None or prefecture_code == self.prefecture_code


async def get_comparison(
    session: AsyncSession,
    *,
    measure: str,
    release: Release,
    scope: Scope,
    prefecture_code: str | None = None,
    band: str | None = None,
    breakdown: bool = False,
    metric: str = "rate",
    own_code: str | None = None,
) -> Comparison:
    """The towns side by side for one measure and one released period, within ``scope``
    (and the chosen prefecture and population band), ordered by ``metric`` (``rate`` per
    100,000 people, or ``value``), the largest first and 「10未満」 last.

    Raises:
        KeyError: a measure that is not released.
    """
    table = TABLE_OF[measure]
    stmt = _comparison_query(table, measure, release, scope, prefecture_code)
    rows, scale = _rows_of(table, (await session.execute(stmt)).all())
    first_dim = table.dims[0]
    own_unit = await where_figures_went(session, own_code, release.key, table.key)
    found = [r for r in rows.values() if band in (None, "", r.band)]
    for r in found:
        r.own = r.unit_code == own_unit
    values = table.dim_values(first_dim, release.period) if breakdown else []

    def order(r: Row) -> tuple[int, float, str]:
        shown = r.rate if metric == "rate" else r.value
        return (shown is None, -(shown or 0), r.name)

    return Comparison(
        measure,
        table,
        release,
        sorted(found, key=order),
        first_dim if breakdown else None,
        values,
        scale,
        own_unit,
    )


def _comparison_query(
    table: ReleasedTable,
    measure: str,
    release: Release,
    scope: Scope,
    prefecture_code: str | None,
) -> Select[CentralRelease, str, str, int | None]:
    """The released cells of one measure and period, within the scope and prefecture."""
    stmt = (
        select(CentralRelease, ReleasedCell.d1, ReleasedCell.d2, ReleasedCell.value)
        .join(ReleasedCell, ReleasedCell.release_id == CentralRelease.id)
        .where(
            CentralRelease.release_key == release.key,
            CentralRelease.table_key == table.key,
            ReleasedCell.measure == measure,
        )
    )
    if scope.prefecture_code:
        stmt = stmt.where(CentralRelease.prefecture_code == scope.prefecture_code)
    if prefecture_code:
        stmt = stmt.where(CentralRelease.prefecture_code == prefecture_code)
    return stmt


def _rows_of(table: ReleasedTable, found: Sequence[Any]) -> tuple[dict[str, Row], float]:
    """One row per released unit (its total and its first breakdown), and the noise scale."""
    rows: dict[str, Row] = {}
    scale = 0.0
    for rel, d1, d2, value in found:
        scale = rel.scale
        row = rows.get(rel.unit_code)
        if row is None:
            row = rows[rel.unit_code] = Row(
                rel.unit_code,
                rel.unit_kind,
                rel.name,
                rel.prefecture,
                rel.prefecture_code,
                rel.population,
                rel.members,
                rel.synthetic,
                rel.epsilon,
                rel.released_at,
            )
        rest = MARGIN if len(table.dims) > 1 else ""
        if d1 == MARGIN and d2 == rest:
            row.value = value
        elif d1 != MARGIN and d2 == rest:
            row.cells[d1] = value
    return rows, scale


async def where_figures_went(
    session: AsyncSession, code: str | None, release_key: str, table_key: str
) -> str | None:
    """The unit a town's figures were released under (its own code or its group), or None."""
    if not code:
        return None
    return (
        await session.execute(
            select(BudgetEntry.unit_code).where(
                BudgetEntry.municipality_code == code,
                BudgetEntry.release_key == release_key,
                BudgetEntry.table_key == table_key,
                BudgetEntry.kind == "spend",
            )
        )
    ).scalar_one_or_none()


async def list_prefectures(session: AsyncSession, scope: Scope) -> list[tuple[str, str]]:
    """(code, name) of the prefectures with released figures, within ``scope``."""
    rows = (
        await session.execute(
            select(CentralRelease.prefecture_code, CentralRelease.prefecture)
            .distinct()
            .order_by(CentralRelease.prefecture_code)
        )
    ).all()
    return [(c, n) for c, n in rows if scope.allows(c)]


@dataclass
class BudgetRow:
    """One town's privacy budget in a fiscal year."""

    code: str
    name: str
    prefecture: str
    synthetic: bool
    spent: float = 0.0
    tables: int = 0
    refusals: list[tuple[str, str, float]] = field(default_factory=list)  # (release, table, ε)

    @property
    def remaining(self) -> float:
        return max(0.0, BUDGET - self.spent)


async def get_budget(session: AsyncSession, fiscal_year: int, scope: Scope) -> list[BudgetRow]:
    """Every town in the ledger for ``fiscal_year`` (within ``scope``): ε spent, what is left,
    and every release refused for it; towns with a refusal first."""
    stmt = select(BudgetEntry).where(BudgetEntry.fiscal_year == fiscal_year)
    if scope.prefecture_code:
        stmt = stmt.where(func.substr(BudgetEntry.municipality_code, 1, 2) == scope.prefecture_code)
    found: dict[str, BudgetRow] = {}
    for e in (await session.execute(stmt.order_by(BudgetEntry.at))).scalars():
        row = found.setdefault(
            e.municipality_code, BudgetRow(e.municipality_code, e.name, e.prefecture, e.synthetic)
        )
        if e.kind == "spend":
            row.spent += e.epsilon
            row.tables += 1
        else:
            row.refusals.append((e.release_key, e.table_key, e.epsilon))
    return sorted(found.values(), key=lambda r: (not r.refusals, r.prefecture, r.code))


async def list_fiscal_years(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(BudgetEntry.fiscal_year).distinct().order_by(BudgetEntry.fiscal_year.desc())
    )
    return list(rows.scalars())


async def town_ledger(session: AsyncSession, code: str) -> list[dict[str, Any]]:
    """A town's own ledger (its sharing page): every entry, the newest first."""
    rows = await session.execute(
        select(BudgetEntry)
        .where(BudgetEntry.municipality_code == code)
        .order_by(BudgetEntry.at.desc(), BudgetEntry.table_key)
    )
    return [
        {
            "fiscal_year": e.fiscal_year,
            "release_key": e.release_key,
            "table_key": e.table_key,
            "kind": e.kind,
            "epsilon": e.epsilon,
            "unit_code": e.unit_code,
            "at": e.at,
        }
        for e in rows.scalars()
    ]
