"""Which registry records a caller of the HSDS read API sees, and the graphs to answer from.

Anonymous callers see the services the tenant marked public; staff see every service of the
tenant and those neighbouring tenants share with it (``sharing.read_shared``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.registry.api_common import text_match
from kasane.core.registry.graph import Graph
from kasane.core.registry.hsds import flat, service_full
from kasane.core.registry.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
)
from kasane.core.registry.search_keys import like, query_keys
from kasane.core.registry.sharing import read_shared, tenant_refs

Candidate = tuple[str, uuid.UUID, Graph | None, Service | None]


async def service_candidates(
    session: AsyncSession,
    viewer: ActorInfo | None,
    *,
    modified_after: datetime | None = None,
    search: str | None = None,
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
) -> tuple[list[Candidate], list[Graph]]:
    """Sorted (name, id, shared graph or None, shared row or None) of every matching
    service, and the shared graphs."""
    stmt = _own_statement(
        viewer,
        modified_after=modified_after,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
    )
    found: list[Candidate] = [
        (name, sid, None, None) for name, sid in (await session.execute(stmt))
    ]
    shared = await read_shared(session) if viewer is not None else []
    for g in shared:
        for s in g.rows("services"):
            if _shared_matches(
                g,
                s,
                modified_after=modified_after,
                search=search,
                taxonomy_term_id=taxonomy_term_id,
                taxonomy_id=taxonomy_id,
                organization_id=organization_id,
            ):
                found.append((s.name, s.id, g, s))
    return sorted(found, key=lambda f: (f[0], f[1])), shared


def _own_statement(
    viewer: ActorInfo | None,
    *,
    modified_after: datetime | None,
    search: str | None,
    taxonomy_term_id: uuid.UUID | None,
    taxonomy_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> Select[str, uuid.UUID]:
    """The (name, id) of the tenant's own matching services (public ones only without a
    login)."""
    stmt = select(Service.name, Service.id).join(
        Organization,
        and_(
            Organization.tenant_id == Service.tenant_id,
            Organization.id == Service.organization_id,
        ),
    )
    if viewer is None:
        stmt = stmt.where(Service.public.is_(True))
    if modified_after is not None:
        stmt = stmt.where(Service.last_modified >= modified_after)
    if search:
        qn, qk = query_keys(search)
        stmt = stmt.where(
            or_(
                Service.search_norm.like(like(qn), escape="\\"),
                Service.kana_norm.like(like(qk), escape="\\"),
                Organization.name_norm.like(like(qn), escape="\\"),
            )
        )
    if organization_id is not None:
        stmt = stmt.where(Service.organization_id == organization_id)
    if taxonomy_term_id is not None or taxonomy_id is not None:
        attr = select(Attribute.link_id).where(Attribute.link_entity == "service")
        if taxonomy_term_id is not None:
            attr = attr.where(Attribute.taxonomy_term_id == taxonomy_term_id)
        if taxonomy_id is not None:
            attr = attr.where(
                Attribute.taxonomy_term_id.in_(
                    select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy_id == taxonomy_id)
                )
            )
        stmt = stmt.where(Service.id.in_(attr))
    return stmt


def _shared_matches(
    g: Graph,
    s: Service,
    *,
    modified_after: datetime | None,
    search: str | None,
    taxonomy_term_id: uuid.UUID | None,
    taxonomy_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> bool:
    """Whether a service another tenant shares matches every given filter."""
    org = g.organizations.get(s.organization_id)
    terms = g.service_terms(s.id)
    if modified_after is not None and s.last_modified < modified_after:
        return False
    if search and not text_match(
        search, s.search_norm, s.kana_norm, org.name_norm if org else None
    ):
        return False
    if organization_id is not None and s.organization_id != organization_id:
        return False
    if taxonomy_term_id is not None and taxonomy_term_id not in {t.id for t in terms}:
        return False
    return not (taxonomy_id is not None and taxonomy_id not in {t.taxonomy_id for t in terms})


async def shared_names(session: AsyncSession, graphs: list[Graph]) -> dict[uuid.UUID, str]:
    refs = await tenant_refs(session, {g.tenant_id for g in graphs if g.tenant_id})
    return {k: v.name for k, v in refs.items()}


def service_dict(graph: Graph, s: Service, full: bool, shared_by: str | None) -> dict[str, Any]:
    out = service_full(graph, s) if full else flat("service", s)
    if shared_by:
        out["x_shared_by"] = shared_by
    return out


async def add_org_places(session: AsyncSession, graph: Graph, org_ids: set[uuid.UUID]) -> None:
    """Add the organizations' own phones, contacts and locations (with their addresses,
    accessibility, phones, contacts and schedules) to a graph loaded for some services.
    Staff only: for anonymous callers an organization shows what its public services show."""
    orgs = sorted(org_ids)
    owned: tuple[tuple[str, Any], ...] = (
        ("phones", Phone),
        ("contacts", Contact),
        ("locations", Location),
    )
    for kind, model in owned:
        found = await session.execute(select(model).where(model.organization_id.in_(orgs)))
        for row in found.scalars():
            if row.id not in getattr(graph, kind):
                graph.add(kind, row)
    places = sorted(loc.id for loc in graph.locations.values() if loc.organization_id in org_ids)
    at_places: tuple[tuple[str, Any], ...] = (
        ("addresses", Address),
        ("accessibility", Accessibility),
        ("phones", Phone),
        ("contacts", Contact),
        ("schedules", Schedule),
    )
    for kind, model in at_places:
        found = await session.execute(select(model).where(model.location_id.in_(places)))
        for row in found.scalars():
            if row.id not in getattr(graph, kind):
                graph.add(kind, row)
