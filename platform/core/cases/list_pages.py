"""The case list (filters, pages, htmx table) and "my tasks"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import FromQuery

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.permissions import needs
from kasane.core.cases import queries
from kasane.core.cases.case_page import tenant_config
from kasane.core.config_types import STAGES, TenantConfig
from kasane.core.i18n import gettext
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import htmx_of, render


def _pick(value: str | None, allowed: set[str]) -> str | None:
    """A filter value the tenant knows, or None (an unknown one filters nothing)."""
    return value if value and value in allowed else None


def _page_number(page: str | None) -> int:
    """The page asked for, or the first when it is missing or absurd."""
    return int(page) if page and page.isdigit() and 0 < int(page) < 100_000 else 1


def _filters(
    chosen: dict[str, str | None], number: int, after: str | None, before: str | None
) -> queries.CaseFilters:
    """The list's filters; a page past the first carries its keyset edge."""
    return queries.CaseFilters(
        stage=chosen["stage"],
        counter=chosen["counter"],
        area=chosen["area"],
        lead=chosen["lead"],
        monitoring_due=bool(chosen["due"]),
        page=number,
        after=queries.Cursor.parse(after) if number > 1 else None,
        before=queries.Cursor.parse(before) if number > 1 else None,
    )


def _pager_urls(
    found: queries.CasePage, chosen: dict[str, str | None], number: int
) -> tuple[str, str]:
    """Previous and Next, each carrying the filters and the edge row of this page ("" when
    there is none)."""
    rows = found.rows
    kept = {k: v for k, v in chosen.items() if v}
    prev_url = next_url = ""
    if found.has_prev and rows:
        back = (
            {"page": number - 1}
            if number <= 2
            else {"page": number - 1, "before": rows[0].cursor.token()}
        )
        prev_url = f"/cases?{urlencode({**kept, **back})}"
    if found.has_next and rows:
        on = {"page": number + 1, "after": rows[-1].cursor.token()}
        next_url = f"/cases?{urlencode({**kept, **on})}"
    return prev_url, next_url


class CaseListController(Controller):
    """The cases the actor's agency takes part in, filtered and paged."""

    path = "/cases"
    opt = needs("case:cases")
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
        after: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> Response[str]:
        """One page of cases; htmx asking for ``#case-table`` gets the table only. Next and
        Previous carry the edge row of the page (keyset), so a deep page costs as little
        as the first."""
        config, today = tenant_config(request), today_jst()
        chosen = {
            "stage": _pick(stage, set(STAGES)),
            "counter": _pick(counter, {c.key for c in config.counters}),
            "area": _pick(area, {a.key for a in config.areas}),
            "lead": _pick(lead, {a.key for a in config.agencies}),
            "due": "1" if due else None,
        }
        number = _page_number(page)
        filters = _filters(chosen, number, after, before)
        found = await queries.list_cases(db_session, actor, filters, today)
        rows = found.rows
        do_audit_read(
            db_session, actor.ref, "case.list", "", shown=[str(r.id) for r in rows], page=number
        )
        prev_url, next_url = _pager_urls(found, chosen, number)
        ctx = {
            "rows": rows,
            "total": found.total,
            "capped": found.capped,
            "page": number,
            # unknown past the cap: the pager then names the page alone
            "pages": 0 if found.capped else max(1, -(-found.total // queries.PAGE_SIZE)),
            "chosen": chosen,
            "prev_url": prev_url,
            "next_url": next_url,
            "stages": STAGES,
            "today": today,
            "names": _row_names(config, rows),
        }
        if request.headers.get("hx-history-restore-request") == "true":
            return render(request, "cases/list", ctx, fragment=False)
        if htmx_of(request).target == "case-table":
            return render(request, "cases/table", ctx, fragment=True)
        return render(request, "cases/list", ctx)


def _row_names(config: TenantConfig, rows: list[queries.CaseRow]) -> dict[str, dict[Any, str]]:
    """The table's case numbers, stage, lead agency and counter names, translated once per
    name on the page: a page of 25 rows asked for the same few names 75 times (and a
    number formatted as markup in the template cost more than the rest of its row)."""
    counters = {r.counter_key for r in rows}
    number = gettext("No. %(n)s")
    return {
        "no": {r.case_no: number % {"n": r.case_no} for r in rows},
        "stage": {s: gettext(config.stage_labels.get(s, s)) for s in {r.stage for r in rows}},
        "lead": {a: gettext(config.agency_name(a)) for a in {r.lead_agency_key for r in rows}},
        "counter": {k: gettext(c.name) if (c := config.counter(k)) else k for k in counters},
    }


@get(
    "/tasks",
    name="my_tasks",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("case:cases:read"),
)
async def my_tasks_page(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """Monitoring due within a week on my agency's cases; referrals my agency must answer."""
    today = today_jst()
    tasks = await queries.my_tasks(db_session, actor, today)
    do_audit_read(
        db_session,
        actor.ref,
        "case.list",
        "",
        shown=[str(r.id) for r in tasks.monitoring_due],
        view="tasks",
    )
    return render(request, "tasks/tasks", {"tasks": tasks, "today": today})
