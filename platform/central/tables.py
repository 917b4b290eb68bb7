"""The fixed catalogue of released tables: what leaves a town, by which dimensions, and how
much one person can change it.

A released table is at most three dimensions: the *measure* (a key of the reports'
indicator catalogue, so every released number means exactly what the town's own report
means by it) and at most two more (``field``, ``month``, ``quarter``). Each measure states
its sensitivity: the most one person can add to the table's cells in a period (L1). The
table's noise scale is the sum over its measures divided by ε — see
``docs/decisions/0015-central-comparison.md`` for why each bound holds.

A measure whose cells add up over a dimension (records counted on one date, sums) has its
margins (``*``) computed from the noisy cells, at no further privacy cost; a measure that
counts distinct things over the whole period (拠点数: a place active in three months is one
place in the quarter) has its margins noised on their own — allowed only for measures no
person changes (sensitivity 0), so they cost nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.indicator import Bi, Indicator
from kasane.core.reports.periods import Period

EPSILON = 1.0  # per released table
BUDGET = 8.0  # per municipality per fiscal year
SHOWN_FROM = 10  # a noisy value under this shows as 「10未満」
SMALL_POPULATION = 25_000  # under this, a town is shown per fiscal year only (or pooled)
SMALL_CASES = 30  # under this many new consultations in the period, the same
POOL_MIN_MEMBERS = 3  # a prefecture's small-town group is shown from this many towns
MARGIN = "*"  # the value of a dimension summed over (a margin of the table)

# Dimensions a released table may use besides the measure, and the catalogue dimension each
# is read from (``quarter`` is made from the months).
BASE_DIMENSION = {"field": "field", "month": "month", "quarter": "month"}
FIELD_VALUES = ("elderly", "disability", "children", "poverty", "other")


@dataclass(frozen=True)
class Measure:
    """One indicator of a released table and its bound on one person's contribution."""

    key: str  # a key of kasane.core.reports.catalogue.CATALOGUE
    per_person: int  # the most one person adds to this measure's cells in a period
    per_month: bool = False  # ``per_person`` is per month of the period (participants)

    @property
    def indicator(self) -> Indicator:
        return CATALOGUE[self.key]

    @property
    def additive(self) -> bool:
        """Whether cells add up over months and fields: each counted record has one date
        and one field, or the figure is a sum. Distinct people or places do not."""
        return self.indicator.unit == "records" or self.indicator.adds == "sum"

    def sensitivity(self, period: Period) -> int:
        return self.per_person * (len(period.month_keys()) if self.per_month else 1)


@dataclass(frozen=True)
class ReleasedTable:
    """One table of the catalogue: released for each town (or pool) per period."""

    key: str
    name: Bi
    measures: tuple[Measure, ...]
    dims: tuple[str, ...]  # besides the measure; at most two
    periods: tuple[str, ...]  # the period kinds it is released for ("month", "fy")
    bound: Bi  # why one person changes it by at most the sensitivity (shown on the site)

    def sensitivity(self, period: Period) -> int:
        """The L1 sensitivity of the whole table for ``period`` (persons' measures only)."""
        return sum(m.sensitivity(period) for m in self.measures)

    def scale(self, period: Period, epsilon: float = EPSILON) -> float:
        """The discrete-Laplace scale of the table's person-sensitive cells."""
        return self.sensitivity(period) / epsilon

    def dim_values(self, dim: str, period: Period) -> list[str]:
        """Every value of a dimension in ``period``, in reading order."""
        if dim == "field":
            return list(FIELD_VALUES)
        if dim == "month":
            return period.month_keys()
        return list(dict.fromkeys(quarter_of(m) for m in period.month_keys()))

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)


def quarter_of(month: str) -> str:
    """``2026-11`` → ``fy2026q3`` (the fiscal year's quarter; Q1 is April–June)."""
    year, mon = int(month[:4]), int(month[5:7])
    fy = year if mon >= 4 else year - 1
    return f"fy{fy}q{(mon - 4) % 12 // 3 + 1}"


TABLES: tuple[ReleasedTable, ...] = (
    ReleasedTable(
        "consultations",
        ("新規相談（分野×月）", "New consultations by field and month"),
        (Measure("consultations.new", 1),),
        ("field", "month"),
        ("month", "fy"),
        (
            "新規相談は、その人の年度内で最初の相談です。1人が1年度に数えられるのは1件だけです"
            "（感度 1）。",
            "A new consultation is the person's first of the fiscal year: a person adds one "
            "at most in a fiscal year (sensitivity 1).",
        ),
    ),
    ReleasedTable(
        "collaboration",
        ("多機関協働の事例（結果×四半期）", "Multi-agency cases by outcome and quarter"),
        (
            Measure("collaboration.taken_in", 1),
            Measure("collaboration.closed", 1),
            Measure("collaboration.suspended", 1),
        ),
        ("quarter",),
        ("fy",),
        (
            "1人の事例が期間中に受け入れ・終結・中断されるのはそれぞれ1回までとみなします"
            "（感度 3）。",
            "A person's case is taken in, closed and suspended at most once each in the "
            "period (sensitivity 3).",
        ),
    ),
    ReleasedTable(
        "participation",
        ("参加支援のマッチングと定着（月）", "Participation matches and retention by month"),
        (Measure("participation.started", 1), Measure("participation.retained", 1)),
        ("month",),
        ("month", "fy"),
        (
            "1人のマッチングが期間中に始まるのは1回、3か月の定着に達するのは1回までとみなします"
            "（感度 2）。",
            "A person starts at most one match and reaches three months at most once in "
            "the period (sensitivity 2).",
        ),
    ),
    ReleasedTable(
        "community",
        ("地域づくりの拠点数と参加者数（月）", "Community places and participants by month"),
        (
            Measure("community.places", 0),
            Measure("community.participants", 4, per_month=True),
        ),
        ("month",),
        ("month", "fy"),
        (
            "参加者数（延べ）には1人が月に4回まで数えられるとみなします（感度は月数×4）。"
            "拠点数は、だれが参加したかで変わりません（感度 0）。",
            "A person is counted in the participants at most four times a month "
            "(sensitivity 4 per month of the period). The number of places does not depend "
            "on who took part (sensitivity 0).",
        ),
    ),
)
TABLES_BY_KEY: dict[str, ReleasedTable] = {t.key: t for t in TABLES}
# measure (indicator key) → its table: every measure is in exactly one table
TABLE_OF: dict[str, ReleasedTable] = {m.key: t for t in TABLES for m in t.measures}


def tables_for(period: Period, keys: list[str] | None = None) -> list[ReleasedTable]:
    """The tables released for ``period`` (only ``keys`` when given), in catalogue order.

    Raises:
        KeyError: a key the catalogue does not know.
    """
    unknown = [k for k in keys or () if k not in TABLES_BY_KEY]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [t for t in TABLES if period.kind in t.periods and (keys is None or t.key in keys)]


def check_catalogue() -> list[str]:
    """What is wrong with the catalogue (empty when it is sound); a unit test calls it."""
    problems = []
    for t in TABLES:
        if len(t.dims) > 2:
            problems.append(f"{t.key}: more than three dimensions with the measure")
        for d in t.dims:
            if d not in BASE_DIMENSION:
                problems.append(f"{t.key}: unknown dimension {d}")
            for m in t.measures:
                if BASE_DIMENSION[d] not in m.indicator.dimensions:
                    problems.append(f"{t.key}: {m.key} has no {BASE_DIMENSION[d]} breakdown")
        for m in t.measures:
            if not m.additive and m.per_person:
                problems.append(f"{t.key}: {m.key} is not additive, so it must be sensitivity 0")
        if not any(m.per_person for m in t.measures):
            problems.append(f"{t.key}: no measure about people — nothing to protect")
    return problems
