"""Load a tenant's registry records in bulk and walk them by their links.

A :class:`Graph` holds the rows of one tenant keyed by id, with child lists built on demand
(``graph.children("phones", "service_id", service.id)``). :func:`load_graph` fills one for a
set of services (their organization, locations, schedules, phones …) or for the whole
registry (export). Statements go through ``prepare`` so the one cross-tenant reader,
:func:`kasane.core.registry.sharing.read_shared`, can load another tenant's shared entries
with the same code.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.db import TenantScoped
from kasane.core.registry.extras import attach_extras
from kasane.core.registry.hsds_spec import SPECS
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
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

M = TypeVar("M", bound=TenantScoped)
Prepare = Callable[[Select[Any], type[TenantScoped]], Select[Any]]

# Graph attribute name → model, in the order rows are created on import.
KINDS: dict[str, type[TenantScoped]] = {
    "organizations": Organization,
    "taxonomies": Taxonomy,
    "terms": TaxonomyTerm,
    "services": Service,
    "locations": Location,
    "addresses": Address,
    "accessibility": Accessibility,
    "sals": ServiceAtLocation,
    "schedules": Schedule,
    "service_areas": ServiceArea,
    "attributes": Attribute,
    "contacts": Contact,
    "phones": Phone,
}
KIND_OF_TABLE = {model.__tablename__: kind for kind, model in KINDS.items()}  # type: ignore[attr-defined]


@dataclass
class Graph:
    """Registry rows of one tenant, keyed by id."""

    tenant_id: uuid.UUID | None = None
    organizations: dict[uuid.UUID, Organization] = field(default_factory=dict)
    taxonomies: dict[uuid.UUID, Taxonomy] = field(default_factory=dict)
    terms: dict[uuid.UUID, TaxonomyTerm] = field(default_factory=dict)
    services: dict[uuid.UUID, Service] = field(default_factory=dict)
    locations: dict[uuid.UUID, Location] = field(default_factory=dict)
    addresses: dict[uuid.UUID, Address] = field(default_factory=dict)
    accessibility: dict[uuid.UUID, Accessibility] = field(default_factory=dict)
    sals: dict[uuid.UUID, ServiceAtLocation] = field(default_factory=dict)
    schedules: dict[uuid.UUID, Schedule] = field(default_factory=dict)
    service_areas: dict[uuid.UUID, ServiceArea] = field(default_factory=dict)
    attributes: dict[uuid.UUID, Attribute] = field(default_factory=dict)
    contacts: dict[uuid.UUID, Contact] = field(default_factory=dict)
    phones: dict[uuid.UUID, Phone] = field(default_factory=dict)
    _index: dict[tuple[str, str], dict[Any, list[Any]]] = field(default_factory=dict)

    def add(self, kind: str, row: Any) -> None:
        getattr(self, kind)[row.id] = row
        self._index.clear()

    def rows(self, kind: str) -> list[Any]:
        """Rows of a kind in id order (UUIDv7: creation order)."""
        table: dict[uuid.UUID, Any] = getattr(self, kind)
        return [table[k] for k in sorted(table)]

    def children(self, kind: str, attr: str, parent_id: uuid.UUID | None) -> list[Any]:
        """Rows of ``kind`` whose ``attr`` is ``parent_id``, in id order."""
        key = (kind, attr)
        if key not in self._index:
            index: dict[Any, list[Any]] = defaultdict(list)
            for row in self.rows(kind):
                index[getattr(row, attr)].append(row)
            self._index[key] = index
        return list(self._index[key].get(parent_id, []))

    def service_terms(self, service_id: uuid.UUID) -> list[TaxonomyTerm]:
        """The taxonomy terms a service is classified under."""
        ids = [
            a.taxonomy_term_id
            for a in self.children("attributes", "link_id", service_id)
            if a.link_entity == "service"
        ]
        return [self.terms[i] for i in ids if i in self.terms]

    def service_locations(self, service_id: uuid.UUID) -> list[Location]:
        return [
            self.locations[sal.location_id]
            for sal in self.children("sals", "service_id", service_id)
            if sal.location_id in self.locations
        ]

    def service_schedules(self, service_id: uuid.UUID) -> list[Schedule]:
        """Schedules of the service, of its service-at-locations and of their locations."""
        found = self.children("schedules", "service_id", service_id)
        for sal in self.children("sals", "service_id", service_id):
            found += self.children("schedules", "service_at_location_id", sal.id)
            found += self.children("schedules", "location_id", sal.location_id)
        return list({s.id: s for s in found}.values())


def _identity(stmt: Select[Any], _model: type[TenantScoped]) -> Select[Any]:
    return stmt


async def _rows(session: AsyncSession, model: type[M], prepare: Prepare, *where: Any) -> list[M]:
    stmt = prepare(select(model), model)
    if where:
        stmt = stmt.where(*where)
    return list((await session.execute(stmt)).scalars())


def _in(column: Any, ids: Collection[uuid.UUID]) -> Any:
    return column.in_(sorted(ids))  # an empty list renders as a false condition


async def load_graph(
    session: AsyncSession,
    service_ids: Collection[uuid.UUID] | None = None,
    *,
    prepare: Prepare = _identity,
    tenant_id: uuid.UUID | None = None,
) -> Graph:
    """The given services with everything they link to — or, with ``service_ids=None``,
    every registry row of the session's tenant (an export)."""
    g = Graph(tenant_id=tenant_id or session.info.get("tenant_id"))
    if service_ids is None:
        for kind, model in KINDS.items():
            _add(g, kind, await _rows(session, model, prepare))
        return await _with_extras(session, g, prepare)
    ids = set(service_ids)
    await _load_places(session, g, ids, prepare)
    await _load_attached(session, g, ids, prepare)
    await _load_terms(session, g, ids, prepare)
    return await _with_extras(session, g, prepare)


def _add(g: Graph, kind: str, rows: list[Any]) -> None:
    """Add rows of one kind to the graph."""
    for row in rows:
        g.add(kind, row)


async def _load_places(
    session: AsyncSession, g: Graph, ids: set[uuid.UUID], prepare: Prepare
) -> None:
    """The services, their organizations, where they are delivered (service at locations,
    locations) and the locations' addresses and accessibility notes."""
    _add(g, "services", await _rows(session, Service, prepare, _in(Service.id, ids)))
    org_ids = {s.organization_id for s in g.services.values()}
    orgs = await _rows(session, Organization, prepare, _in(Organization.id, org_ids))
    _add(g, "organizations", orgs)
    sals = await _rows(session, ServiceAtLocation, prepare, _in(ServiceAtLocation.service_id, ids))
    _add(g, "sals", sals)
    loc_ids = {s.location_id for s in g.sals.values()}
    _add(g, "locations", await _rows(session, Location, prepare, _in(Location.id, loc_ids)))
    for kind, model in (("addresses", Address), ("accessibility", Accessibility)):
        _add(g, kind, await _rows(session, model, prepare, _in(model.location_id, loc_ids)))


async def _load_attached(
    session: AsyncSession, g: Graph, ids: set[uuid.UUID], prepare: Prepare
) -> None:
    """Schedules, service areas, contacts and phones of the services, their organizations,
    service at locations and locations (and the contacts' phones)."""
    org_ids = {s.organization_id for s in g.services.values()}
    sal_ids = set(g.sals)
    loc_ids = {s.location_id for s in g.sals.values()}
    schedules = or_(
        _in(Schedule.service_id, ids),
        _in(Schedule.service_at_location_id, sal_ids),
        _in(Schedule.location_id, loc_ids),
    )
    _add(g, "schedules", await _rows(session, Schedule, prepare, schedules))
    areas = or_(_in(ServiceArea.service_id, ids), _in(ServiceArea.service_at_location_id, sal_ids))
    _add(g, "service_areas", await _rows(session, ServiceArea, prepare, areas))
    contacts = or_(
        _in(Contact.organization_id, org_ids),
        _in(Contact.service_id, ids),
        _in(Contact.service_at_location_id, sal_ids),
        _in(Contact.location_id, loc_ids),
    )
    _add(g, "contacts", await _rows(session, Contact, prepare, contacts))
    phones = or_(
        _in(Phone.organization_id, org_ids),
        _in(Phone.service_id, ids),
        _in(Phone.service_at_location_id, sal_ids),
        _in(Phone.location_id, loc_ids),
        _in(Phone.contact_id, set(g.contacts)),
    )
    _add(g, "phones", await _rows(session, Phone, prepare, phones))


async def _load_terms(
    session: AsyncSession, g: Graph, ids: set[uuid.UUID], prepare: Prepare
) -> None:
    """The services' attributes, the taxonomy terms they name, and those terms' taxonomies."""
    linked = and_(Attribute.link_entity == "service", _in(Attribute.link_id, ids))
    _add(g, "attributes", await _rows(session, Attribute, prepare, linked))
    term_ids = {a.taxonomy_term_id for a in g.attributes.values()}
    _add(g, "terms", await _rows(session, TaxonomyTerm, prepare, _in(TaxonomyTerm.id, term_ids)))
    tax_ids = {t.taxonomy_id for t in g.terms.values() if t.taxonomy_id}
    _add(g, "taxonomies", await _rows(session, Taxonomy, prepare, _in(Taxonomy.id, tax_ids)))


async def _with_extras(session: AsyncSession, g: Graph, prepare: Prepare) -> Graph:
    """The fields an import kept verbatim, on the tenant's own rows. A neighbour's shared
    entries come without them (PostgreSQL's cross-tenant function returns the tables only,
    and SQLite answers the same)."""
    if prepare is _identity:
        await attach_extras(session, {t: getattr(g, s.kind).values() for t, s in SPECS.items()})
    return g
