"""The release job on its own database, with synthetic towns of known counts: the noise of a
released value, 「10未満」, small towns pooled by month, the budget cap, re-release.

Each test uses towns of its own (fresh municipality codes and prefecture codes), so the
tests share one migrated database without seeing each other's releases.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from kasane.central.models import BudgetEntry, CentralRelease, ReleasedCell
from kasane.central.noise import noise_sd
from kasane.central.release import ReleaseInvalid, do_release
from kasane.central.release_types import Town
from kasane.central.synthetic import synthetic_town
from kasane.core.db import Database
from kasane.core.reports.periods import Period
from kasane.migrations import upgrade

TODAY = date(2026, 12, 6)
NOVEMBER = Period.month(2026, 11)
_codes = itertools.count(1)
_prefectures = itertools.count(50)  # codes no real prefecture has (01-47)


def town(pref: str, population: int = 100_000, **fixed: int) -> Town:
    """A synthetic town with its own code in prefecture ``pref``; ``fixed``: known counts of
    the first cell (first field, first month) by indicator key (dots as __)."""
    n = next(_codes)
    counts = {k.replace("__", "."): v for k, v in fixed.items()}
    return synthetic_town(f"{pref}{n:04d}", f"試験町{n}", f"試験県{pref}", population, fixed=counts)


def new_prefecture() -> str:
    return f"{next(_prefectures):02d}"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("central") / "release.db"
    upgrade(f"sqlite:///{path}")
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def run(db_url: str) -> Iterator[Any]:
    """``run(fn)``: ``await fn(db)`` on a fresh Database in its own event loop."""

    def go(fn: Any) -> Any:
        async def main() -> Any:
            db = Database(db_url)
            try:
                return await fn(db)
            finally:
                await db.dispose()

        return asyncio.run(main())

    yield go


def release(run: Any, towns: list[Town], period: Period = NOVEMBER, **kw: Any) -> Any:
    return run(lambda db: do_release(db, towns, period, today=TODAY, **kw))


def cells_of(run: Any, codes: list[str], measure: str, d1: str, d2: str) -> dict[str, int | None]:
    async def go(db: Database) -> dict[str, int | None]:
        async with db.session() as s:
            rows = await s.execute(
                select(CentralRelease.unit_code, ReleasedCell.value)
                .join(ReleasedCell, ReleasedCell.release_id == CentralRelease.id)
                .where(
                    CentralRelease.unit_code.in_(codes),
                    ReleasedCell.measure == measure,
                    ReleasedCell.d1 == d1,
                    ReleasedCell.d2 == d2,
                )
            )
            return dict(rows.all())

    return run(go)


def ledger_of(run: Any, code: str) -> list[tuple[str, str, str, float, str | None]]:
    async def go(db: Database) -> list[tuple[str, str, str, float, str | None]]:
        async with db.session() as s:
            rows = await s.execute(
                select(
                    BudgetEntry.release_key,
                    BudgetEntry.table_key,
                    BudgetEntry.kind,
                    BudgetEntry.epsilon,
                    BudgetEntry.unit_code,
                )
                .where(BudgetEntry.municipality_code == code)
                .order_by(BudgetEntry.at, BudgetEntry.release_key, BudgetEntry.table_key)
            )
            return [tuple(r) for r in rows.all()]  # type: ignore[misc]

    return run(go)


def count_rows(run: Any) -> tuple[int, ...]:
    async def go(db: Database) -> tuple[int, ...]:
        async with db.session() as s:
            found = []
            for model in (CentralRelease, ReleasedCell, BudgetEntry):
                found.append(
                    (await s.execute(select(func.count()).select_from(model))).scalar_one()
                )
            return tuple(found)

    return run(go)


# ------------------------------------------------------------------ the noise of a release


def test_the_released_value_of_a_known_count_is_noisy_with_the_stated_scale(run: Any) -> None:
    # given 2,000 towns that each had exactly 50 new consultations in the first cell
    # (elderly, November) and none elsewhere, all large enough to be shown by themselves
    pref = new_prefecture()
    towns = [town(pref, consultations__new=50) for _ in range(2_000)]
    # when November's consultations table is released
    outcome = release(run, towns, tables=["consultations"])
    assert len(outcome.of("shown")) == 2_000
    values = list(
        cells_of(run, [t.code for t in towns], "consultations.new", "elderly", "2026-11").values()
    )
    # then the released values centre on 50 with the discrete Laplace's variance at scale 1
    # (sensitivity 1 / ε 1): standard error of the mean 0.03, of the variance about 5 %
    assert len(values) == 2_000 and None not in values
    expected_var = noise_sd(1.0) ** 2
    assert abs(statistics.mean(values) - 50) < 0.2
    assert 0.75 * expected_var < statistics.variance(values) < 1.25 * expected_var
    assert len(set(values)) > 3  # not the exact count everywhere
    # and the empty cells (the other fields) are stored as 「10未満」 (no value), never as a
    # small noisy number: a 0 whose noise reaches 10 is shown as it came out (P ≈ 3e-5 a
    # cell at scale 1, so about 0.07 of 2,000 — a handful at most)
    others = cells_of(run, [t.code for t in towns], "consultations.new", "poverty", "2026-11")
    shown = [v for v in others.values() if v is not None]
    assert None in others.values() and len(shown) <= 5
    assert all(v >= 10 for v in shown)


def test_no_released_value_is_under_ten(run: Any) -> None:
    # given a town with 4 new consultations and one with 200 in the same cell
    pref = new_prefecture()
    few, many = town(pref, consultations__new=4), town(pref, consultations__new=200)
    release(run, [few, many], period=Period.fiscal_year(2025), tables=["consultations"])
    # when their released cells are read
    got = cells_of(run, [few.code, many.code], "consultations.new", "elderly", "2025-04")

    # then the small one is 「10未満」 (None) and the large one a value near 200
    async def smallest(db: Database) -> int | None:
        async with db.session() as s:
            return (await s.execute(select(func.min(ReleasedCell.value)))).scalar_one()

    assert got[few.code] is None
    assert got[many.code] is not None and abs(got[many.code] - 200) < 20
    assert run(smallest) >= 10


# ------------------------------------------------------------------ small towns


def test_small_towns_are_pooled_by_month_and_shown_alone_per_fiscal_year(run: Any) -> None:
    # given four towns under 25,000 people and one large one in a prefecture, and two small
    # towns alone in another
    pref, lonely = new_prefecture(), new_prefecture()
    small = [town(pref, 12_000, consultations__new=40) for _ in range(4)]
    large = town(pref, 300_000, consultations__new=500)
    alone = [town(lonely, 8_000, consultations__new=40) for _ in range(2)]
    # when November is released
    outcome = release(run, [*small, large, *alone], tables=["consultations"])
    # then the large town is shown by itself, the small ones only in their group
    assert [r.town.code for r in outcome.of("shown")] == [large.code]
    assert {r.town.code for r in outcome.of("pooled")} == {t.code for t in small}
    group = cells_of(run, [f"pool-{pref}"], "consultations.new", "*", "*")
    own = cells_of(run, [t.code for t in small], "consultations.new", "*", "*")
    assert own == {}  # no row of a small town's own
    assert abs(group[f"pool-{pref}"] - 160) < 20  # the sum of the four, with their noise
    assert ledger_of(run, small[0].code)[-1][4] == f"pool-{pref}"
    # and a group of two would show each town by difference: withheld (budget still spent)
    assert {r.town.code for r in outcome.of("withheld")} == {t.code for t in alone}
    assert cells_of(run, [f"pool-{lonely}"], "consultations.new", "*", "*") == {}
    assert ledger_of(run, alone[0].code) == [("2026-11", "consultations", "spend", 1.0, None)]
    # when the fiscal year is released, every town is shown by itself
    fy = release(run, [*small, large], period=Period.fiscal_year(2025), tables=["consultations"])
    assert len(fy.of("shown")) == 5 and not fy.of("pooled")


def test_a_large_town_with_under_30_cases_is_pooled_too(run: Any) -> None:
    # given three towns of 60,000 people with about 12 new consultations in November
    pref = new_prefecture()
    quiet = [town(pref, 60_000, consultations__new=12) for _ in range(3)]
    # when November is released, then their noisy count (under 30) puts them in the group
    outcome = release(run, quiet, tables=["consultations"])
    assert len(outcome.of("pooled")) == 3


# ------------------------------------------------------------------ the budget


def test_the_ninth_table_of_a_fiscal_year_is_refused_and_named(run: Any) -> None:
    # given a town, and eight one-table releases in fiscal year 2026 (ε 1 each)
    t = town(new_prefecture(), consultations__new=100)
    months = [Period.month(2026, m) for m in range(4, 12)]
    for period in months:
        assert release(run, [t], period=period, tables=["consultations"]).of("shown")
    assert sum(e[3] for e in ledger_of(run, t.code) if e[2] == "spend") == 8.0
    # when a ninth table is released in the same fiscal year
    outcome = release(run, [t], period=Period.month(2026, 10), tables=["participation"])
    # then it is refused for that town, named in the job's output, and in the ledger
    assert [r.town.code for r in outcome.of("refused")] == [t.code]
    refused = [line for line in outcome.lines() if line.startswith("refused:")]
    assert refused and t.name in refused[0] and t.code in refused[0]
    assert ledger_of(run, t.code)[-1] == ("2026-10", "participation", "refusal", 1.0, None)
    assert cells_of(run, [t.code], "participation.started", "*", "") == {}
    assert sum(e[3] for e in ledger_of(run, t.code) if e[2] == "spend") == 8.0
    # and the next fiscal year has its own budget
    assert release(run, [t], period=Period.fiscal_year(2025), tables=["consultations"]).of("shown")


def test_a_release_that_does_not_fit_is_refused_whole_for_that_town(run: Any) -> None:
    # given a town that spent ε 6 (two monthly releases of three tables) and one that did not
    pref = new_prefecture()
    spent, fresh = (
        town(pref, 400_000, consultations__new=300),
        town(pref, 400_000, consultations__new=300),
    )
    for m in (8, 9):
        release(run, [spent], period=Period.month(2026, m))
    # when October's three tables are released for both
    outcome = release(run, [spent, fresh], period=Period.month(2026, 10))
    # then the first town gets none of them (not two of three), the other all three
    assert [r.town.code for r in outcome.of("refused")] == [spent.code]
    assert [r.tables for r in outcome.of("shown")] == [
        ["consultations", "participation", "community"]
    ]
    october = [e for e in ledger_of(run, spent.code) if e[0] == "2026-10"]
    assert {e[2] for e in october} == {"refusal"} and len(october) == 3


def test_re_releasing_a_period_releases_nothing_and_spends_nothing(run: Any) -> None:
    # given a released November
    pref = new_prefecture()
    towns = [town(pref, 200_000, consultations__new=80) for _ in range(3)]
    first = release(run, towns)
    assert first.written == 9  # three towns, three tables
    before = count_rows(run)
    # when the same period is released again
    again = release(run, towns)
    # then nothing is written and every town is "already released"
    assert count_rows(run) == before
    assert again.written == 0 and len(again.of("already")) == 3
    assert [e for e in ledger_of(run, towns[0].code) if e[2] == "spend"] == [
        ("2026-11", key, "spend", 1.0, towns[0].code)
        for key in ("community", "consultations", "participation")
    ]


def test_a_period_not_over_yet_is_not_released(run: Any) -> None:
    with pytest.raises(ReleaseInvalid, match="not over"):
        release(run, [town(new_prefecture())], period=Period.month(2026, 12))
    with pytest.raises(ReleaseInvalid, match="not over"):
        release(run, [town(new_prefecture())], period=Period.fiscal_year(2026))
    with pytest.raises(KeyError):
        release(run, [town(new_prefecture())], tables=["people"])
