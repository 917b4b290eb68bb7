"""From a town's exact figures to its noisy released cells, margins and pools.

A released table of one unit (a town, or a prefecture's small-town group) is a mapping
``(measure, d1, d2) → value`` — ``d2`` is "" in a one-way table, ``*`` is a margin. The
noisy values here are the raw draws (they may be negative); :func:`shown` is the only step
that turns one into what is stored and shown (clamped at 0, None under 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Protocol

from kasane.central.noise import add_noise
from kasane.central.tables import (
    BASE_DIMENSION,
    FIELD_VALUES,
    MARGIN,
    SHOWN_FROM,
    ReleasedTable,
    quarter_of,
)
from kasane.core.reports.periods import Period

Grouping = tuple[str, ...]
CellKey = tuple[str, str, str]  # (measure, d1, d2)
Cells = dict[CellKey, int]
# Noise for cells no person changes (拠点数): added so no released count is exact, at no
# privacy cost (sensitivity 0).
ZERO_SENSITIVITY_SCALE = 1.0


class Exact(Protocol):
    """What a town's counting gives per indicator (:class:`kasane.core.reports.counting.Figure`
    has this shape; a synthetic town makes its own)."""

    @property
    def total(self) -> int: ...

    @property
    def tables(self) -> Mapping[Grouping, Mapping[tuple[str, ...], int]]: ...


@dataclass(frozen=True)
class SyntheticFigure:
    """An :class:`Exact` made up from numbers rather than counted (demo, bench, tests)."""

    total: int
    tables: Mapping[Grouping, Mapping[tuple[str, ...], int]]


def groupings_for(table: ReleasedTable) -> list[Grouping]:
    """The breakdowns the counting must give for ``table``: its cells, and for a two-way
    table each one-way margin (used by measures whose margins are not sums of cells)."""
    base = tuple(BASE_DIMENSION[d] for d in table.dims)
    return [base, *([(b,) for b in base] if len(base) > 1 else [])]


def _mapped(table: ReleasedTable, values: tuple[str, ...]) -> tuple[str, ...]:
    """Catalogue values → the table's values (a month → its quarter; an unknown field →
    ``other``, as the reports count counters of no national field)."""
    out = []
    for dim, value in zip(table.dims, values, strict=True):
        if dim == "quarter":
            value = quarter_of(value)
        elif dim == "field" and value not in FIELD_VALUES:
            value = "other"
        out.append(value)
    return tuple(out)


def _key(measure: str, values: Sequence[str]) -> CellKey:
    padded = [*values, "", ""][:2]
    return (measure, padded[0], padded[1])


def exact_cells(
    table: ReleasedTable, period: Period, figures: Mapping[str, Exact], measure: str
) -> Cells:
    """The exact cells of one measure (no margins): every combination of the table's values,
    zeros included, so an empty cell is noised like any other."""
    values = [table.dim_values(d, period) for d in table.dims]
    cells: Cells = {_key(measure, combo): 0 for combo in product(*values)}
    base = tuple(BASE_DIMENSION[d] for d in table.dims)
    for found, n in figures[measure].tables.get(base, {}).items():
        key = _key(measure, _mapped(table, found))
        if key not in cells:
            raise ValueError(f"{measure}: value {found} outside {table.key} for {period.slug()}")
        cells[key] += n
    return cells


def _exact_margins(table: ReleasedTable, figure: Exact, measure: str) -> Cells:
    """The margins of a measure that does not add up (distinct places over the period),
    straight from the counting's own breakdowns."""
    margins: Cells = {}
    if len(table.dims) == 1:
        margins[(measure, MARGIN, "")] = figure.total
        return margins
    margins[(measure, MARGIN, MARGIN)] = figure.total
    for i, dim in enumerate(table.dims):
        for (value,), n in figure.tables.get((BASE_DIMENSION[dim],), {}).items():
            mapped = quarter_of(value) if dim == "quarter" else value
            key = (measure, mapped, MARGIN) if i == 0 else (measure, MARGIN, mapped)
            margins[key] = margins.get(key, 0) + n
    return margins


def summed_margins(table: ReleasedTable, cells: Mapping[CellKey, int], measure: str) -> Cells:
    """The margins of an additive measure, as sums of its (noisy) cells: post-processing of
    released values, which spends no further privacy."""
    margins: Cells = {}
    for (m, d1, d2), value in cells.items():
        if m != measure or MARGIN in (d1, d2):
            continue
        targets = (
            [(m, MARGIN, "")]
            if len(table.dims) == 1
            else [
                (m, d1, MARGIN),
                (m, MARGIN, d2),
                (m, MARGIN, MARGIN),
            ]
        )
        for key in targets:
            margins[key] = margins.get(key, 0) + value
    return margins


def noisy_table(table: ReleasedTable, period: Period, figures: Mapping[str, Exact]) -> Cells:
    """One town's table with noise: the person-sensitive cells through one OpenDP mechanism
    at the table's scale, then the margins (sums of noisy cells, or noised on their own
    for measures no person changes)."""
    sensitive: Cells = {}
    untouched: Cells = {}
    for m in table.measures:
        cells = exact_cells(table, period, figures, m.key)
        if not m.additive:  # sensitivity 0 (checked by tables.check_catalogue)
            cells |= _exact_margins(table, figures[m.key], m.key)
        (sensitive if m.per_person else untouched).update(cells)
    noisy: Cells = {}
    for cells, scale in ((sensitive, table.scale(period)), (untouched, ZERO_SENSITIVITY_SCALE)):
        keys = list(cells)
        noisy.update(zip(keys, add_noise([cells[k] for k in keys], scale), strict=True))
    for m in table.measures:
        if m.additive:
            noisy |= summed_margins(table, noisy, m.key)
    return noisy


def pooled(tables: Sequence[Mapping[CellKey, int]]) -> Cells:
    """A small-town group's table: the sum of its members' noisy cells and margins (each
    member's noise already protects it; the sum needs none more)."""
    out: Cells = {}
    for cells in tables:
        for key, value in cells.items():
            out[key] = out.get(key, 0) + value
    return out


def shown(value: int) -> int | None:
    """What is stored and shown of a noisy value: clamped at 0, and None (「10未満」) under
    10."""
    value = max(0, value)
    return value if value >= SHOWN_FROM else None
