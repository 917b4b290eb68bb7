"""The central site's request plumbing: its database session, the signed-in central admin
and the permission each route needs, and rendering with the central templates.

Every route that takes ``central_actor`` names its permission in ``opt={"permission": …}``;
a route without one is refused (deny by default), like the tenants' routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.accounts import PERMISSIONS, CentralActor, find_login
from kasane.central.queries import Scope
from kasane.core.db import Database
from kasane.core.web.templating import render

# The site's own templates (its base.html stands in for the core's there), and those a
# town's host renders too (its sharing page and the public summary).
SITE_TEMPLATES = str(Path(__file__).parent / "templates" / "site")
SHARED_TEMPLATES = str(Path(__file__).parent / "templates" / "shared")
SESSION_COOKIE = "kasane_central_session"

CentralSession = NamedDependency[AsyncSession]
Central = NamedDependency[CentralActor]


class CentralLoginRequired(Exception):
    """No valid central session; the handler redirects to the login page."""


async def provide_central_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request on the central database (the central role on
    PostgreSQL); committed when the handler succeeds."""
    db: Database = request.app.state.db
    async with db.session() as session:
        yield session


async def requires_central_login(
    request: Request[Any, Any, Any], central_db: CentralSession
) -> CentralActor:
    """The signed-in central admin, when their role holds the route's permission."""
    token = request.cookies.get(SESSION_COOKIE)
    settings = request.app.state.settings
    account = None
    if token:
        account = await find_login(
            central_db,
            token,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    if account is None:
        if token:  # an expired session was deleted: keep that, though the request fails
            await central_db.commit()
        raise CentralLoginRequired()
    actor = CentralActor.of(account)
    request.scope["state"]["central_actor"] = actor
    handler = request.scope.get("route_handler")
    permission = (getattr(handler, "opt", None) or {}).get("permission")
    if permission not in PERMISSIONS or not actor.can(permission):
        raise PermissionDeniedException(detail=f"permission {permission or 'unconfigured'}")
    return actor


def scope_of(actor: CentralActor) -> Scope:
    return Scope(actor.prefecture_code)


def render_central(
    request: Request[Any, Any, Any],
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response[str]:
    """A central page (full page: the site uses no fragments)."""
    ctx = {"central_actor": request.scope["state"].get("central_actor"), **(context or {})}
    templates = (SITE_TEMPLATES, SHARED_TEMPLATES)
    return render(request, name, ctx, status_code, fragment=False, templates=templates)
