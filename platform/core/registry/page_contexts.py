"""What the registry's staff pages show: the resource page's context (its graph, schedules,
sharing, pending changes, confirmation link) and the service form's (sections, values,
errors). The routes are in :mod:`.controllers`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.japan_time import JST, today_jst
from kasane.core.registry.forms import CORRECTION_FIELDS, NEW_ORG, all_fields, service_sections
from kasane.core.registry.freshness import CORRECTABLE, changes_of, pending_changes, proposable
from kasane.core.registry.graph import Graph, load_graph
from kasane.core.registry.models import CHANGE_STATUSES, SERVICE_STATUSES, Service
from kasane.core.registry.schedules import describe, is_open
from kasane.core.registry.services import REVIEW_INTERVAL, list_organizations, list_terms
from kasane.core.registry.sharing import TenantRef, shares_of
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import requires_tenant


async def form_context(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    service: Service | None = None,
) -> dict[str, Any]:
    """What the service form shows: its sections, the values, the errors and their summary."""
    tenant = requires_tenant(request)
    sections = service_sections(
        tenant.config, await list_organizations(session), await list_terms(session)
    )
    summary = [
        (f.name if f.type not in ("checkboxes", "radio") else f"{f.name}-1", errors[f.name])
        for f in all_fields(sections)
        if f.name in errors
    ]
    if "form" in errors:
        summary.insert(0, ("form", errors["form"]))
    return {
        "sections": sections,
        "values": values,
        "errors": errors,
        "summary": summary,
        "service": service,
    }


def new_values(tenant: TenantContext) -> dict[str, Any]:
    """The new-service form's starting values."""
    return {
        "status": "active",
        "state_province": tenant.info.prefecture,
        "city": tenant.name,
        "reviewed_on": today_jst().isoformat(),
        "organization_id": NEW_ORG,
        "term_ids": [],
        "days": [],
    }


async def service_page_context(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    service: Service,
    graph: Graph,
    *,
    shared_by: TenantRef | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the resource page shows."""
    tenant = requires_tenant(request)
    today = today_jst()
    own = shared_by is None
    changes = await pending_changes(session, service.id) if own else []
    current = await proposable(session, service) if own and changes else {}
    return {
        "service": service,
        "graph": graph,
        "organization": graph.organizations.get(service.organization_id),
        "terms": graph.service_terms(service.id),
        "locations": graph.service_locations(service.id),
        "schedules": [(s, describe(s)) for s in graph.service_schedules(service.id)],
        "open_now": is_open(graph.service_schedules(service.id), datetime.now(JST)),
        "area": tenant.config.area(service.area_key) if service.area_key and own else None,
        "statuses": SERVICE_STATUSES,
        "shared_by": shared_by,
        "shares": await shares_of(session, service.id) if own else [],
        "changes": [(c, changes_of(c)) for c in changes],
        "change_statuses": CHANGE_STATUSES,
        "current": current,
        "correctable": CORRECTABLE,
        "field_labels": {f.name: f.label for f in CORRECTION_FIELDS},
        "review_due": service.reviewed_on is None or service.reviewed_on < today - REVIEW_INTERVAL,
        "link": None,
        "link_expires": None,
        "share_error": "",
        "notice": "",
        **extra,
    }


async def own_page(
    request: Request[Any, Any, Any], session: AsyncSession, service: Service, **extra: Any
) -> dict[str, Any]:
    """The resource page of one of the tenant's own services."""
    graph = await load_graph(session, [service.id])
    return await service_page_context(request, session, service, graph, **extra)
