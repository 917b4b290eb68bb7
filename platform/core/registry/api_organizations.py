"""The organizations the HSDS read API answers with (``/organizations`` and
``/organizations/{id}``): which ones a caller sees, with which services, and their JSON.

Without a login only organizations with a public service, listing only those services;
staff see every organization of the tenant and those of the services neighbours share.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.registry.api_query import add_org_places, service_candidates
from kasane.core.registry.graph import Graph, load_graph
from kasane.core.registry.hsds import flat, organization_json, service_full
from kasane.core.registry.models import Organization, Service

OrgKey = tuple[uuid.UUID | None, uuid.UUID]  # (sharing tenant or None for our own, org id)


@dataclass
class ListedOrganizations:
    """The organizations a caller sees, each with its services, and the graphs of the
    tenants that share some of them."""

    orgs: dict[OrgKey, Organization] = field(default_factory=dict)
    services: dict[OrgKey, list[Service]] = field(default_factory=dict)
    shared_graphs: dict[uuid.UUID | None, Graph] = field(default_factory=dict)


def org_dict(
    graph: Graph, org: Organization, services: list[Service], *, full: bool, full_service: bool
) -> dict[str, Any]:
    """An organization's JSON with its services (one-to-one fields, or fully nested)."""
    services = sorted(services, key=lambda s: (s.name, s.id))
    out = organization_json(graph, org, services) if full else flat("organization", org)
    out["services"] = [
        service_full(graph, s) if full_service else flat("service", s) for s in services
    ]
    return out


async def listed_organizations(
    session: AsyncSession,
    viewer: ActorInfo | None,
    *,
    taxonomy_term_id: uuid.UUID | None,
    taxonomy_id: uuid.UUID | None,
) -> ListedOrganizations:
    """Every organization the caller sees, with the services it sees under each (a
    classification keeps organizations with a service so classified)."""
    classified = taxonomy_term_id is not None or taxonomy_id is not None
    found, _shared = await service_candidates(
        session, viewer, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id
    )
    own_ids = sorted(sid for _n, sid, g, _s in found if g is None)
    own_services = list(
        (await session.execute(select(Service).where(Service.id.in_(own_ids)))).scalars()
    )
    org_stmt = select(Organization)
    if viewer is None or classified:
        # otherwise staff see every organization of the tenant, with or without services
        org_stmt = org_stmt.where(
            Organization.id.in_(sorted({s.organization_id for s in own_services}))
        )
    listed = ListedOrganizations(
        orgs={(None, o.id): o for o in (await session.execute(org_stmt)).scalars()}
    )
    for s in own_services:
        listed.services.setdefault((None, s.organization_id), []).append(s)
    for _n, _sid, g, shared in found:
        org = (
            g.organizations.get(shared.organization_id)
            if g and shared and shared.organization_id
            else None
        )
        if g is not None and shared is not None and org is not None:
            listed.shared_graphs[g.tenant_id] = g
            listed.orgs[(g.tenant_id, org.id)] = org
            listed.services.setdefault((g.tenant_id, org.id), []).append(shared)
    return listed


async def page_contents(
    session: AsyncSession,
    viewer: ActorInfo | None,
    listed: ListedOrganizations,
    chosen: list[tuple[OrgKey, Organization]],
    *,
    full: bool,
    full_service: bool,
) -> list[dict[str, Any]]:
    """The JSON of one page of organizations."""
    # the graph (phones, locations …) only for this page, and only when nesting is asked
    own = Graph()
    if full or full_service:
        own_chosen = [k for k, _o in chosen if k[0] is None]
        own = await load_graph(
            session, [s.id for k in own_chosen for s in listed.services.get(k, [])]
        )
        if full and viewer is not None:
            await add_org_places(session, own, {k[1] for k in own_chosen})
    return [
        org_dict(
            listed.shared_graphs[k[0]] if k[0] else own,
            o,
            listed.services.get(k, []),
            full=full,
            full_service=full_service,
        )
        for k, o in chosen
    ]
