"""The town's side of the central comparison, on its own host.

``/admin/sharing`` (tenant admin): turn the comparison on or off, state the population, see
what was released of the town (and what was refused). ``/comparison`` (whoever reads the
town's figures): the public summary — the released figures of every town taking part,
this town highlighted. Both read only released tables and the ledger; the town's exact
figures stay on ``/reports``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from kasane.central.queries import Scope, town_ledger
from kasane.central.tables import BUDGET, TABLES_BY_KEY
from kasane.central.views import comparison_context, csv_response
from kasane.central.web import SHARED_TEMPLATES
from kasane.core.audit.services import do_audit
from kasane.core.auth.permissions import needs
from kasane.core.i18n import current_locale
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.reports.indicator import pick
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.web.deps import (
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render
from kasane.tenants.comparison import check_population, do_set_sharing, get_sharing

LOGIN = {"actor": Provide(requires_login)}


async def _sharing_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[str]:
    tenant = requires_tenant(request)
    row = await get_sharing(db_session, tenant.id)
    fy = fiscal_year_of(today_jst())
    ledger = await town_ledger(db_session, row.municipality_code)
    spent = sum(e["epsilon"] for e in ledger if e["kind"] == "spend" and e["fiscal_year"] == fy)
    locale = current_locale.get()
    return render(
        request,
        "central/sharing",
        {
            "opt_in": row.comparison_opt_in,
            "values": values
            or {
                "population": str(row.population or ""),
                "opt_in": "on" if row.comparison_opt_in else "",
            },
            "errors": errors or {},
            "saved": request.query_params.get("saved") == "1",
            "ledger": ledger,
            "fy": fy,
            "spent": spent,
            "budget": BUDGET,
            "table_names": {k: pick(t.name, locale) for k, t in TABLES_BY_KEY.items()},
            "code": row.municipality_code,
        },
        status_code=status,
        templates=(SHARED_TEMPLATES,),
    )


@get("/admin/sharing", name="admin_sharing", dependencies=LOGIN, opt=needs("tenant:sharing:manage"))
async def admin_sharing(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    return await _sharing_page(request, db_session)


@post(
    "/admin/sharing",
    name="admin_sharing_save",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:sharing:manage"),
)
async def admin_sharing_save(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    """Save the opt-in and the population (audited); a refused form keeps what was typed."""
    requires_writable(request)
    tenant = requires_tenant(request)
    values = {"population": data.get("population", ""), "opt_in": data.get("opt_in", "")}
    population, problem = check_population(values["population"])
    if population is None:
        errors = {"population": _(problem or "")}
        return await _sharing_page(request, db_session, values=values, errors=errors, status=422)
    await do_set_sharing(
        db_session,
        tenant.id,
        opt_in=values["opt_in"] == "on",
        population=population,
        actor=actor.ref,
    )
    await db_session.commit()  # before the resolver forgets the tenant: its next load sees it
    request.app.state.resolver.forget(tenant.slug)
    return Redirect("/admin/sharing?saved=1", status_code=303)


async def _town_comparison(
    request: Request[Any, Any, Any], db_session: DbSession
) -> tuple[bool, dict[str, Any]]:
    """(whether the town takes part, the comparison asked for with the town marked)."""
    tenant = requires_tenant(request)
    row = await get_sharing(db_session, tenant.id)
    context = await comparison_context(
        db_session, request.query_params, Scope(), own_code=row.municipality_code
    )
    return row.comparison_opt_in, context


@get("/comparison", name="town_comparison", dependencies=LOGIN, opt=needs("report:figures:read"))
async def town_comparison(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """The public summary: every taking-part town's released figures, this town marked."""
    opt_in, context = await _town_comparison(request, db_session)
    context |= {
        "action": "/comparison",
        "csv_action": "/comparison.csv",
        "can_export": actor.can("report:figures:export"),
        "opt_in": opt_in,
        "central_actor": None,
    }
    return render(request, "central/town_compare", context, templates=(SHARED_TEMPLATES,))


@get(
    "/comparison.csv",
    name="town_comparison_csv",
    dependencies=LOGIN,
    opt=needs("report:figures:export"),
)
async def town_comparison_csv(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[bytes]:
    """The table of the public summary as CSV (audited in the town's log)."""
    _opt_in, context = await _town_comparison(request, db_session)
    q = context["q"]
    await do_audit(
        db_session, actor.ref, "report.comparison_export", f"comparison:{q.measure}:{q.release}"
    )
    return csv_response(context)


ROUTES: list[Any] = [admin_sharing, admin_sharing_save, town_comparison, town_comparison_csv]
