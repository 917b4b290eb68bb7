"""A report: every figure of a period (core and local), with targets, labels and breakdowns.

What the pages, the Excel and CSV downloads and ``kasane reports export`` all show, built
once by :func:`get_report`. It holds counts and labels only — never a name or a record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.versions import UntilNextChange, version_key
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import current_locale
from kasane.core.i18n import gettext as _
from kasane.core.reports.catalogue import CATALOGUE, INDICATORS
from kasane.core.reports.counting import Figure, get_figures
from kasane.core.reports.dimensions import DIMENSIONS, dimension_name, labeller, values_of
from kasane.core.reports.facts import SharedReads
from kasane.core.reports.indicator import SECTIONS, pick
from kasane.core.reports.local import LocalFigures, get_local_figures, implements
from kasane.core.reports.models import ReportTarget
from kasane.core.reports.periods import Period
from kasane.core.reports.targets import Progress, progress_of, targets_for
from kasane.core.tenancy import TenantContext

CORE_KEYS = [i.key for i in INDICATORS]


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: the value, its label and the count."""

    value: str
    label: str
    count: int


@dataclass
class Report:
    """The figures of one period for one tenant, in catalogue order (local ones last)."""

    tenant: TenantContext
    period: Period
    today: date
    figures: list[Figure]
    local: LocalFigures = field(default_factory=LocalFigures)
    targets: dict[str, ReportTarget] = field(default_factory=dict)
    year_to_date: dict[str, int] = field(default_factory=dict)  # month view: FY so far

    # ------------------------------------------------------------ structure

    def sections(self) -> Iterator[tuple[str, str, list[Figure]]]:
        """(section key, its name, its figures) for each section that has figures."""
        for key, name in SECTIONS.items():
            figures = [f for f in self.figures if f.indicator.section == key]
            if figures:
                yield key, pick(name), figures

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    @property
    def fiscal_year(self) -> int:
        return self.period.fiscal_year_number

    def progress(self, figure: Figure) -> Progress | None:
        """Actual against the year's target: for a fiscal-year report, else None."""
        if self.period.kind != "fy":
            return None
        return progress_of(
            figure.indicator,
            figure.total,
            self.targets.get(figure.key),
            self.fiscal_year,
            self.today,
        )

    # ------------------------------------------------------------ labels and breakdowns

    def dimension_name(self, dimension: str) -> str:
        spec = self.local.dimensions.get(dimension)
        if spec is not None:
            return spec.name if current_locale.get() == "ja" else spec.name_en or spec.name
        return dimension_name(dimension)

    def rows(self, figure: Figure, dimension: str) -> list[Row]:
        """The one-way breakdown of a figure: every value in reading order, zeros included."""
        counts = figure.by(dimension)
        spec = self.local.dimensions.get(dimension)
        label: Callable[[str], str]
        if spec is not None:
            known = [v for v in spec.values if v]
            extra = sorted(v for v in counts if v and v not in spec.values)
            values = [*known, *extra, *([""] if "" in counts else [])]

            def local_label(v: str) -> str:
                return spec.values.get(v) or v or _("Not recorded")

            label = local_label
        else:
            values = values_of(self.tenant.config, dimension, self.period, counts)
            label = labeller(self.tenant.config, dimension)
        return [Row(v, label(v), counts.get(v, 0)) for v in values]

    def main_dimension(self, figure: Figure) -> str:
        """The breakdown a chart shows: months across a longer period, else the first."""
        if len(self.period.month_keys()) > 1:
            return "month"
        return next((d for d in figure.indicator.dimensions if d != "month"), "month")

    def other_dimensions(self, figure: Figure) -> list[str]:
        main = self.main_dimension(figure)
        return [
            d
            for d in figure.indicator.dimensions
            if d != main and not (d == "month" and len(self.period.month_keys()) == 1)
        ]


def _config_stamp(config: TenantConfig) -> int:
    """What of the configuration a count depends on: counters' fields and areas, meeting
    types' legal bases (a plugin redeployed with other ones must not hit an old entry)."""
    return hash(
        (
            tuple((c.key, c.field, c.area) for c in config.counters),
            tuple((m.key, m.legal_basis) for m in config.meeting_types),
        )
    )


# Counted figures by (database, tenant, data version, what was asked, as of which day): the same
# answer as counting again, until the next audited change. The targets (a few rows) are
# always read fresh.
_CACHE: UntilNextChange[tuple[dict[str, Figure], LocalFigures, dict[str, int]]] = UntilNextChange(
    32
)


def clear_report_cache() -> None:
    """Forget every counted report (the benchmark's cold measure; tests)."""
    _CACHE.clear()


async def _count(
    session: AsyncSession,
    tenant: TenantContext,
    period: Period,
    today: date,
    wanted: list[str],
    by_month: bool,
    detail: str | None,
) -> tuple[dict[str, Figure], LocalFigures, dict[str, int]]:
    groupings: list[str | tuple[str, ...]] = list(DIMENSIONS)
    if by_month:
        groupings += [(d, "month") for d in DIMENSIONS if d != "month"]
    config = tenant.config
    # the core's sources and the local indicators' records read the consultations once
    shared = SharedReads(with_records=implements(tenant))
    count = partial(get_figures, session, config, period=period, today=today, shared=shared)
    if detail is None:
        figures = await count(wanted, dimensions=groupings)
    else:
        shown = [k for k in wanted if CATALOGUE[k].section == detail]
        rest = [k for k in wanted if k not in shown]
        figures = await count(shown, dimensions=groupings)
        figures |= await count(rest, dimensions=["month"])
    local = await get_local_figures(session, tenant, period, today, shared)
    year_to_date: dict[str, int] = {}
    if period.kind != "fy":
        fy = Period.fiscal_year(period.fiscal_year_number)
        so_far = Period.between(fy.start, min(period.end, fy.end))
        totals = await get_figures(session, config, wanted, so_far, today=today)
        year_to_date = {k: f.total for k, f in totals.items()}
    return figures, local, year_to_date


async def get_report(
    session: AsyncSession,
    tenant: TenantContext,
    period: Period,
    *,
    today: date,
    keys: list[str] | None = None,
    by_month: bool = False,
    detail: str | None = None,
) -> Report:
    """Count every indicator (or ``keys``) for ``period`` with its one-way breakdowns (and,
    with ``by_month``, each crossed with the month, as the exports lay them out); a
    fiscal-year report carries its targets, a shorter period the fiscal year to its end.

    ``detail`` names the one section whose breakdowns a page shows: the others get their
    totals and months only (the same exact counts, less to tally for a large town).

    A report asked for again before any audited change is served from a small per-process
    cache (:mod:`kasane.core.audit.versions`): exactly the figures a new count would give."""
    wanted = keys or CORE_KEYS
    key = await version_key(
        session,
        period,
        today,
        tuple(wanted),
        by_month,
        detail,
        _config_stamp(tenant.config),
    )
    counted = _CACHE.get(key)
    if counted is None:
        counted = await _count(session, tenant, period, today, wanted, by_month, detail)
        if not counted[1].problems:  # a plugin that failed this time may answer next time
            _CACHE.put(key, counted)
    figures, local, year_to_date = counted
    return Report(
        tenant=tenant,
        period=period,
        today=today,
        figures=[figures[k] for k in wanted] + local.figures,
        local=local,
        targets=await targets_for(session, period.fiscal_year_number),
        year_to_date=year_to_date,
    )
