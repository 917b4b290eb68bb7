"""Request dependencies: the tenant-bound DB session and the logged-in actor.

``requires_login`` is the guard-like dependency: a handler that names ``actor`` gets a
ActorInfo (a staff member of *this* tenant), or the request is redirected to the login page.
It is also where permissions are enforced, for every route at once: it finds the permission
the route needs (``kasane.core.auth.permissions.permission_for``) and answers 403 when the
actor lacks it — or when the route has none configured (deny by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import permission_for
from kasane.core.auth.services import find_login
from kasane.core.db import Database
from kasane.core.tenancy import TenantContext

SESSION_COOKIE = "kasane_session"
T = TypeVar("T")

# Handler parameter types: named dependencies, resolved from the app's providers.
DbSession = NamedDependency[AsyncSession]
# An url-encoded form body as a plain dict (the staff forms post single values).
FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
# An url-encoded form body read into a msgspec Struct that names the form's fields
# (``data: Form[ProposeForm]``). Give every field a default: a missing or empty field is then
# the handler's own message naming it, not a bare 400; fields the struct does not name (the
# CSRF token) are ignored. Forms whose fields a plugin or the town defines go through
# ``kasane.core.forms`` instead, which knows their labels and rules.
Form = Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]
Actor = NamedDependency[ActorInfo]


class LoginRequired(Exception):
    """No valid session on this tenant; the handler redirects to the login page."""


class ReadOnlyTenant(Exception):
    """The tenant is suspended or cancelled: reading is allowed, writing is not."""


def requires_tenant(request: Request[Any, Any, Any]) -> TenantContext:
    tenant: TenantContext | None = request.scope["state"].get("tenant")
    if tenant is None:
        raise NotFoundException()
    return tenant


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request, bound to the request's tenant (None on the operator
    host); committed when the handler succeeds, rolled back when it raises."""
    db: Database = request.app.state.db
    tenant: TenantContext | None = request.scope["state"].get("tenant")
    async with db.session(tenant.id if tenant else None) as session:
        yield session


async def requires_login(request: Request[Any, Any, Any], db_session: DbSession) -> ActorInfo:
    """The logged-in actor, when it holds the permission this route needs."""
    requires_tenant(request)
    token = request.cookies.get(SESSION_COOKIE)
    settings = request.app.state.settings
    found = None
    if token:
        found = await find_login(
            db_session,
            token,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    if found is None:
        if token:  # an expired session was deleted: keep that, though the request fails
            await db_session.commit()
        raise LoginRequired()
    account, login = found
    actor = ActorInfo.of(account, login.agency_key)
    request.scope["state"]["actor"] = actor  # the 403 page still shows the actor's nav
    permission = permission_for(request.scope.get("route_handler"), request.method)
    if permission is None or not actor.can(permission):
        # "permission …": the error page tells this refusal from a CSRF one
        raise PermissionDeniedException(detail=f"permission {permission or 'unconfigured'}")
    return actor


def requires_writable(request: Request[Any, Any, Any]) -> None:
    tenant = requires_tenant(request)
    if not tenant.writable:
        raise ReadOnlyTenant()
