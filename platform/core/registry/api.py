"""The HSDS 3.0 read API: ``/api/hsds/services``, ``/services/{id}``, ``/organizations``,
``/service_at_locations``, ``/taxonomies`` (and ``/``, the API's description).

The tenant comes from the Host. Without a login the API answers with the entries the
tenant marked public (open data); a logged-in staff member of the tenant sees every entry
of the tenant and those other tenants share with it. Lists are paged as the HSDS API
reference says (``page``, ``per_page`` → ``total_items``, ``total_pages``, ``page_number``,
``size``, ``first_page``, ``last_page``, ``empty``, ``contents``) and filter cumulatively
(``modified_after``, ``search``, ``taxonomy_term_id``, ``taxonomy_id``, ``organization_id``).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.people.matching import normalize_name
from kasane.core.registry.graph import Graph, load_graph
from kasane.core.registry.hsds import HSDS_VERSION, PROFILE, flat, sal_json, service_full
from kasane.core.registry.models import (
    Attribute,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from kasane.core.registry.schemas import (
    ApiError,
    ApiInfo,
    HsdsService,
    OrganizationPage,
    ServiceAtLocationPage,
    ServicePage,
    TaxonomyPage,
)
from kasane.core.registry.search_keys import like, query_keys
from kasane.core.registry.sharing import read_shared, tenant_refs
from kasane.core.web.deps import DbSession, LoginRequired, requires_login, requires_tenant

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
S = TypeVar("S")

PageQ = Annotated[int, Parameter(description="Page number, from 1.", ge=1)]
PerPageQ = Annotated[
    int, Parameter(description=f"Entries per page (at most {MAX_PER_PAGE}).", ge=1)
]
ModifiedQ = Annotated[
    str | None,
    Parameter(description="Only entries modified on or after this ISO 8601 date or datetime."),
]
SearchQ = Annotated[str | None, Parameter(description="Free text, in kanji or kana.")]
ACCESS = (
    " Without a login: only the entries the municipality marked public (open data)."
    " With a staff login of this municipality: all its entries, and the entries"
    " neighbouring municipalities share with it (``x_shared_by``)."
)
PAGING = (
    " Paged as in the HSDS API reference: ``page`` (from 1) and ``per_page``; the answer"
    " carries ``total_items``, ``total_pages``, ``page_number``, ``size``, ``first_page``,"
    " ``last_page``, ``empty`` and ``contents``. Filters combine (AND)."
)
SERVICES_DOC = (
    "Services with their one-to-one fields; ``full=true`` nests everything they link to."
    " ``modified_after`` keeps services whose ``last_modified`` is on or after it."
    + ACCESS
    + PAGING
)
SERVICE_DOC = (
    "A service with its organization, service at locations (each with its location,"
    " addresses and accessibility), phones, contacts, schedules, service areas and"
    " attributes (with the taxonomy term). 404 when the id is unknown, belongs to another"
    " municipality that does not share it, or (without a login) is not public." + ACCESS
)
ORGANIZATIONS_DOC = (
    "Organizations with their services (one-to-one fields). Without a login only"
    " organizations with a public service, listing only those services." + PAGING
)
SALS_DOC = (
    "Each place a service is delivered: the service at location with its location and"
    " the service. ``modified_after`` applies to the service." + ACCESS + PAGING
)
RefQ = Annotated[uuid.UUID | None, Parameter(description="A UUID to filter by.")]


async def maybe_actor(request: Request[Any, Any, Any], session: AsyncSession) -> ActorInfo | None:
    """The logged-in staff member of this tenant, or None (anonymous open-data access)."""
    try:
        return await requires_login(request, session)
    except LoginRequired:
        return None


def _modified_after(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise HTTPException(
                status_code=400, detail="modified_after: use an ISO 8601 date or datetime"
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class _Paging:
    page: int
    per_page: int

    def header(self, total: int, size: int) -> dict[str, Any]:
        pages = math.ceil(total / self.per_page) if total else 0
        return {
            "total_items": total,
            "total_pages": pages,
            "page_number": self.page,
            "size": size,
            "first_page": self.page == 1,
            "last_page": self.page >= pages,
            "empty": size == 0,
        }

    def slice(self, items: list[S]) -> list[S]:
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]


def _paging(page: int, per_page: int) -> _Paging:
    return _Paging(page, min(per_page, MAX_PER_PAGE))


def _text_match(q: str, *norms: str | None) -> bool:
    qn, qk = query_keys(q)
    return any(n and (qn in n or qk in n) for n in norms)


async def _service_candidates(
    session: AsyncSession,
    viewer: ActorInfo | None,
    *,
    modified_after: datetime | None = None,
    search: str | None = None,
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
) -> tuple[list[tuple[str, uuid.UUID, Graph | None, Service | None]], list[Graph]]:
    """Sorted (name, id, shared graph or None, shared row or None) of every matching
    service, and the shared graphs."""
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
    found: list[tuple[str, uuid.UUID, Graph | None, Service | None]] = [
        (name, sid, None, None) for name, sid in (await session.execute(stmt))
    ]
    shared = await read_shared(session) if viewer is not None else []
    for g in shared:
        for s in g.rows("services"):
            org = g.organizations.get(s.organization_id)
            terms = g.service_terms(s.id)
            if modified_after is not None and s.last_modified < modified_after:
                continue
            if search and not _text_match(
                search, s.search_norm, s.kana_norm, org.name_norm if org else None
            ):
                continue
            if organization_id is not None and s.organization_id != organization_id:
                continue
            if taxonomy_term_id is not None and taxonomy_term_id not in {t.id for t in terms}:
                continue
            if taxonomy_id is not None and taxonomy_id not in {t.taxonomy_id for t in terms}:
                continue
            found.append((s.name, s.id, g, s))
    return sorted(found, key=lambda f: (f[0], f[1])), shared


async def _shared_names(session: AsyncSession, graphs: list[Graph]) -> dict[uuid.UUID, str]:
    refs = await tenant_refs(session, {g.tenant_id for g in graphs if g.tenant_id})
    return {k: v.name for k, v in refs.items()}


def _service_dict(graph: Graph, s: Service, full: bool, shared_by: str | None) -> dict[str, Any]:
    out = service_full(graph, s) if full else flat("service", s)
    if shared_by:
        out["x_shared_by"] = shared_by
    return out


def _not_found() -> Response[ApiError]:
    # The same answer for a missing id and for another tenant's: nothing tells them apart.
    return Response(ApiError(detail="Not found"), status_code=404)


class HsdsApiController(Controller):
    """HSDS 3.0 read API of the tenant's resource registry."""

    path = "/api/hsds"
    tags = ["HSDS registry API"]

    @get(
        "/",
        name="hsds_api_root",
        summary="About this API",
        description="The HSDS version, Kasane's Japanese profile and the OpenAPI URL.",
    )
    async def root(self, request: Request[Any, Any, Any]) -> ApiInfo:
        """The HSDS version, the profile (Kasane's Japanese profile) and the OpenAPI URL."""
        requires_tenant(request)
        return ApiInfo(
            version=HSDS_VERSION,
            profile=PROFILE,
            openapi_url="/schema/openapi.json",
            description="Resource registry (社会資源) of this municipality, HSDS 3.0.",
        )

    @get(
        "/services",
        name="hsds_services",
        summary="Paginated list of services",
        description=SERVICES_DOC,
    )
    async def services(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        modified_after: FromQuery[ModifiedQ] = None,
        search: FromQuery[SearchQ] = None,
        taxonomy_term_id: FromQuery[RefQ] = None,
        taxonomy_id: FromQuery[RefQ] = None,
        organization_id: FromQuery[RefQ] = None,
        full: FromQuery[Annotated[bool, Parameter(description="Fully nested services.")]] = False,
    ) -> ServicePage:
        """Services with their one-to-one fields (``full=true``: fully nested). Without a
        login only the entries marked public; staff also see entries shared with them."""
        requires_tenant(request)
        viewer = await maybe_actor(request, db_session)
        paging = _paging(page, per_page)
        found, shared = await _service_candidates(
            db_session,
            viewer,
            modified_after=_modified_after(modified_after),
            search=search,
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            organization_id=organization_id,
        )
        chosen = paging.slice(found)
        own = await load_graph(db_session, [sid for _n, sid, g, _s in chosen if g is None])
        names = await _shared_names(db_session, shared)
        contents = []
        for _n, sid, g, s in chosen:
            if g is None:
                contents.append(_service_dict(own, own.services[sid], full, None))
            else:
                contents.append(_service_dict(g, s, full, names.get(g.tenant_id)))  # type: ignore[arg-type]
        page_data = {**paging.header(len(found), len(contents)), "contents": contents}
        return msgspec.convert(page_data, ServicePage)

    @get(
        "/services/{service_id:uuid}",
        name="hsds_service",
        summary="One fully nested service",
        description=SERVICE_DOC,
    )
    async def service(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        service_id: FromPath[uuid.UUID],
    ) -> Response[HsdsService | ApiError]:
        """A service with its organization, service at locations (and their locations),
        phones, contacts, schedules, service areas and attributes. 404 when it is missing,
        not public (without a login), or not this tenant's (nor shared with it)."""
        requires_tenant(request)
        viewer = await maybe_actor(request, db_session)
        graph = await load_graph(db_session, [service_id])
        service = graph.services.get(service_id)
        shared_by = None
        if service is None and viewer is not None:
            for g in await read_shared(db_session, {service_id}):
                graph, service = g, g.services[service_id]
                shared_by = (await _shared_names(db_session, [g])).get(g.tenant_id)
        if service is None or (viewer is None and not service.public):
            return _not_found()
        data = _service_dict(graph, service, True, shared_by)
        return Response(msgspec.convert(data, HsdsService))

    @get(
        "/organizations",
        name="hsds_organizations",
        summary="Paginated list of organizations",
        description=ORGANIZATIONS_DOC,
    )
    async def organizations(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        modified_after: FromQuery[ModifiedQ] = None,
        search: FromQuery[SearchQ] = None,
    ) -> OrganizationPage:
        """Organizations with their services (one-to-one fields). Without a login only
        organizations with a public service, listing only their public services."""
        requires_tenant(request)
        viewer = await maybe_actor(request, db_session)
        paging = _paging(page, per_page)
        after = _modified_after(modified_after)
        found, shared = await _service_candidates(db_session, viewer)
        orgs: dict[tuple[uuid.UUID | None, uuid.UUID], Any] = {}
        services: dict[tuple[uuid.UUID | None, uuid.UUID], list[Any]] = {}
        own_ids = [sid for _n, sid, g, _s in found if g is None]
        own_services = {
            s.id: s
            for s in (
                await db_session.execute(select(Service).where(Service.id.in_(own_ids)))
            ).scalars()
        }
        stmt = select(Organization)
        if viewer is None:
            stmt = stmt.where(
                Organization.id.in_(sorted({s.organization_id for s in own_services.values()}))
            )
        for org in (await db_session.execute(stmt)).scalars():
            orgs[(None, org.id)] = org
        for s in own_services.values():
            services.setdefault((None, s.organization_id), []).append(s)
        for g in shared:
            for s in g.rows("services"):
                org = g.organizations.get(s.organization_id)
                if org is not None:
                    orgs[(g.tenant_id, org.id)] = org
                    services.setdefault((g.tenant_id, org.id), []).append(s)
        rows = [
            (key, o)
            for key, o in orgs.items()
            if (after is None or o.last_modified >= after)
            and (not search or _text_match(search, o.name_norm, o.kana_norm))
        ]
        rows.sort(key=lambda r: (r[1].name, r[1].id))
        chosen = paging.slice(rows)
        contents = []
        for key, org in chosen:
            item = flat("organization", org)
            item["services"] = [
                flat("service", s) for s in sorted(services.get(key, []), key=lambda s: s.name)
            ]
            contents.append(item)
        page_data = {**paging.header(len(rows), len(contents)), "contents": contents}
        return msgspec.convert(page_data, OrganizationPage)

    @get(
        "/service_at_locations",
        name="hsds_service_at_locations",
        summary="Paginated list of services at locations",
        description=SALS_DOC,
    )
    async def service_at_locations(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        modified_after: FromQuery[ModifiedQ] = None,
        search: FromQuery[SearchQ] = None,
        taxonomy_term_id: FromQuery[RefQ] = None,
        taxonomy_id: FromQuery[RefQ] = None,
        organization_id: FromQuery[RefQ] = None,
    ) -> ServiceAtLocationPage:
        """Each place a service is delivered: the service at location, its location (with
        address and accessibility) and the service (one-to-one fields). ``modified_after``
        applies to the service."""
        requires_tenant(request)
        viewer = await maybe_actor(request, db_session)
        paging = _paging(page, per_page)
        found, _shared = await _service_candidates(
            db_session,
            viewer,
            modified_after=_modified_after(modified_after),
            search=search,
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            organization_id=organization_id,
        )
        own = await load_graph(db_session, [sid for _n, sid, g, _s in found if g is None])
        items: list[tuple[Graph, ServiceAtLocation]] = []
        for _n, sid, g, _s in found:
            graph = g or own
            items += [(graph, sal) for sal in graph.children("sals", "service_id", sid)]
        chosen = paging.slice(items)
        contents = [sal_json(graph, sal) for graph, sal in chosen]
        page_data = {**paging.header(len(items), len(contents)), "contents": contents}
        return msgspec.convert(page_data, ServiceAtLocationPage)

    @get(
        "/taxonomies",
        name="hsds_taxonomies",
        summary="Paginated list of taxonomies",
        description="The taxonomies the registry's categories come from (public vocabulary).",
    )
    async def taxonomies(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        search: FromQuery[SearchQ] = None,
    ) -> TaxonomyPage:
        """The taxonomies the registry's categories come from (public vocabulary)."""
        requires_tenant(request)
        paging = _paging(page, per_page)
        rows = list(
            (
                await db_session.execute(select(Taxonomy).order_by(Taxonomy.name, Taxonomy.id))
            ).scalars()
        )
        if search:
            rows = [
                t
                for t in rows
                if _text_match(search, normalize_name(t.name), normalize_name(t.description))
            ]
        chosen = paging.slice(rows)
        contents = [flat("taxonomy", t) for t in chosen]
        page_data = {**paging.header(len(rows), len(contents)), "contents": contents}
        return msgspec.convert(page_data, TaxonomyPage)


API_ROUTES: list[Any] = [HsdsApiController]
