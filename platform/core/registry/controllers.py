"""Staff pages and the HSDS read API for the registry.

Staff pages (login required): search (``/registry``, htmx results), the resource page,
create and edit forms, sharing, confirmation links and the contacts' pending changes,
the review-due list, HSDS export and import (:mod:`.io_controllers`). The contact's
confirmation page needs no account (:mod:`.confirm_controllers`); the HSDS API is
:mod:`.api`. A service another tenant shares with this one opens read-only; every write
route looks the service up in this tenant only, so a shared (or foreign) id is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.errors import NotFound
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.registry.api import API_ROUTES
from kasane.core.registry.confirm_controllers import ConfirmController
from kasane.core.registry.forms import (
    all_fields,
    parse_service,
    raw_values,
    service_sections,
    values_of,
)
from kasane.core.registry.freshness import (
    do_decide_change,
    do_make_link,
    get_change,
)
from kasane.core.registry.io_controllers import RegistryIOController
from kasane.core.registry.models import SERVICE_STATUSES, Service
from kasane.core.registry.page_contexts import (
    form_context,
    new_values,
    own_page,
    service_page_context,
)
from kasane.core.registry.search import search_services
from kasane.core.registry.services import (
    RegistryRuleError,
    current_input,
    do_create_service,
    do_update_service,
    get_service,
    list_organizations,
    list_terms,
    review_due,
)
from kasane.core.registry.sharing import (
    do_share,
    do_unshare,
    find_tenant,
    shared_service,
    tenant_refs,
)
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import (
    Actor,
    DbSession,
    Form,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import is_htmx, render


def _tenant(request: Request[Any, Any, Any]) -> TenantContext:
    return requires_tenant(request)


def _area_parents(tenant: TenantContext) -> dict[str, str | None]:
    return {a.key: a.parent for a in tenant.config.areas}


class ShareForm(msgspec.Struct):
    action: str = "add"  # or "remove"
    tenant: str = ""  # to add: 全国地方公共団体コード or slug
    tenant_id: str = ""  # to remove


class DecisionForm(msgspec.Struct):
    decision: str = ""  # "approve" or "reject"
    note: str = ""


class RegistryController(Controller):
    """The registry's staff pages (a staff member of this tenant)."""

    path = "/registry"
    opt = needs("registry:resources")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="registry_search")
    async def search(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        q: FromQuery[str] = "",
        category: FromQuery[str] = "",
        area: FromQuery[str] = "",
        open_now: FromQuery[str] = "",
    ) -> Response[str]:
        """Search: free text (kanji or kana), category, area, open now. For htmx only the
        results (``registry/_search.html``)."""
        tenant = _tenant(request)
        try:
            term_id = uuid.UUID(category) if category else None
        except ValueError:
            term_id = None
        area_key = area if tenant.config.area(area) else None
        hits = await search_services(
            db_session,
            q=q,
            term_id=term_id,
            area_key=area_key,
            area_parents=_area_parents(tenant),
            open_now=open_now == "1",
        )
        ctx = {
            "hits": hits,
            "terms": await list_terms(db_session),
            "areas": tenant.config.areas,
            "q": q,
            "category": category if term_id else "",
            "area": area_key or "",
            "open_now": open_now == "1",
            "searched": bool(q or term_id or area_key or open_now == "1"),
            "statuses": SERVICE_STATUSES,
        }
        return render(request, "registry/search", ctx)

    @get("/review-due", name="registry_review_due")
    async def review_due_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """Services not reviewed in the last 12 months (or never)."""
        services = await review_due(db_session, today_jst())
        return render(request, "registry/review_due", {"services": services})

    @get("/services/new", name="registry_new", opt=needs("registry:resources:write"))
    async def new_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        ctx = await form_context(
            request, db_session, values=new_values(_tenant(request)), errors={}
        )
        return render(request, "registry/form", ctx)

    @post("/services", name="registry_create", status_code=200)
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        requires_writable(request)
        return await self._save(request, db_session, actor, None)

    @get("/services/{service_id:uuid}", name="registry_service")
    async def service_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        service_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The resource page; an entry shared with this tenant opens read-only."""
        try:
            service = await get_service(db_session, service_id)
        except NotFound:
            graph = await shared_service(db_session, service_id)
            if graph is None:
                raise
            refs = await tenant_refs(db_session, {graph.tenant_id} if graph.tenant_id else set())
            shared = graph.services[service_id]
            ctx = await service_page_context(
                request,
                db_session,
                shared,
                graph,
                shared_by=refs.get(graph.tenant_id),  # type: ignore[arg-type]
            )
            return render(request, "registry/service", ctx)
        return render(request, "registry/service", await own_page(request, db_session, service))

    @get(
        "/services/{service_id:uuid}/edit",
        name="registry_edit",
        opt=needs("registry:resources:write"),
    )
    async def edit_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        service_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        service = await get_service(db_session, service_id)
        values = values_of(await current_input(db_session, service))
        ctx = await form_context(request, db_session, values=values, errors={}, service=service)
        return render(request, "registry/form", ctx)

    @post("/services/{service_id:uuid}", name="registry_update", status_code=200)
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        service_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        requires_writable(request)
        service = await get_service(db_session, service_id)  # shared or foreign: 404
        return await self._save(request, db_session, actor, service)

    async def _save(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: ActorInfo,
        service: Service | None,
    ) -> Response[Any]:
        tenant = _tenant(request)
        sections = service_sections(
            tenant.config, await list_organizations(session), await list_terms(session)
        )
        raw = raw_values(all_fields(sections), await request.form())
        data, errors = parse_service(all_fields(sections), raw)
        if data is not None:
            try:
                if service is None:
                    service = await do_create_service(session, actor.ref, data)
                else:
                    await do_update_service(session, actor.ref, service, data)
            except RegistryRuleError as exc:
                errors = {"form": _(str(exc))}
            except NotFound:
                errors = {
                    "organization_id": _("%(label)s: choose from the list", label=_("Organization"))
                }
        if errors or service is None:
            ctx = await form_context(request, session, values=raw, errors=errors, service=service)
            return render(request, "registry/form", ctx, status_code=422)
        return Redirect(f"/registry/services/{service.id}", status_code=303)

    @post("/services/{service_id:uuid}/shares", name="registry_shares", status_code=200)
    async def shares(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        service_id: FromPath[uuid.UUID],
        data: Form[ShareForm],
    ) -> Response[Any]:
        """``action=add`` with ``tenant`` (全国地方公共団体コード or slug), or
        ``action=remove`` with ``tenant_id``."""
        requires_writable(request)
        tenant = _tenant(request)
        service = await get_service(db_session, service_id)
        error = ""
        if data.action == "remove":
            try:
                await do_unshare(db_session, actor.ref, service, uuid.UUID(data.tenant_id))
            except ValueError:
                error = _("Choose whom to stop sharing with.")
        else:
            target = await find_tenant(db_session, data.tenant)
            if target is None:
                error = _("No municipality with this code uses Kasane.")
            elif target.id == tenant.id:
                error = _("This entry is already yours.")
            else:
                await do_share(db_session, actor.ref, service, target)
        if error:
            ctx = await own_page(request, db_session, service, share_error=error)
            return render(
                request, "registry/service", ctx, status_code=200 if is_htmx(request) else 422
            )
        return Redirect(f"/registry/services/{service.id}#sharing", status_code=303)

    @post("/services/{service_id:uuid}/confirm-link", name="registry_make_link", status_code=200)
    async def make_link(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        service_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """A signed link (valid 14 days) for the resource's contact; shown once."""
        requires_writable(request)
        service = await get_service(db_session, service_id)
        token, expires = await do_make_link(
            db_session, actor.ref, request.app.state.settings.secret_key, service
        )
        link = f"{request.base_url}".rstrip("/") + f"/registry/confirm/{token}"
        ctx = await own_page(request, db_session, service, link=link, link_expires=expires)
        return render(request, "registry/link" if is_htmx(request) else "registry/service", ctx)

    @post("/changes/{change_id:uuid}", name="registry_decide_change", status_code=200)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        change_id: FromPath[uuid.UUID],
        data: Form[DecisionForm],
    ) -> Response[Any]:
        """Approve (apply, mark reviewed today) or reject a contact's pending change."""
        requires_writable(request)
        change = await get_change(db_session, change_id)
        decision = data.decision
        notice = ""
        if decision not in ("approve", "reject"):
            notice = _("Choose approve or reject.")
        elif change.status != "pending":
            notice = _("This change was already decided.")
        else:
            await do_decide_change(
                db_session,
                actor.ref,
                change,
                approve=decision == "approve",
                today=today_jst(),
                note=data.note.strip(),
            )
        service = await get_service(db_session, change.service_id)
        if notice:
            ctx = await own_page(request, db_session, service, notice=notice)
            return render(request, "registry/service", ctx)
        return Redirect(f"/registry/services/{service.id}#changes", status_code=303)


ROUTES: list[Any] = [RegistryController, RegistryIOController, ConfirmController, *API_ROUTES]
