"""The cost floor: a bare Litestar app, ONE SQL query per request, a minimal Jinja template.

For the fiscal-year report the floor is the year's consultations counted by day (one
GROUP BY) and a table of months: far less than the app counts, which is what the ratio
shows.

No host → tenant routing, no session or login, no need-to-know service, no audit write, no
themed template: the same rows (a page of the caseworker's cases joined with their people,
or one such case) fetched with one Core statement on a pooled connection and rendered.
The statement is the best shape we know for those rows, so a costlier query shape in the
app shows up in the ratio. On PostgreSQL it connects as the administrator, so RLS is not
in the floor either.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import jinja2
from litestar import Litestar, Response, get
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kasane.core.cases.models import Case, CaseAgency
from kasane.core.cases.queries import PAGE_SIZE
from kasane.core.db.session import make_engine
from kasane.core.intake.models import Consultation
from kasane.core.people.models import Person

TEMPLATES = jinja2.Environment(
    loader=jinja2.DictLoader(
        {
            "list.html": """<!doctype html><html lang="ja"><title>cases</title><table>
{% for r in rows %}<tr><td><a href="/cases/{{ r.id }}">{{ r.case_no }}</a></td><td>{{ r.name }}</td>
<td>{{ r.stage }}</td><td>{{ r.lead_agency_key }}</td><td>{{ r.counter_key }}</td>
<td>{{ r.next_monitoring_on or "" }}</td></tr>{% endfor %}</table></html>""",
            "report.html": """<!doctype html><html lang="ja"><title>report</title><table>
{% for m, n in months.items() %}<tr><th>{{ m }}</th><td>{{ n }}</td></tr>{% endfor %}
</table></html>""",
            "case.html": """<!doctype html><html lang="ja"><title>case</title>
<h1>{{ c.case_no }} {{ c.name }}</h1><p>{{ c.stage }} {{ c.lead_agency_key }}
{{ c.counter_key }} {{ c.opened_on }} {{ c.next_monitoring_on or "" }}</p></html>""",
        }
    ),
    autoescape=True,
)


def _statements(tenant_id: uuid.UUID, agency: str) -> tuple[Select[Any], Select[Any]]:
    cases, people, parts = Case.__table__, Person.__table__, CaseAgency.__table__
    # The best single statement we know for these rows: a correlated EXISTS probes
    # case_agencies (tenant_id, case_id) per case, so the page can walk the updated_at index
    # and stop after 25 rows instead of first listing every case the agency takes part in.
    visible = exists().where(
        parts.c.tenant_id == cases.c.tenant_id,
        parts.c.case_id == cases.c.id,
        parts.c.agency_key == agency,
        parts.c.ended_on.is_(None),
    )
    base = (
        select(
            cases.c.id,
            cases.c.case_no,
            cases.c.stage,
            people.c.name,
            cases.c.lead_agency_key,
            cases.c.counter_key,
            cases.c.opened_on,
            cases.c.next_monitoring_on,
            cases.c.updated_at,
        )
        .join(
            people, (people.c.tenant_id == cases.c.tenant_id) & (people.c.id == cases.c.person_id)
        )
        .where(cases.c.tenant_id == tenant_id, visible)
    )
    page = base.order_by(cases.c.updated_at.desc(), cases.c.id.desc()).limit(PAGE_SIZE)
    return page, base


def create_baseline_app(
    url: str, tenant_id: uuid.UUID, agency: str
) -> tuple[Litestar, AsyncEngine]:
    """The floor app for one tenant and agency, and its engine (dispose it when done)."""
    engine = make_engine(url)
    page, one = _statements(tenant_id, agency)
    cases = Case.__table__

    @get("/cases", media_type=MediaType.HTML)
    async def case_list(stage: FromQuery[str | None] = None) -> Response[str]:
        stmt = page.where(cases.c.stage == stage) if stage else page
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return Response(TEMPLATES.get_template("list.html").render(rows=rows))

    @get("/cases/{case_id:uuid}", media_type=MediaType.HTML)
    async def case_page(case_id: FromPath[uuid.UUID]) -> Response[str]:
        async with engine.connect() as conn:
            row = (await conn.execute(one.where(cases.c.id == case_id))).one()
        return Response(TEMPLATES.get_template("case.html").render(c=row))

    consultations = Consultation.__table__

    @get("/reports", media_type=MediaType.HTML)
    async def fy_report(fy: FromQuery[int]) -> Response[str]:
        stmt = (
            select(consultations.c.received_on, func.count())
            .where(
                consultations.c.tenant_id == tenant_id,
                consultations.c.received_on.between(date(fy, 4, 1), date(fy + 1, 3, 31)),
            )
            .group_by(consultations.c.received_on)
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        months: dict[str, int] = {}
        for day, n in rows:
            months[f"{day:%Y-%m}"] = months.get(f"{day:%Y-%m}", 0) + n
        return Response(TEMPLATES.get_template("report.html").render(months=months))

    return Litestar(route_handlers=[case_list, case_page, fy_report], debug=False), engine
