"""The page a resource's contact opens from a confirmation link — no account needed.

The token in the path is the whole authorization: signed for this tenant and this service,
14 days valid (:mod:`.freshness`). An altered token, or one made by another tenant, is
the plain 404 of a missing page; an expired one says so (400). The contact confirms the
entry or sends corrections; either waits for staff approval on the resource page.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.errors import NotFound
from kasane.core.registry.forms import CORRECTION_FIELDS, MESSAGE_FIELD, parse_correction
from kasane.core.registry.freshness import (
    BadLink,
    ExpiredLink,
    do_submit_change,
    proposable,
    read_link_token,
)
from kasane.core.registry.graph import load_graph
from kasane.core.registry.models import Service
from kasane.core.registry.schedules import describe
from kasane.core.registry.services import get_service
from kasane.core.web.deps import DbSession, requires_tenant, requires_writable
from kasane.core.web.templating import render


class ExpiredLinkPage(Exception):
    pass


async def _service_of(
    request: Request[Any, Any, Any], session: AsyncSession, token: str
) -> Service:
    tenant = requires_tenant(request)
    try:
        service_id = read_link_token(request.app.state.settings.secret_key, tenant.id, token)
    except BadLink:
        raise NotFound("registry_link") from None
    except ExpiredLink:
        raise ExpiredLinkPage() from None
    return await get_service(session, service_id)


def _expired(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "registry/confirm_expired", {}, status_code=400, fragment=False)


async def _context(session: AsyncSession, service: Service, **extra: Any) -> dict[str, Any]:
    graph = await load_graph(session, [service.id])
    return {
        "service": service,
        "organization": graph.organizations.get(service.organization_id),
        "locations": graph.service_locations(service.id),
        "graph": graph,
        "schedules": [(s, describe(s)) for s in graph.service_schedules(service.id)],
        "fields": CORRECTION_FIELDS,
        "message_field": MESSAGE_FIELD,
        "values": await proposable(session, service),
        "errors": {},
        "summary": [],
        "done": False,
        **extra,
    }


class ConfirmController(Controller):
    """``/registry/confirm/{token}``: confirm or correct an entry without an account."""

    path = "/registry/confirm"

    @get("/{token:str}", name="registry_confirm")
    async def page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        token: FromPath[str],
        done: FromQuery[str] = "",
    ) -> Response[str]:
        try:
            service = await _service_of(request, db_session, token)
        except ExpiredLinkPage:
            return _expired(request)
        ctx = await _context(db_session, service, done=done == "1", token=token)
        return render(request, "registry/confirm", ctx)

    @post("/{token:str}", name="registry_confirm_submit", status_code=200)
    async def submit(
        self, request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]
    ) -> Response[Any]:
        """``action=confirm`` (nothing changed) or ``action=correct`` (the form's values)."""
        try:
            service = await _service_of(request, db_session, token)
        except ExpiredLinkPage:
            return _expired(request)
        requires_writable(request)
        form = await request.form()
        if form.get("action") == "confirm":
            await do_submit_change(db_session, service, await proposable(db_session, service), "")
            return Redirect(f"/registry/confirm/{token}?done=1", status_code=303)
        raw = {f.name: form.get(f.name) or "" for f in [*CORRECTION_FIELDS, MESSAGE_FIELD]}
        proposed, message, errors = parse_correction(raw)
        if errors:
            ctx = await _context(db_session, service, values=raw, errors=errors, token=token)
            ctx["summary"] = [(k, v) for k, v in errors.items()]
            return render(request, "registry/confirm", ctx, status_code=422)
        await do_submit_change(db_session, service, proposed, message)
        return Redirect(f"/registry/confirm/{token}?done=1", status_code=303)
