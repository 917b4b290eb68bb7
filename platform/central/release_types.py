"""What the release job (:mod:`kasane.central.release`) takes and reports: the towns it
counts, each with the counter of its exact figures, and what it did for each town.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kasane.central.cells import Exact
from kasane.central.tables import BUDGET
from kasane.core.reports.periods import Period

Grouping = tuple[str, ...]
# (period, indicator keys, groupings, today) → exact figures by key
Counter = Callable[
    [Period, Sequence[str], Sequence[Grouping], date], Awaitable[Mapping[str, Exact]]
]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Town:
    """A municipality the job counts: an opted-in tenant, or a synthetic demo town."""

    code: str  # 全国地方公共団体コード
    name: str
    prefecture: str
    population: int | None  # as the town states it
    count: Counter
    synthetic: bool = False
    # Called once the release is written (the tenant's own audit log): (release key, facts)
    audit: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    @property
    def prefecture_code(self) -> str:
        return self.code[:2]


@dataclass
class TownResult:
    """What the release did for one town."""

    town: Town
    status: str  # shown | pooled | withheld | refused | already
    tables: list[str] = field(default_factory=list)  # the tables this release concerned
    spent_before: float = 0.0  # in the fiscal year, before this release
    epsilon: float = 0.0  # spent now (refused: asked for)
    unit_code: str | None = None  # where its figures went
    recorded: bool = False  # this run added to the ledger for it (a repeated refusal: no)


@dataclass
class Outcome:
    """The job's report: every town's result and the groups released."""

    period: Period
    tables: list[str]
    results: list[TownResult] = field(default_factory=list)
    pools: list[tuple[str, str, int]] = field(default_factory=list)  # (prefecture, table, n)
    seconds: float = 0.0
    written: int = 0  # ledger entries written (0: the run changed nothing)

    def of(self, status: str) -> list[TownResult]:
        return [r for r in self.results if r.status == status]

    def lines(self) -> list[str]:
        """The job's output: a summary, then every refused town by name."""
        counts = {s: len(self.of(s)) for s in ("shown", "pooled", "withheld", "refused")}
        out = [
            f"release {self.period.slug()} ({', '.join(self.tables)}): "
            f"{counts['shown']} towns shown, {counts['pooled']} in "
            f"{len({(p, t) for p, t, _n in self.pools})} small-town groups, "
            f"{counts['withheld']} withheld (group too small), {counts['refused']} refused, "
            f"{len(self.of('already'))} already released — {self.seconds:.1f} s"
        ]
        for r in self.of("refused"):
            out.append(
                f"refused: {r.town.name} ({r.town.code}, {r.town.prefecture}): "
                f"{len(r.tables)} table(s) would spend ε {r.epsilon:.1f} with "
                f"ε {r.spent_before:.1f} already spent in FY{self.period.fiscal_year_number} "
                f"(cap ε {BUDGET:.1f})"
            )
        return out
