"""The central site's pages: home, the comparison (and its CSV), the budget ledger.

Every page reads released tables and the ledger only. A prefecture analyst sees its own
prefecture's towns and groups, whatever the query says.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import Provide

from kasane.central.audit import do_central_audit
from kasane.central.queries import get_budget, list_fiscal_years, list_prefectures, list_releases
from kasane.central.tables import BUDGET, EPSILON, TABLES_BY_KEY, tables_for
from kasane.central.views import comparison_context, csv_response
from kasane.central.web import (
    Central,
    CentralSession,
    render_central,
    requires_central_login,
    scope_of,
)
from kasane.core.i18n import current_locale
from kasane.core.japan_time import today_jst
from kasane.core.reports.indicator import pick
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.web.language import set_language

LOGIN = {"central_actor": Provide(requires_central_login)}


@get("/", name="central_home", dependencies=LOGIN, opt={"permission": "central:figures:read"})
async def home(
    request: Request[Any, Any, Any], central_db: CentralSession, central_actor: Central
) -> Response[str]:
    locale = current_locale.get()
    releases = await list_releases(central_db)
    scope = scope_of(central_actor)
    return render_central(
        request,
        "central/home",
        {
            "releases": [
                (r, r.period.label(locale), [pick(t.name, locale) for t in tables_for(r.period)])
                for r in releases
            ],
            "prefecture": dict(await list_prefectures(central_db, scope)).get(
                scope.prefecture_code or ""
            ),
            "epsilon": EPSILON,
            "budget": BUDGET,
        },
    )


@get(
    "/compare",
    name="central_compare",
    dependencies=LOGIN,
    opt={"permission": "central:figures:read"},
)
async def compare(
    request: Request[Any, Any, Any], central_db: CentralSession, central_actor: Central
) -> Response[str]:
    context = await comparison_context(central_db, request.query_params, scope_of(central_actor))
    context["can_export"] = central_actor.can("central:figures:export")
    context["action"], context["csv_action"] = "/compare", "/compare.csv"
    return render_central(request, "central/compare", context)


@get(
    "/compare.csv",
    name="central_compare_csv",
    dependencies=LOGIN,
    opt={"permission": "central:figures:export"},
)
async def compare_csv(
    request: Request[Any, Any, Any], central_db: CentralSession, central_actor: Central
) -> Response[bytes]:
    context = await comparison_context(central_db, request.query_params, scope_of(central_actor))
    q = context["q"]
    await do_central_audit(
        central_db,
        central_actor.ref,
        "central.export",
        f"comparison:{q.measure}:{q.release}",
        rows=len(context["table"]),
        prefecture=q.prefecture or None,
    )
    return csv_response(context)


@get(
    "/budget", name="central_budget", dependencies=LOGIN, opt={"permission": "central:budget:read"}
)
async def budget(
    request: Request[Any, Any, Any], central_db: CentralSession, central_actor: Central
) -> Response[str]:
    years = await list_fiscal_years(central_db)
    try:
        fy = int(
            request.query_params.get("fy") or (years[0] if years else fiscal_year_of(today_jst()))
        )
    except ValueError:
        fy = years[0] if years else fiscal_year_of(today_jst())
    scope = scope_of(central_actor)
    return render_central(
        request,
        "central/budget",
        {
            "fy": fy,
            "years": years,
            "rows": await get_budget(central_db, fy, scope),
            "budget": BUDGET,
            "epsilon": EPSILON,
            "table_names": {
                k: pick(t.name, current_locale.get()) for k, t in TABLES_BY_KEY.items()
            },
        },
    )


@get("/healthz", name="central_healthz", media_type="text/plain")
async def healthz(central_db: CentralSession) -> str:
    """The central database answers (load balancers, ``kasane central serve``)."""
    await central_db.connection()
    return "ok"


ROUTES: list[Any] = [home, compare, compare_csv, budget, healthz, set_language]
