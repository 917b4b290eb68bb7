"""The page a resource's contact opens from a confirmation link — no account needed.

The token in the path is the whole authorization: signed for this tenant and this service,
14 days valid (:mod:`.freshness`). An altered token, or one made by another tenant, is
the plain 404 of a missing page; an expired one says so (400). The contact confirms the
entry or sends corrections; either waits for staff approval on the resource page.

A link carries one submission (then it says it was used, 410), and the pages answer 429
to a client that submits more than :data:`SUBMITS_PER_WINDOW` times in 15 minutes, whatever
the link — nobody can flood a town's review queue anonymously.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.ephemeral import ephemeral_of
from kasane.core.errors import NotFound
from kasane.core.registry.forms import CORRECTION_FIELDS, MESSAGE_FIELD, parse_correction
from kasane.core.registry.freshness import (
    BadLink,
    ExpiredLink,
    UsedLink,
    do_submit_change,
    link_used,
    proposable,
    read_link_token,
)
from kasane.core.registry.graph import load_graph
from kasane.core.registry.models import Service
from kasane.core.registry.schedules import describe
from kasane.core.registry.services import get_service
from kasane.core.web.deps import DbSession, requires_tenant, requires_writable
from kasane.core.web.templating import render

SUBMITS_PER_WINDOW = 10
WINDOW_SECONDS = 15 * 60
THROTTLE_KIND = "registry_confirm"


class ExpiredLinkPage(Exception):
    pass


async def _throttled(request: Request[Any, Any, Any]) -> bool:
    """Count this submission against the client; True when it is over the allowance."""
    store, tenant = ephemeral_of(request), requires_tenant(request).id.hex
    client = request.client.host if request.client else ""
    key = hashlib.sha256(client.encode()).hexdigest()
    if await store.hits(THROTTLE_KIND, tenant, key, WINDOW_SECONDS) >= SUBMITS_PER_WINDOW:
        return True
    await store.hit(THROTTLE_KIND, tenant, key, WINDOW_SECONDS)
    return False


def _notice(request: Request[Any, Any, Any], kind: str, status: int) -> Response[str]:
    return render(
        request, "registry/confirm_expired", {"kind": kind}, status_code=status, fragment=False
    )


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
    return _notice(request, "expired", 400)


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
        if done != "1" and await link_used(db_session, token):
            return _notice(request, "used", 410)
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
        if await _throttled(request):
            return _notice(request, "throttled", 429)
        form = await request.form()
        if form.get("action") == "confirm":
            proposed, message = await proposable(db_session, service), ""
        else:
            raw = {f.name: form.get(f.name) or "" for f in [*CORRECTION_FIELDS, MESSAGE_FIELD]}
            proposed, message, errors = parse_correction(raw)
            if errors:
                ctx = await _context(db_session, service, values=raw, errors=errors, token=token)
                ctx["summary"] = [(k, v) for k, v in errors.items()]
                return render(request, "registry/confirm", ctx, status_code=422)
        try:
            await do_submit_change(db_session, service, proposed, message, token)
        except UsedLink:
            return _notice(request, "used", 410)
        return Redirect(f"/registry/confirm/{token}?done=1", status_code=303)
