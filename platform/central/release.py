"""The release job: count each opted-in town, add noise, pool small towns, spend the budget,
write the released tables — all or nothing, and never the same period twice.

:func:`do_release` is what ``kasane metrics release`` and the monthly ``central_release``
job run: for every town given (the opted-in tenants, counted through the reports' exact
aggregation API, and in the demo synthetic towns) and every catalogue table of the period:

1. a (town, table) already released for the period is left alone: a re-run releases
   nothing new and spends nothing;
2. a town whose fiscal-year budget cannot pay for all its tables is refused — the whole
   release, for that town — with a refusal in the ledger and in the job's output;
3. the others are counted and noised (:mod:`.cells`); in a release shorter than a fiscal
   year a small town (under 25,000 people, or under 30 new consultations by its noisy
   count) is shown only inside its prefecture's small-town group, and not at all when the
   group has fewer than three towns;
4. in one transaction: the released tables, their cells, one ledger entry per town and
   table (ε spent, and where its figures went). On PostgreSQL an advisory lock makes
   releases take turns; a release that finds the ledger changed since it counted stops.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.cells import Cells, groupings_for, noisy_table, pooled, shown
from kasane.central.models import BudgetEntry, CentralRelease, ReleasedCell
from kasane.central.noise import check_privacy
from kasane.central.release_types import Outcome, Progress, Town, TownResult
from kasane.central.tables import (
    BUDGET,
    EPSILON,
    MARGIN,
    POOL_MIN_MEMBERS,
    SMALL_CASES,
    SMALL_POPULATION,
    ReleasedTable,
    tables_for,
)
from kasane.core.db import Database, utcnow, uuid7
from kasane.core.reports.periods import Period

CHUNK = 5_000


class ReleaseInvalid(ValueError):
    """The release cannot run: a period not over yet, or no table for it."""


class ReleaseConflict(RuntimeError):
    """Another release changed the ledger while this one was counting; run it again."""


@dataclass(frozen=True)
class _Ledger:
    spent: dict[str, float]  # municipality code → ε spent in the fiscal year
    done: frozenset[tuple[str, str]]  # (code, table) released for this period
    refused: frozenset[tuple[str, str]]  # (code, table) refused for this period
    pools: frozenset[tuple[str, str]]  # (pool code, table) released for this period


async def _ledger(session: AsyncSession, period: Period) -> _Ledger:
    fy, key = period.fiscal_year_number, period.slug()
    spent = dict(
        (
            await session.execute(
                select(BudgetEntry.municipality_code, func.sum(BudgetEntry.epsilon))
                .where(BudgetEntry.fiscal_year == fy, BudgetEntry.kind == "spend")
                .group_by(BudgetEntry.municipality_code)
            )
        ).all()
    )
    entries = (
        await session.execute(
            select(BudgetEntry.municipality_code, BudgetEntry.table_key, BudgetEntry.kind).where(
                BudgetEntry.release_key == key
            )
        )
    ).all()
    pools = (
        await session.execute(
            select(CentralRelease.unit_code, CentralRelease.table_key).where(
                CentralRelease.release_key == key, CentralRelease.unit_kind == "pool"
            )
        )
    ).all()
    return _Ledger(
        {code: float(eps) for code, eps in spent.items()},
        frozenset((c, t) for c, t, kind in entries if kind == "spend"),
        frozenset((c, t) for c, t, kind in entries if kind == "refusal"),
        frozenset((c, t) for c, t in pools),
    )


def _is_small(town: Town, period: Period, noisy: Mapping[str, Cells]) -> bool:
    """Shown per fiscal year only: a release shorter than a year shows a town under 25,000
    people — or with under 30 new consultations by its *noisy* count (deciding on the exact
    count would leak it) — only inside its prefecture's group."""
    if period.kind == "fy":
        return False
    if town.population is None or town.population < SMALL_POPULATION:
        return True
    consultations = noisy.get("consultations")
    if consultations is None:  # not in this release: the population rule alone applies
        return False
    return consultations[("consultations.new", MARGIN, MARGIN)] < SMALL_CASES


def pool_code(prefecture_code: str) -> str:
    return f"pool-{prefecture_code}"


def check_period(period: Period, today: date) -> None:
    """Raises ReleaseInvalid unless ``period`` is over: a release is never revised, so it
    waits for the last day of its period to pass."""
    if period.end >= today:
        raise ReleaseInvalid(f"{period.slug()} is not over yet (it ends {period.end})")


async def do_release(
    db: Database,
    towns: Iterable[Town],
    period: Period,
    *,
    today: date,
    tables: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Release ``period`` for ``towns`` (see the module's docstring); returns what it did.

    Args:
        db: the app's database (the app role may append to the released tables and ledger).
        towns: the opted-in towns; a town left out is absent from this release.
        period: a month or a fiscal year, over before ``today``.
        tables: only these catalogue tables (default: every table of the period's kind).
        progress: called with a line of progress now and then (long runs).

    Raises:
        ReleaseInvalid: the period is not over, or no table is released for it.
        ReleaseConflict: another release wrote to the ledger meanwhile (nothing written).
        KeyError: an unknown table key.
    """
    started = time.perf_counter()
    check_period(period, today)
    chosen = tables_for(period, list(tables) if tables else None)
    if not chosen:
        raise ReleaseInvalid(f"no table of the catalogue is released for {period.kind}")
    for t in chosen:  # OpenDP's own account of what one table spends
        if check_privacy(t.sensitivity(period), t.scale(period)) > EPSILON + 1e-9:
            raise ReleaseInvalid(f"{t.key}: the noise scale spends more than ε {EPSILON}")
    outcome = Outcome(period, [t.key for t in chosen])
    async with db.session() as s:
        before = await _ledger(s, period)
    town_list = list(towns)
    noisy: dict[str, dict[str, Cells]] = {}  # code → table → cells
    for i, town in enumerate(town_list, 1):
        result = await _count_town(town, period, chosen, before, today, noisy)
        outcome.results.append(result)
        if progress and (i % 250 == 0 or i == len(town_list)):
            progress(
                f"counted {i:,}/{len(town_list):,} towns ({time.perf_counter() - started:.1f} s)"
            )
    rows = _place(outcome, chosen, before, noisy)
    await _write(db, period, before, outcome, rows, progress)
    outcome.written = len(rows.ledger)
    for r in outcome.results:
        if r.town.audit and r.recorded:
            detail = {"status": r.status, "tables": r.tables, "epsilon": r.epsilon}
            await r.town.audit(period.slug(), detail)
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _count_town(
    town: Town,
    period: Period,
    chosen: list[ReleasedTable],
    ledger: _Ledger,
    today: date,
    noisy: dict[str, dict[str, Cells]],
) -> TownResult:
    todo = [t for t in chosen if (town.code, t.key) not in ledger.done]
    spent = ledger.spent.get(town.code, 0.0)
    if not todo:
        return TownResult(town, "already", spent_before=spent)
    cost = EPSILON * len(todo)
    keys = [t.key for t in todo]
    if spent + cost > BUDGET + 1e-9:
        return TownResult(town, "refused", keys, spent, cost)
    measures = [m.key for t in todo for m in t.measures]
    groupings = list(dict.fromkeys(g for t in todo for g in groupings_for(t)))
    figures = await town.count(period, measures, groupings, today)
    noisy[town.code] = {t.key: noisy_table(t, period, figures) for t in todo}
    return TownResult(town, "shown", keys, spent, cost, town.code)


@dataclass
class _Rows:
    releases: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)


def _place(
    outcome: Outcome,
    chosen: list[ReleasedTable],
    ledger: _Ledger,
    noisy: dict[str, dict[str, Cells]],
) -> _Rows:
    """Decide where each counted town's figures go (its own row, its prefecture's group,
    nowhere) and build every row to write."""
    period, rows, now = outcome.period, _Rows(), utcnow()
    by_table = {t.key: t for t in chosen}
    groups: dict[tuple[str, str], list[TownResult]] = {}  # (prefecture code, table) → members
    for r in outcome.results:
        if r.status != "shown":
            continue
        if _is_small(r.town, period, noisy[r.town.code]):
            r.status, r.unit_code = "pooled", pool_code(r.town.prefecture_code)
            for key in r.tables:
                groups.setdefault((r.town.prefecture_code, key), []).append(r)
        else:
            for key in r.tables:
                _release_rows(rows, by_table[key], period, noisy[r.town.code][key], now, r.town)
    for (pref, key), members in sorted(groups.items(), key=lambda g: g[0]):
        code = pool_code(pref)
        if len(members) < POOL_MIN_MEMBERS or (code, key) in ledger.pools:
            for r in members:
                r.status, r.unit_code = "withheld", None
            continue
        cells = pooled([noisy[r.town.code][key] for r in members])
        _release_rows(rows, by_table[key], period, cells, now, None, members)
        outcome.pools.append((members[0].town.prefecture, key, len(members)))
    for r in outcome.results:
        _ledger_rows(rows, r, period, ledger, now)
    return rows


def _release_rows(
    rows: _Rows,
    table: ReleasedTable,
    period: Period,
    cells: Cells,
    now: datetime,
    town: Town | None,
    members: Sequence[TownResult] = (),
) -> None:
    """One released table (a town's, or a group's when ``town`` is None) and its cells."""
    first = town or members[0].town
    populations = [m.town.population for m in members] if town is None else [town.population]
    release_id = uuid7()
    rows.releases.append(
        {
            "id": release_id,
            "release_key": period.slug(),
            "period_kind": period.kind,
            "period_start": period.start,
            "period_end": period.end,
            "fiscal_year": period.fiscal_year_number,
            "table_key": table.key,
            "unit_code": town.code if town else pool_code(first.prefecture_code),
            "unit_kind": "town" if town else "pool",
            "name": town.name if town else first.prefecture,
            "prefecture": first.prefecture,
            "prefecture_code": first.prefecture_code,
            "population": None if None in populations else sum(p or 0 for p in populations),
            "members": 1 if town else len(members),
            "synthetic": town.synthetic if town else any(m.town.synthetic for m in members),
            "epsilon": EPSILON,
            "scale": table.scale(period),
            "released_at": now,
        }
    )
    rows.cells += [
        {"release_id": release_id, "measure": m, "d1": d1, "d2": d2, "value": shown(v)}
        for (m, d1, d2), v in cells.items()
    ]


def _ledger_rows(
    rows: _Rows, r: TownResult, period: Period, ledger: _Ledger, now: datetime
) -> None:
    if r.status == "already":
        return
    kind = "refusal" if r.status == "refused" else "spend"
    for key in r.tables:
        if kind == "refusal" and (r.town.code, key) in ledger.refused:
            continue  # refused for this period before: the ledger says so already
        r.recorded = True
        rows.ledger.append(
            {
                "id": uuid7(),
                "municipality_code": r.town.code,
                "name": r.town.name,
                "prefecture": r.town.prefecture,
                "fiscal_year": period.fiscal_year_number,
                "release_key": period.slug(),
                "table_key": key,
                "kind": kind,
                "epsilon": EPSILON,
                "spent_before": r.spent_before,
                "unit_code": r.unit_code,
                "synthetic": r.town.synthetic,
                "at": now,
            }
        )


async def _write(
    db: Database,
    period: Period,
    before: _Ledger,
    outcome: Outcome,
    rows: _Rows,
    progress: Progress | None,
) -> None:
    """Everything in one transaction, after checking nobody released meanwhile."""
    async with db.session() as s:
        if s.bind.dialect.name == "postgresql":
            await s.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('kasane:central:release'))")
            )
        if await _ledger(s, period) != before:
            raise ReleaseConflict("another release wrote to the ledger meanwhile; run it again")
        for table, values in (
            (CentralRelease, rows.releases),
            (ReleasedCell, rows.cells),
            (BudgetEntry, rows.ledger),
        ):
            for start in range(0, len(values), CHUNK):
                await s.execute(insert(table), values[start : start + CHUNK])
        if progress:
            progress(
                f"writing {len(rows.releases):,} released tables, {len(rows.cells):,} cells, "
                f"{len(rows.ledger):,} ledger entries"
            )
