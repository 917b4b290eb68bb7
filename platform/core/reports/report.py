"""A report: every figure of a period (core and local), with targets, labels and breakdowns.

What the pages, the Excel and CSV downloads and ``kasane reports export`` all show, built
once by :func:`get_report`. It holds counts and labels only — never a name or a record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.i18n import current_locale
from kasane.core.i18n import gettext as _
from kasane.core.reports.catalogue import INDICATORS
from kasane.core.reports.counting import Figure, get_figures
from kasane.core.reports.dimensions import DIMENSIONS, dimension_name, labeller, values_of
from kasane.core.reports.indicator import SECTIONS, pick
from kasane.core.reports.local import LocalFigures, get_local_figures
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
        if spec is not None:
            known = [v for v in spec.values if v]
            extra = sorted(v for v in counts if v and v not in spec.values)
            values = [*known, *extra, *([""] if "" in counts else [])]

            def label(v: str) -> str:
                return spec.values.get(v) or v or _("Not recorded")
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


async def get_report(
    session: AsyncSession,
    tenant: TenantContext,
    period: Period,
    *,
    today: date,
    keys: list[str] | None = None,
    by_month: bool = False,
) -> Report:
    """Count every indicator (or ``keys``) for ``period`` with its one-way breakdowns (and,
    with ``by_month``, each crossed with the month, as the exports lay them out); a
    fiscal-year report carries its targets, a shorter period the fiscal year to its end."""
    wanted = keys or CORE_KEYS
    groupings: list[str | tuple[str, ...]] = list(DIMENSIONS)
    if by_month:
        groupings += [(d, "month") for d in DIMENSIONS if d != "month"]
    figures = await get_figures(session, tenant.config, wanted, period, groupings, today=today)
    local = await get_local_figures(session, tenant, period, today)
    report = Report(
        tenant=tenant,
        period=period,
        today=today,
        figures=[figures[k] for k in wanted] + local.figures,
        local=local,
        targets=await targets_for(session, period.fiscal_year_number),
    )
    if period.kind != "fy":
        fy = Period.fiscal_year(period.fiscal_year_number)
        so_far = Period.between(fy.start, min(period.end, fy.end))
        totals = await get_figures(session, tenant.config, wanted, so_far, today=today)
        report.year_to_date = {k: f.total for k, f in totals.items()}
    return report
