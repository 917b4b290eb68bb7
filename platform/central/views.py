"""The comparison as a page and as CSV: the query, the rows shown, the chart, the download.

Shared by the central site (``/compare``) and a town's own view of the public summary on its
host (``/comparison``, the town highlighted). The CSV holds exactly the table on the page:
the same rows in the same order, the same columns, 「10未満」 and the synthetic marks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.queries import (
    BANDS,
    MEASURES,
    Comparison,
    Release,
    Row,
    Scope,
    get_comparison,
    list_prefectures,
    list_releases,
    measure_name,
    table_name,
    value_label,
)
from kasane.central.tables import BUDGET, EPSILON, TABLE_OF, TABLES
from kasane.core.i18n import N_, current_locale
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import JST, wareki
from kasane.core.reports.charts import bar_list
from kasane.core.reports.indicator import pick

CHART_ROWS = 40  # the chart draws the first rows; the table and the CSV hold them all
UNDER_10 = "10未満"


@dataclass
class CompareQuery:
    """What the comparison form asks for (defaults filled in, bad values named)."""

    measure: str = MEASURES[0]
    release: str = ""
    prefecture: str = ""
    band: str = ""
    metric: str = "rate"
    breakdown: bool = False
    problems: dict[str, str] = field(default_factory=dict)  # field → msgid

    def qs(self, **changes: Any) -> str:
        values = {
            "measure": self.measure,
            "release": self.release,
            "prefecture": self.prefecture,
            "band": self.band,
            "metric": self.metric,
            "breakdown": "1" if self.breakdown else "",
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v})


def parse_query(params: Mapping[str, str], releases: list[Release], scope: Scope) -> CompareQuery:
    """The comparison asked for; an unknown value falls back to its default and is named."""
    q = CompareQuery()
    measure = params.get("measure") or q.measure
    if measure not in MEASURES:
        q.problems["measure"] = N_("Indicator: choose one of the list.")
    else:
        q.measure = measure
    keys = [r.key for r in releases]
    release = params.get("release") or (keys[0] if keys else "")
    if keys and release not in keys:
        q.problems["release"] = N_("Period: nothing was released for it.")
        release = keys[0]
    q.release = release
    chosen = next((r for r in releases if r.key == release), None)
    if chosen and chosen.kind not in TABLE_OF[q.measure].periods:
        q.problems["measure"] = N_(
            "Indicator: not released for this kind of period (multi-agency cases are released "
            "per fiscal year)."
        )
        q.measure = next(m for m in MEASURES if chosen.kind in TABLE_OF[m].periods)
    prefecture = params.get("prefecture") or ""
    if scope.prefecture_code:
        prefecture = scope.prefecture_code
    elif prefecture and not (len(prefecture) == 2 and prefecture.isdigit()):
        q.problems["prefecture"] = N_("Prefecture: choose one of the list.")
        prefecture = ""
    q.prefecture = prefecture
    band = params.get("band") or ""
    if band and band not in BANDS:
        q.problems["band"] = N_("Population band: choose one of the list.")
        band = ""
    q.band = band
    q.metric = "value" if params.get("metric") == "value" else "rate"
    q.breakdown = params.get("breakdown") == "1"
    return q


async def comparison_context(
    session: AsyncSession,
    params: Mapping[str, str],
    scope: Scope,
    own_code: str | None = None,
) -> dict[str, Any]:
    """Everything the comparison template needs (and the CSV: ``comparison``)."""
    locale = current_locale.get()
    releases = await list_releases(session)
    q = parse_query(params, releases, scope)
    release = next((r for r in releases if r.key == q.release), None)
    comparison = None
    if release is not None:
        comparison = await get_comparison(
            session,
            measure=q.measure,
            release=release,
            scope=scope,
            prefecture_code=q.prefecture or None,
            band=q.band or None,
            breakdown=q.breakdown,
            metric=q.metric,
            own_code=own_code,
        )
    return {
        "q": q,
        "releases": [(r.key, r.period.label(locale), r) for r in releases],
        "release": release,
        "comparison": comparison,
        "measures": [
            (table_name(t, locale), [(m.key, measure_name(m.key, locale)) for m in t.measures])
            for t in TABLES
        ],
        "prefectures": await list_prefectures(session, scope),
        "bands": [(k, _(label)) for k, (_lo, _hi, label) in BANDS.items()],
        "chart": _chart(comparison, q.metric) if comparison else [],
        "columns": columns(comparison) if comparison else [],
        "table": table_rows(comparison) if comparison else [],
        "measure_name": measure_name(q.measure, locale),
        "bound": pick(TABLE_OF[q.measure].bound, locale),
        "epsilon": EPSILON,
        "budget": BUDGET,
        "chart_rows": CHART_ROWS,
    }


def _chart(c: Comparison, metric: str) -> list[tuple[Row, Any]]:
    """(row, bar) for the first rows; a row shown as 「10未満」 has no bar."""
    rows = c.rows[:CHART_ROWS]
    points = [(unit_label(r), (r.rate if metric == "rate" else r.value) or 0) for r in rows]
    return list(zip(rows, bar_list(points), strict=True))  # type: ignore[arg-type]  # rates are floats


def unit_label(r: Row) -> str:
    if r.kind == "pool":
        return _(
            "%(prefecture)s small-town group (%(n)s towns)", prefecture=r.prefecture, n=r.members
        )
    return r.name


def shown(value: int | float | None) -> str:
    """A value as the page and the CSV show it: 「10未満」 for a value not released."""
    if value is None:
        return UNDER_10
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def columns(c: Comparison) -> list[str]:
    locale = current_locale.get()
    head = [
        _("Town"),
        _("Prefecture"),
        _("Population (as stated)"),
        _("Population band"),
        measure_name(c.measure, locale),
        _("Per 100,000 people"),
    ]
    head += [value_label(c.breakdown or "", v, locale) for v in c.breakdown_values]
    return [*head, _("ε (privacy budget of the table)"), _("Released on"), _("Notes")]


def _notes(r: Row) -> str:
    notes = []
    if r.synthetic:
        notes.append(_("Synthetic (demo figures, not a real town's)"))
    if r.own:
        notes.append(_("Your town") if r.kind == "town" else _("Your town is in this group"))
    return " / ".join(notes)


def table_rows(c: Comparison) -> list[tuple[Row, list[str]]]:
    """(row, the cells as shown) in the page's order — the CSV writes the same cells."""
    bands = {k: _(label) for k, (_lo, _hi, label) in BANDS.items()}
    english = current_locale.get() == "en"
    out = []
    for r in c.rows:
        cells = [
            unit_label(r),
            r.prefecture,
            f"{r.population:,}" if r.population else "—",
            bands[r.band],
            shown(r.value),
            shown(r.rate) if r.rate is not None else "—",
        ]
        cells += [shown(r.cells.get(v)) for v in c.breakdown_values]
        released = wareki(r.released_at.astimezone(JST).date(), english=english)
        cells += [f"{r.epsilon:.1f}", released, _notes(r)]
        out.append((r, cells))
    return out


def comparison_csv(context: dict[str, Any]) -> bytes:
    """The table on the page as CSV (UTF-8 with a BOM so that Excel opens it in Japanese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(context["columns"])
    for _row, cells in context["table"]:
        writer.writerow(cells)
    return buf.getvalue().encode("utf-8-sig")


def csv_response(context: dict[str, Any]) -> Response[bytes]:
    """The download of the table shown, as ``kasane-comparison-<measure>-<period>.csv``."""
    q: CompareQuery = context["q"]
    name = f"kasane-comparison-{q.measure}-{q.release or 'none'}.csv"  # ascii: every browser
    return Response(
        comparison_csv(context),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
