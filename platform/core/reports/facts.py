"""Facts: what a figure counts, one row each — a unit, the date it counts on, its dimensions.

A source (:mod:`.sources_cases`, :mod:`.sources_support`) is given a :class:`Scope` and
turns the records of its period into facts; a
figure is the tally of its facts (:func:`tally`). Keeping the two apart lets the core's and
a plugin's indicators add up the same way, and keeps every count traceable to records.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import String, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.config_types import TenantConfig
from kasane.core.japan_time import JST
from kasane.core.reports.periods import Period


@dataclass
class SharedReads:
    """What the readers of one count share (:mod:`.reads`): whether the count also builds
    the local indicators' records, and the consultation rows read so far."""

    with_records: bool = False
    consultations: dict[tuple[date, date, bool], list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """What every source is given: the tenant-bound session, its config, the period, today."""

    session: AsyncSession
    config: TenantConfig
    period: Period
    today: date
    # reads shared by the readers of one count (:mod:`.reads`); a new scope shares nothing
    shared: SharedReads = field(default_factory=SharedReads, compare=False)

    def moment(self, day: date) -> datetime:
        """The first instant of ``day`` in Japan, in UTC (for timestamp columns)."""
        return datetime.combine(day, time(0), JST).astimezone(UTC)

    @property
    def moments(self) -> tuple[datetime, datetime]:
        """[start, end) of the period as UTC instants."""
        return self.moment(self.period.start), self.moment(self.period.end + timedelta(days=1))


def jst_day(moment: datetime) -> date:
    return moment.astimezone(JST).date()


def raw(column: Any) -> Any:
    """A uuid column read as the database gives it (hex text on SQLite, a UUID from
    asyncpg): counting needs only equality, and skipping the conversion of tens of thousands
    of ids is a good part of a large town's report time on SQLite. The drill-down turns them
    back into UUIDs (:func:`as_uuid`)."""
    return type_coerce(column, String).label(column.key)


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


Ref = tuple[str, Any]  # the record behind a fact, for drilling down: ("case", case id) …


class Fact(NamedTuple):
    """One counted thing. ``unit`` is what counts once (a record id, a person id, a place);
    ``weight`` is added instead of counting when the indicator sums (参加者数); ``ref``
    names the record a staff member would open to check it (None: nothing to open)."""

    unit: Any
    on: date
    dims: Mapping[str, str]
    weight: int = 1
    ref: Ref | None = None


Facts = dict[str, list[Fact]]  # indicator key → its facts, as a source returns them


def dims_of(on: date, **dims: str | None) -> dict[str, str]:
    """A fact's dimensions: ``None`` read as "" (not recorded), and the month of ``on``."""
    values = {k: v or "" for k, v in dims.items()}
    values["month"] = f"{on.year:04d}-{on.month:02d}"
    return values


def fact(
    unit: Any,
    on: date,
    dims: Mapping[str, str | None] | None = None,
    *,
    weight: int = 1,
    ref: Ref | None = None,
    **more: str | None,
) -> Fact:
    """A fact dated ``on`` with the dimensions ``dims`` and ``more``; its ``month`` follows
    from the date, ``None`` → "". (A mapping of dimensions goes in ``dims``, not as
    ``**``: a dimension can then never be taken for ``weight`` or ``ref``.)"""
    return Fact(unit, on, dims_of(on, **{**(dims or {}), **more}), weight, ref)


def span_facts(
    unit: Any,
    first: date,
    last: date | None,
    period: Period,
    today: date,
    *,
    ref: Ref | None = None,
    **dims: str | None,
) -> Iterator[Fact]:
    """Facts for something under way from ``first`` to ``last`` (None: still going): one per
    month it overlaps within the period, up to ``today`` (a month to come is not counted).

    A distinct count then has the unit once in the total and once in each month."""
    start = max(first, period.start)
    end = min(last or today, period.end, today)
    day = start
    while day <= end:
        yield fact(unit, day, dims, ref=ref)
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


Grouping = tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    """A total and, per grouping of dimensions, the count of each combination of values."""

    total: int
    tables: Mapping[Grouping, Mapping[tuple[str, ...], int]] = field(default_factory=dict)


def tally(
    facts: Iterable[Fact], groupings: Sequence[Grouping], adds: Literal["distinct", "sum"]
) -> Tally:
    """Add up facts: distinct units (each once in the total and once per cell) or weights."""
    if adds == "sum":
        total = 0
        sums: dict[Grouping, dict[tuple[str, ...], int]] = {g: {} for g in groupings}
        for f in facts:
            total += f.weight
            for g in groupings:
                cell = tuple(f.dims.get(d, "") for d in g)
                sums[g][cell] = sums[g].get(cell, 0) + f.weight
        return Tally(total, sums)
    facts = list(facts)
    units = {f.unit for f in facts}
    if len(units) == len(facts):  # each fact its own unit (records): a plain count will do
        tables: dict[Grouping, dict[tuple[str, ...], int]] = {}
        for g in groupings:
            if len(g) == 1:  # the common case, without a tuple per fact
                counts = Counter(f.dims.get(g[0], "") for f in facts)
                tables[g] = {(value,): n for value, n in counts.items()}
            else:
                tables[g] = dict(Counter(tuple(f.dims.get(d, "") for d in g) for f in facts))
        return Tally(len(units), tables)
    cells: dict[Grouping, dict[tuple[str, ...], set[Any]]] = {g: {} for g in groupings}
    for f in facts:
        for g in groupings:
            cells[g].setdefault(tuple(f.dims.get(d, "") for d in g), set()).add(f.unit)
    return Tally(
        len(units), {g: {cell: len(u) for cell, u in table.items()} for g, table in cells.items()}
    )
