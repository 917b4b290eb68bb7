"""The HSDS 3.0 read API: ``/api/hsds/`` (the API's description), ``/services``,
``/services/{id}``, ``/organizations``, ``/organizations/{id}`` and ``/service_at_locations``;
the taxonomies and terms are in :mod:`.api_vocabulary`, which organizations are listed in
:mod:`.api_organizations`.

The tenant comes from the Host. Without a login the API answers with the entries the
tenant marked public (open data); a logged-in staff member of the tenant sees every entry
of the tenant and those other tenants share with it. Lists are paged as the HSDS API
reference says (``page``, ``per_page`` → ``total_items``, ``total_pages``, ``page_number``,
``size``, ``first_page``, ``last_page``, ``empty``, ``contents``) and filter cumulatively
(``modified_after``, ``search``, ``taxonomy_term_id``, ``taxonomy_id``, ``organization_id``).

Deliberate deviations from the reference (``tests/integration/test_hsds_interop.py`` checks
the rest): ``format=ndjson`` answers 400 (only JSON pages are offered), ``minimal`` is
ignored (list items already carry ``id`` and ``last_modified``), ``postcode`` and
``proximity`` are not offered, ``per_page`` is capped at 500, and
``/service_at_locations/{id}`` is not offered (the reference gives it the service schema).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy import select

from kasane.core.auth.permissions import needs
from kasane.core.errors import NotFound
from kasane.core.registry.api_common import (
    ACCESS,
    DEFAULT_PER_PAGE,
    PAGING,
    FormatQ,
    FullQ,
    ModifiedQ,
    PageQ,
    PerPageQ,
    RefQ,
    SearchQ,
    answer,
    check_format,
    maybe_actor,
    paging,
    parse_modified_after,
    text_match,
)
from kasane.core.registry.api_openapi import API_TAG, OPENAPI_JSON
from kasane.core.registry.api_organizations import (
    listed_organizations,
    org_dict,
    page_contents,
)
from kasane.core.registry.api_problems import api_errors
from kasane.core.registry.api_query import (
    add_org_places,
    service_candidates,
    service_dict,
    shared_names,
)
from kasane.core.registry.api_vocabulary import HsdsVocabularyController
from kasane.core.registry.graph import Graph, load_graph
from kasane.core.registry.hsds import (
    HSDS_VERSION,
    PROFILE,
    PROFILE_FIELDS,
    sal_json,
    service_full,
)
from kasane.core.registry.models import Organization, ServiceAtLocation
from kasane.core.registry.schemas import (
    ApiInfo,
    HsdsOrganization,
    HsdsService,
    OrganizationPage,
    ServiceAtLocationPage,
    ServicePage,
)
from kasane.core.registry.sharing import read_shared
from kasane.core.web.deps import DbSession, requires_tenant

SERVICES_DOC = (
    "Services with their one-to-one fields; ``full=true`` nests everything they link to."
    " ``modified_after`` keeps services whose ``last_modified`` is on or after it."
    " ``minimal`` is accepted and ignored: every list item already has ``id`` and"
    " ``last_modified``." + ACCESS + PAGING
)
SERVICE_DOC = (
    "A service with its organization, service at locations (each with its location,"
    " addresses and accessibility), phones, contacts, schedules, service areas and"
    " attributes (with the taxonomy term). 404 when the id is unknown, belongs to another"
    " municipality that does not share it, or (without a login) is not public." + ACCESS
)
ORGANIZATIONS_DOC = (
    "Organizations with their services (one-to-one fields). Without a login only"
    " organizations with a public service, listing only those services. ``full=true`` nests"
    " the organization's phones, contacts and locations; ``full_service=true`` nests each"
    " service fully. ``taxonomy_term_id`` / ``taxonomy_id`` keep organizations with a service"
    " so classified." + PAGING
)
ORGANIZATION_DOC = (
    "One organization with its phones, contacts and locations, and its services (one-to-one"
    " fields, or fully nested with ``full_service=true``). Without a login only an"
    " organization with a public service, listing only those services; 404 otherwise."
)
SALS_DOC = (
    "Each place a service is delivered: the service at location with its location and"
    " the service (fully nested with ``full=true``). ``modified_after`` applies to the"
    " service. ``postcode`` and ``proximity`` are not offered." + ACCESS + PAGING
)
FullServiceQ = Annotated[
    bool, Parameter(description="Nest each service fully (as ``/services/{id}``).")
]
MinimalQ = Annotated[
    bool, Parameter(description="Accepted and ignored: list items carry id and last_modified.")
]


class HsdsApiController(Controller):
    """HSDS 3.0 read API of the tenant's resource registry."""

    path = "/api/hsds"
    # a signed-in staff member who may read the registry also sees its non-public records
    opt = needs("registry:resources:read")
    tags = [API_TAG]
    include_in_schema = True  # the app leaves every other route out of the schema

    @get("/profile", name="hsds_profile", include_in_schema=False)
    async def profile(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Kasane's Japanese profile of HSDS 3.0: what it adds to each object (the URL the
        root and every export name as ``profile``)."""
        requires_tenant(request)
        return {
            "name": "Kasane Japanese profile of HSDS 3.0",
            "hsds_version": HSDS_VERSION,
            "description": "Extension fields (x_) a Kasane registry adds for Japanese"
            " municipalities; any HSDS consumer may ignore them. Fields an import brought"
            " that Kasane has no column for are given back as they came.",
            "fields": PROFILE_FIELDS,
        }

    @get(
        "/",
        name="hsds_api_root",
        summary="About this API",
        description="The HSDS version, Kasane's Japanese profile and the OpenAPI URL.",
    )
    async def root(self, request: Request[Any, Any, Any]) -> ApiInfo:
        """The HSDS version, the profile (Kasane's Japanese profile) and the OpenAPI URL."""
        requires_tenant(request)
        base = str(request.base_url).rstrip("/")
        return ApiInfo(
            version=HSDS_VERSION,
            profile=base + PROFILE,
            # the reference wants a URI here, not a path
            openapi_url=str(request.base_url).rstrip("/") + OPENAPI_JSON,
            description="Resource registry (社会資源) of this municipality, HSDS 3.0.",
        )

    @get(
        "/services",
        name="hsds_services",
        responses=api_errors(400),
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
        full: FromQuery[FullQ] = False,
        minimal: FromQuery[MinimalQ] = False,
        output_format: FormatQ = "json",
    ) -> ServicePage:
        """Services with their one-to-one fields (``full=true``: fully nested). Without a
        login only the entries marked public; staff also see entries shared with them."""
        requires_tenant(request)
        check_format(output_format)
        viewer = await maybe_actor(request, db_session)
        pager = paging(page, per_page)
        found, shared = await service_candidates(
            db_session,
            viewer,
            modified_after=parse_modified_after(modified_after),
            search=search,
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            organization_id=organization_id,
        )
        chosen = pager.slice(found)
        own = await load_graph(db_session, [sid for _n, sid, g, _s in chosen if g is None])
        names = await shared_names(db_session, shared)
        contents = []
        for _n, sid, g, s in chosen:
            if g is None:
                contents.append(service_dict(own, own.services[sid], full, None))
            else:
                contents.append(service_dict(g, s, full, names.get(g.tenant_id)))  # type: ignore[arg-type]
        return answer(pager.page_of(found, contents), ServicePage)

    @get(
        "/services/{service_id:uuid}",
        name="hsds_service",
        responses=api_errors(400, 404),
        summary="One fully nested service",
        description=SERVICE_DOC,
    )
    async def service(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        service_id: FromPath[uuid.UUID],
    ) -> HsdsService:
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
                names = await shared_names(db_session, [g])
                shared_by = names.get(g.tenant_id) if g.tenant_id else None
        if service is None or (viewer is None and not service.public):
            raise NotFound()
        data = service_dict(graph, service, True, shared_by)
        return answer(data, HsdsService)

    @get(
        "/organizations",
        name="hsds_organizations",
        responses=api_errors(400),
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
        taxonomy_term_id: FromQuery[RefQ] = None,
        taxonomy_id: FromQuery[RefQ] = None,
        full: FromQuery[FullQ] = False,
        full_service: FromQuery[FullServiceQ] = False,
        output_format: FormatQ = "json",
    ) -> OrganizationPage:
        """Organizations with their services (one-to-one fields). Without a login only
        organizations with a public service, listing only their public services."""
        requires_tenant(request)
        check_format(output_format)
        viewer = await maybe_actor(request, db_session)
        pager = paging(page, per_page)
        after = parse_modified_after(modified_after)
        listed = await listed_organizations(
            db_session, viewer, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id
        )
        rows = [
            (key, o)
            for key, o in listed.orgs.items()
            if (after is None or o.last_modified >= after)
            and (not search or text_match(search, o.name_norm, o.kana_norm))
        ]
        rows.sort(key=lambda r: (r[1].name, r[1].id))
        chosen = pager.slice(rows)
        contents = await page_contents(
            db_session, viewer, listed, chosen, full=full, full_service=full_service
        )
        return answer(pager.page_of(rows, contents), OrganizationPage)

    @get(
        "/organizations/{organization_id:uuid}",
        name="hsds_organization",
        responses=api_errors(400, 404),
        summary="One fully nested organization",
        description=ORGANIZATION_DOC,
    )
    async def organization(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        organization_id: FromPath[uuid.UUID],
        full_service: FromQuery[FullServiceQ] = False,
    ) -> HsdsOrganization:
        requires_tenant(request)
        viewer = await maybe_actor(request, db_session)
        found, _shared = await service_candidates(
            db_session, viewer, organization_id=organization_id
        )
        own_ids = [sid for _n, sid, g, _s in found if g is None]
        own = graph = await load_graph(db_session, own_ids)
        services = [own.services[sid] for sid in own_ids]
        org = own.organizations.get(organization_id)
        if org is None and viewer is not None:
            # staff also see their own organizations that have no service yet
            stmt = select(Organization).where(Organization.id == organization_id)
            org = (await db_session.execute(stmt)).scalar_one_or_none()
        shared = [(g, s) for _n, _sid, g, s in found if g is not None and s is not None]
        if org is None and shared:
            # only a neighbour's shared services name it: answer from that tenant's graph
            graph = shared[0][0]
            org = graph.organizations.get(organization_id)
            services = [s for g, s in shared if g is graph]
        if org is None:
            raise NotFound()
        if viewer is not None and graph is own:
            await add_org_places(db_session, own, {org.id})
        data = org_dict(graph, org, services, full=True, full_service=full_service)
        return answer(data, HsdsOrganization)

    @get(
        "/service_at_locations",
        name="hsds_service_at_locations",
        responses=api_errors(400),
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
        full: FromQuery[FullQ] = False,
        output_format: FormatQ = "json",
    ) -> ServiceAtLocationPage:
        """Each place a service is delivered: the service at location, its location (with
        address and accessibility) and the service (one-to-one fields, or fully nested
        with ``full=true``). ``modified_after`` applies to the service."""
        requires_tenant(request)
        check_format(output_format)
        viewer = await maybe_actor(request, db_session)
        pager = paging(page, per_page)
        found, _shared = await service_candidates(
            db_session,
            viewer,
            modified_after=parse_modified_after(modified_after),
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
        contents = []
        for graph, sal in pager.slice(items):
            item = sal_json(graph, sal)
            if full and sal.service_id in graph.services:
                item["service"] = service_full(graph, graph.services[sal.service_id])
            contents.append(item)
        return answer(pager.page_of(items, contents), ServiceAtLocationPage)


API_ROUTES: list[Any] = [HsdsApiController, HsdsVocabularyController]
