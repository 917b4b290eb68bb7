"""Synthetic towns: made-up exact figures, for the demo, the benchmark and the tests.

SYNTHETIC — nothing here is counted from records, and no person exists behind any number.
A synthetic town's "exact" figures are drawn from its population with a fixed seed per town
and month (so a month reads the same in a monthly and in a fiscal-year release), then go
through the very same noise, pooling and budget as a real town's. Everything released from
them carries ``synthetic = true`` and is marked 「合成」 on every page and in every download.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from kasane.central.cells import Exact, SyntheticFigure
from kasane.central.release_types import Grouping, Town
from kasane.central.tables import FIELD_VALUES
from kasane.core.reports.periods import Period

# New consultations by field (shares of a town's year).
FIELD_SHARES = {
    "elderly": 0.34,
    "disability": 0.16,
    "children": 0.15,
    "poverty": 0.25,
    "other": 0.1,
}
# Per 100,000 people per year, before each town's own factor (0.5–1.6).
PER_100K_YEAR = {
    "consultations.new": 150.0,
    "collaboration.taken_in": 45.0,
    "collaboration.closed": 34.0,
    "collaboration.suspended": 5.0,
    "participation.started": 16.0,
    "participation.retained": 10.0,
}
PLACES_PER_100K = 70.0
PARTICIPANTS_PER_PLACE_MONTH = 28.0


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:  # a normal approximation is close enough for made-up numbers
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _factor(code: str, what: str) -> float:
    """The town's own level for one kind of figure (stable per town)."""
    return random.Random(f"{code}:{what}").uniform(0.5, 1.6)


def month_values(code: str, population: int, month: str) -> dict[str, dict[str, int]]:
    """One month of a synthetic town: indicator key → field (or "") → count."""
    rng = random.Random(f"{code}:{month}")
    scale = population / 100_000 / 12
    out: dict[str, dict[str, int]] = {}
    level = _factor(code, "consultations")
    out["consultations.new"] = {
        f: _poisson(rng, PER_100K_YEAR["consultations.new"] * scale * level * FIELD_SHARES[f])
        for f in FIELD_VALUES
    }
    for key in ("collaboration.taken_in", "collaboration.closed", "collaboration.suspended"):
        out[key] = {"": _poisson(rng, PER_100K_YEAR[key] * scale * _factor(code, "collab"))}
    for key in ("participation.started", "participation.retained"):
        out[key] = {"": _poisson(rng, PER_100K_YEAR[key] * scale * _factor(code, "part"))}
    places = places_of(code, population)
    active = max(0, places - rng.randint(0, max(1, places // 5)))
    out["community.places"] = {"": active}
    participants = active * PARTICIPANTS_PER_PLACE_MONTH * _factor(code, "community")
    out["community.participants"] = {"": _poisson(rng, participants)}
    return out


def places_of(code: str, population: int) -> int:
    return max(1, round(population / 100_000 * PLACES_PER_100K * _factor(code, "places")))


def synthetic_figures(
    code: str, population: int, period: Period, keys: Sequence[str], groupings: Sequence[Grouping]
) -> dict[str, Exact]:
    """The made-up exact figures of ``keys`` for ``period``, with the asked-for breakdowns
    (``field``, ``month`` and their cross table)."""
    months = {m: month_values(code, population, m) for m in period.month_keys()}
    out: dict[str, Exact] = {}
    for key in keys:
        cells = {(f or "other", m): n for m, v in months.items() for f, n in v[key].items()}
        tables: dict[Grouping, dict[tuple[str, ...], int]] = {}
        for g in groupings:
            table: dict[tuple[str, ...], int] = {}
            for (f, m), n in cells.items():
                cell = tuple(f if d == "field" else m for d in g)
                table[cell] = table.get(cell, 0) + n
            tables[g] = table
        if key == "community.places":  # distinct places over the period, not a sum
            total = max(cells.values(), default=0)
        else:
            total = sum(cells.values())
        out[key] = SyntheticFigure(total, tables)
    return out


def synthetic_town(
    code: str,
    name: str,
    prefecture: str,
    population: int,
    *,
    fixed: Mapping[str, int] | None = None,
) -> Town:
    """A synthetic town. ``fixed`` (tests): indicator key → the exact count of its first
    cell (first field, first month) for any period, every other cell 0 — a known count."""

    async def count(
        period: Period, keys: Sequence[str], groupings: Sequence[Grouping], today: date
    ) -> Mapping[str, Exact]:
        if fixed is None:
            return synthetic_figures(code, population, period, keys, groupings)
        return {k: _known(fixed.get(k, 0), period, groupings) for k in keys}

    return Town(code, name, prefecture, population, count, synthetic=True)


def _known(n: int, period: Period, groupings: Sequence[Grouping]) -> Exact:
    first = {"field": FIELD_VALUES[0], "month": period.month_keys()[0]}
    tables: dict[Grouping, Any] = {g: {tuple(first[d] for d in g): n} for g in groupings}
    return SyntheticFigure(n, tables)
