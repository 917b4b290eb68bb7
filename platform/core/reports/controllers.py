"""Staff pages for the town's figures: ``/reports`` and its records, downloads and targets.

``/reports`` shows a fiscal year (default: this one), a quarter, a month or any range: a
summary of every indicator, then one section's indicators with a chart (server-rendered
SVG) and its table, and the other breakdowns. Numbers link to the records behind them
(``/reports/records``), listed within the viewer's need-to-know. ``/reports/export``
downloads the same figures (``format=xlsx|csv``); ``/reports/targets`` is where the tenant
admin sets the 実施計画's targets. Every view and download is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from kasane.core.audit.services import do_audit, do_audit_read
from kasane.core.auth.permissions import needs
from kasane.core.errors import NotFound
from kasane.core.i18n import N_, current_locale
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.reports.charts import bar_list, column_chart
from kasane.core.reports.drill import get_drill
from kasane.core.reports.export import filename, report_csv, report_xlsx
from kasane.core.reports.indicator import SECTIONS
from kasane.core.reports.periods import MONTH_EN, Period, fiscal_year_of, month_label
from kasane.core.reports.report import Report, get_report
from kasane.core.reports.targets import TargetInput, do_set_targets
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_tenant
from kasane.core.web.templating import render

VIEWS = ("fy", "quarter", "month", "range")
YEARS_BACK = 5


class PeriodInvalid(ValueError):
    """A period field is wrong: ``args`` are (field, msgid)."""


def parse_period(params: Mapping[str, str], today: date) -> Period:
    """The period a query asks for: ``view`` fy (``fy``), quarter (``fy``, ``q``), month
    (``month`` YYYY-MM) or range (``from``, ``to``); this fiscal year by default.

    Raises:
        PeriodInvalid: with the field and a message naming it.
    """
    view = params.get("view") or "fy"
    this_fy = fiscal_year_of(today)
    try:
        fy = int(params.get("fy") or this_fy)
    except ValueError:
        raise PeriodInvalid("fy", N_("Choose a fiscal year.")) from None
    if not 2000 <= fy <= this_fy + 1:
        raise PeriodInvalid("fy", N_("Choose a fiscal year."))
    if view == "fy":
        return Period.fiscal_year(fy)
    if view == "quarter":
        q = params.get("q") or ""
        if q not in ("1", "2", "3", "4"):
            raise PeriodInvalid("q", N_("Choose a quarter."))
        return Period.quarter(fy, int(q))
    if view == "month":
        text = params.get("month") or f"{today.year:04d}-{today.month:02d}"
        try:
            year, month = (int(x) for x in text.split("-"))
            return Period.month(year, month)
        except ValueError:
            raise PeriodInvalid("month", N_("Choose a month.")) from None
    if view == "range":
        try:
            start = date.fromisoformat(params.get("from") or "")
        except ValueError:
            raise PeriodInvalid("from", N_("Enter the first day of the period.")) from None
        try:
            end = date.fromisoformat(params.get("to") or "")
        except ValueError:
            raise PeriodInvalid("to", N_("Enter the last day of the period.")) from None
        if end < start or (end - start).days > 366 * 5:
            raise PeriodInvalid("to", N_("The last day must be after the first, within 5 years."))
        return Period.between(start, end)
    raise PeriodInvalid("view", N_("Choose how to look at the figures."))


def _asked(request: Request[Any, Any, Any]) -> tuple[Any, date, dict[str, str]]:
    """The tenant, today in Japan and the query parameters of a report request."""
    return requires_tenant(request), today_jst(), dict(request.query_params)


def _period_or_missing(params: Mapping[str, str], today: date) -> Period:
    """The period asked for; a malformed one where no form can show it is a plain 404."""
    try:
        return parse_period(params, today)
    except PeriodInvalid:
        raise NotFound("report") from None


def period_query(period: Period) -> dict[str, str]:
    """The query parameters that ask for ``period`` again."""
    if period.kind == "fy":
        return {"view": "fy", "fy": str(period.fiscal_year_number)}
    if period.kind == "quarter":
        return {
            "view": "quarter",
            "fy": str(period.fiscal_year_number),
            "q": str(period.quarter_number),
        }
    if period.kind == "month":
        return {"view": "month", "month": period.start.strftime("%Y-%m")}
    return {"view": "range", "from": period.start.isoformat(), "to": period.end.isoformat()}


def _neighbours(period: Period) -> tuple[Period | None, Period | None]:
    if period.kind == "fy":
        fy = period.fiscal_year_number
        return Period.fiscal_year(fy - 1), Period.fiscal_year(fy + 1)
    if period.kind == "month":
        prev = date(
            period.start.year - (period.start.month == 1), (period.start.month - 2) % 12 + 1, 1
        )
        nxt = date(period.start.year + (period.start.month == 12), period.start.month % 12 + 1, 1)
        return Period.month(prev.year, prev.month), Period.month(nxt.year, nxt.month)
    if period.kind == "quarter":
        fy, q = period.fiscal_year_number, period.quarter_number
        before = Period.quarter(fy - (q == 1), 4 if q == 1 else q - 1)
        return before, Period.quarter(fy + (q == 4), 1 if q == 4 else q + 1)
    return None, None


def _short_month(key: str) -> str:
    month = int(key[5:7])
    return f"{month}月" if current_locale.get() == "ja" else MONTH_EN[month - 1][:3]


def _chart(report: Report, figure: Any) -> dict[str, Any]:
    """Columns over the months (bars on a phone), or bars across the categories."""
    dim = report.main_dimension(figure)
    rows = report.rows(figure, dim)
    if dim == "month":
        return {
            "columns": column_chart([(_short_month(r.value), r.count) for r in rows]),
            "bars": bar_list([(r.label, r.count) for r in rows]),
        }
    return {"columns": None, "bars": bar_list([(r.label, r.count) for r in rows])}


def period_months(report: Report) -> list[str]:
    return Period.fiscal_year(report.fiscal_year).month_keys()


def _context(report: Report, section: str, actor: Any, today: date) -> dict[str, Any]:
    this_fy = fiscal_year_of(today)
    locale = current_locale.get()
    years = [
        (fy, Period.fiscal_year(fy).label(locale))
        for fy in range(this_fy, this_fy - YEARS_BACK - 1, -1)
    ]
    query = period_query(report.period)
    prev, nxt = _neighbours(report.period)
    sections = list(report.sections())
    chosen = next((s for s in sections if s[0] == section), sections[0])
    return {
        "report": report,
        "period": report.period,
        "query": query,
        "qs": urlencode(query),
        "prev_qs": urlencode(period_query(prev)) if prev else "",
        "next_qs": urlencode(period_query(nxt)) if nxt and nxt.start <= today else "",
        "prev_label": prev.label(locale) if prev else "",
        "next_label": nxt.label(locale) if nxt else "",
        "sections": sections,
        "section": chosen,
        "section_names": {k: v for k, v, _f in sections},
        "charts": {f.key: _chart(report, f) for f in chosen[2]},
        "years": years,
        "months": period_months(report),
        "month_labels": {m: month_label(m, locale) for m in period_months(report)},
        "drill": actor.can("case:cases:read"),
        "can_export": actor.can("report:figures:export"),
        "can_target": actor.can("report:targets:manage"),
        "urlencode": urlencode,
    }


class ReportsController(Controller):
    """The town's figures. Reading needs ``report:figures:read``; see the permissions."""

    path = "/reports"
    opt = needs("report:figures:read")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="reports")
    async def reports(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """A period's figures: the summary, one section's charts and tables."""
        tenant, today, params = _asked(request)
        alert: dict[str, Any] | None
        try:
            period = parse_period(params, today)
        except PeriodInvalid as exc:
            field, message = exc.args
            period, alert = (
                Period.fiscal_year(fiscal_year_of(today)),
                {"field": field, "message": _(message)},
            )
        else:
            alert = None
        section = params.get("section") or "consultations"
        if section not in SECTIONS:
            section = "consultations"
        report = await get_report(db_session, tenant, period, today=today, detail=section)
        if section not in {key for key, _name, _figures in report.sections()}:
            section = "consultations"  # e.g. local indicators asked for, none counted now
            report = await get_report(db_session, tenant, period, today=today, detail=section)
        do_audit_read(
            db_session, actor.ref, "report.view", f"report:{period.slug()}", section=section
        )
        context = _context(report, section, actor, today)
        return render(
            request,
            "reports/reports",
            {**context, "alert": alert},
            status_code=422 if alert else 200,
        )

    @get("/records", name="reports_records")
    async def records(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """The records behind a figure, within the viewer's need-to-know."""
        tenant, today, params = _asked(request)
        key, dim, value = params.get("key", ""), params.get("dim", ""), params.get("value", "")
        period = _period_or_missing(params, today)
        try:
            report = await get_report(db_session, tenant, period, today=today, keys=[key])
        except KeyError:
            raise NotFound("report") from None
        figure = report.figure(key)
        if dim and dim not in figure.indicator.dimensions:
            raise NotFound("report")
        drill = None
        if actor.can("case:cases:read"):
            drill = await get_drill(
                db_session,
                actor,
                tenant.config,
                key,
                period,
                dimension=dim,
                value=value,
                today=today,
            )
        count = figure.total if not dim else figure.by(dim).get(value, 0)
        label = (
            next((r.label for r in report.rows(figure, dim) if r.value == value), value)
            if dim
            else ""
        )
        await do_audit(
            db_session,
            actor.ref,
            "report.drill",
            f"report:{period.slug()}",
            indicator=key,
            dimension=dim,
            shown=len(drill.rows) if drill else 0,
            hidden=drill.hidden if drill else 0,
        )
        return render(
            request,
            "reports/records",
            {
                "report": report,
                "figure": figure,
                "count": count,
                "dim": dim,
                "value_label": label,
                "drill": drill,
                "qs": urlencode(period_query(period)),
            },
        )

    @get("/export", name="reports_export", opt=needs("report:figures:export"))
    async def export(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[bytes]:
        """The figures as ``.xlsx`` or CSV (counts only, never names)."""
        tenant, today, params = _asked(request)
        kind = params.get("format", "xlsx")
        period = _period_or_missing(params, today)
        if kind not in ("xlsx", "csv"):
            raise NotFound("report")
        report = await get_report(db_session, tenant, period, today=today, by_month=kind == "xlsx")
        await do_audit(
            db_session, actor.ref, "report.export", f"report:{period.slug()}", format=kind
        )
        body = report_xlsx(report) if kind == "xlsx" else report_csv(report)
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if kind == "xlsx"
            else "text/csv; charset=utf-8"
        )
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename(report, kind)}"'},
        )

    @get("/targets", name="reports_targets", opt=needs("report:targets:manage"))
    async def targets(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """The 実施計画's targets of a fiscal year, for the tenant admin to set."""
        return await _targets_page(request, db_session, actor)

    @post(
        "/targets", name="reports_targets_save", status_code=200, opt=needs("report:targets:manage")
    )
    async def save_targets(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        """Save the targets; a refused row re-renders the form with its message (422)."""
        form = await request.form()
        tenant, today, _params = _asked(request)
        period = _period_or_missing({"view": "fy", "fy": str(form.get("fy") or "")}, today)
        report = await get_report(db_session, tenant, period, today=today)
        known = {f.key: f.indicator for f in report.figures}
        rows = [
            TargetInput(
                key, str(form.get(f"target-{key}") or ""), str(form.get(f"wording-{key}") or "")
            )
            for key in known
        ]
        problems = await do_set_targets(db_session, actor, period.fiscal_year_number, rows, known)
        if problems:
            await db_session.rollback()
            typed = {r.key: r for r in rows}
            return await _targets_page(
                request, db_session, actor, period=period, problems=problems, typed=typed
            )
        return Redirect(
            f"/reports?{urlencode(period_query(period))}&saved=targets", status_code=303
        )


async def _targets_page(
    request: Request[Any, Any, Any],
    session: Any,
    actor: Any,
    *,
    period: Period | None = None,
    problems: dict[str, str] | None = None,
    typed: dict[str, TargetInput] | None = None,
) -> Response[str]:
    tenant, today, params = _asked(request)
    if period is None:
        period = _period_or_missing({"view": "fy", "fy": params.get("fy", "")}, today)
    report = await get_report(session, tenant, period, today=today)
    this_fy = fiscal_year_of(today)
    return render(
        request,
        "reports/targets",
        {
            "report": report,
            "period": period,
            "problems": problems or {},
            "typed": typed or {},
            "years": [
                (fy, Period.fiscal_year(fy))
                for fy in range(this_fy + 1, this_fy - YEARS_BACK - 1, -1)
            ],
            "section_names": SECTIONS,
            "qs": urlencode(period_query(period)),
        },
        status_code=422 if problems else 200,
    )


ROUTES: list[Any] = [ReportsController]
