"""The case list (filters, pages, htmx table) and "my tasks"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import FromQuery

from kasane.core.audit.services import do_audit
from kasane.core.cases import queries
from kasane.core.cases.case_page import tenant_config
from kasane.core.config_types import STAGES
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import htmx_of, render


def _pick(value: str | None, allowed: set[str]) -> str | None:
    """A filter value the tenant knows, or None (an unknown one filters nothing)."""
    return value if value and value in allowed else None


class CaseListController(Controller):
    """The cases the actor's agency takes part in, filtered and paged."""

    path = "/cases"
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="case_list")
    async def case_list(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        stage: FromQuery[str | None] = None,
        counter: FromQuery[str | None] = None,
        area: FromQuery[str | None] = None,
        lead: FromQuery[str | None] = None,
        due: FromQuery[str | None] = None,
        page: FromQuery[str | None] = None,
    ) -> Response[str]:
        """One page of cases; htmx asking for ``#case-table`` gets the table only."""
        config, today = tenant_config(request), today_jst()
        chosen = {
            "stage": _pick(stage, set(STAGES)),
            "counter": _pick(counter, {c.key for c in config.counters}),
            "area": _pick(area, {a.key for a in config.areas}),
            "lead": _pick(lead, {a.key for a in config.agencies}),
            "due": "1" if due else None,
        }
        number = int(page) if page and page.isdigit() and 0 < int(page) < 100_000 else 1
        filters = queries.CaseFilters(
            stage=chosen["stage"],
            counter=chosen["counter"],
            area=chosen["area"],
            lead=chosen["lead"],
            monitoring_due=bool(chosen["due"]),
            page=number,
        )
        rows, total = await queries.list_cases(db_session, actor, filters, today)
        await do_audit(
            db_session, actor.ref, "case.list", "", shown=[str(r.id) for r in rows], page=number
        )
        kept = {k: v for k, v in chosen.items() if v}
        pages = max(1, -(-total // queries.PAGE_SIZE))
        ctx = {
            "rows": rows,
            "total": total,
            "page": number,
            "pages": pages,
            "chosen": chosen,
            "prev_url": f"/cases?{urlencode({**kept, 'page': number - 1})}" if number > 1 else "",
            "next_url": f"/cases?{urlencode({**kept, 'page': number + 1})}"
            if number < pages
            else "",
            "stages": STAGES,
            "today": today,
        }
        if request.headers.get("hx-history-restore-request") == "true":
            return render(request, "cases/list", ctx, fragment=False)
        if htmx_of(request).target == "case-table":
            return render(request, "cases/table", ctx, fragment=True)
        return render(request, "cases/list", ctx)


@get("/tasks", name="my_tasks", dependencies={"actor": Provide(requires_login)})
async def my_tasks_page(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """Monitoring due within a week on my agency's cases; referrals my agency must answer."""
    today = today_jst()
    tasks = await queries.my_tasks(db_session, actor, today)
    await do_audit(
        db_session,
        actor.ref,
        "case.list",
        "",
        shown=[str(r.id) for r in tasks.monitoring_due],
        view="tasks",
    )
    return render(request, "tasks/tasks", {"tasks": tasks, "today": today})
