"""The central site as its own application: ``central.{KASANE_BASE_DOMAIN}``.

``create_app`` (kasane.app) hands every request for the central host to this app before any
tenant is looked up, so no tenant route exists here (every one answers the plain 404), and
no central route exists on a tenant's host. It can also be served on its own
(``kasane central serve``). It reads through its own database URL
(``KASANE_CENTRAL_DATABASE_URL``: the role ``kasane_central`` on PostgreSQL, which can read
the released tables and the ledger and nothing else; outside the demo it will not serve
without it), keeps its own accounts and sessions, and imports no tenant model.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.response import Redirect
from litestar.types import Receive, Scope, Send

from kasane.central.auth_controllers import ROUTES as AUTH_ROUTES
from kasane.central.controllers import ROUTES as PAGE_ROUTES
from kasane.central.web import (
    CentralLoginRequired,
    provide_central_session,
    render_central,
    requires_central_login,
)
from kasane.core import i18n
from kasane.core.db import Database
from kasane.core.ephemeral import EphemeralStore, make_store
from kasane.core.web import di_cleanup
from kasane.core.web.app_config import csrf_config, static_routers
from kasane.core.web.language import LANG_COOKIE
from kasane.core.web.outage import is_outage, log_outage, static_unavailable
from kasane.core.web.route_guards import CENTRAL_PUBLIC_ROUTES, refuse_unguarded
from kasane.settings import Settings, load_settings

# The same policy as the tenants' pages: no inline script or style anywhere.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}

di_cleanup.install()  # a failing dependency closes the request's database session
log = logging.getLogger("kasane.central")


class CentralApp(Litestar):
    """Litestar with the language picked before routing (like the tenants' app), and the
    security headers on every response (error pages too)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["state"] = {}  # no tenant, ever
        cookie = Request(scope).cookies.get(LANG_COOKIE)  # type: ignore[arg-type]
        i18n.current_locale.set(i18n.pick_locale(cookie))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode().lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def _not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    return render_central(request, "not_found", status_code=404)


def _login_required(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return Redirect("/login?next=" + request.url.path)


def _http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return _not_found(request, exc)
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    return render_central(request, "error", {"status": status, "detail": detail}, status)


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_outage(exc):  # the database is out of reach: try again shortly
        log_outage(exc)
        return static_unavailable()
    return _http_error(request, exc)


class CentralDatabaseMissing(RuntimeError):
    """The central site would read through the app's role (see :func:`database_refusal`)."""


def database_refusal(settings: Settings) -> str | None:
    """Why the central site must not serve: outside the demo, on PostgreSQL, it reads as its
    own role (kasane_central), never through the app's role, which reads every tenant."""
    if settings.is_postgres and not settings.demo and not settings.central_database_url:
        return (
            "KASANE_CENTRAL_DATABASE_URL is not set: outside the demo the central site reads "
            "PostgreSQL as the role kasane_central, never through the app's role"
        )
    return None


def _refusing(reason: str) -> tuple[Callable[[], Awaitable[None]], Any]:
    """`kasane central serve` stops at startup; under `kasane serve` (whose tenants' hosts
    keep working) every central page answers 503 and the reason is logged."""

    async def at_startup() -> None:
        raise CentralDatabaseMissing(reason)

    async def each_request(request: Request[Any, Any, Any]) -> Response[str] | None:
        if request.url.path.startswith("/static/"):
            return None
        log.error(reason)
        return render_central(request, "error", {"status": 503, "detail": ""}, 503)

    return at_startup, each_request


def create_central_app(
    settings: Settings | None = None,
    *,
    ephemeral: EphemeralStore | None = None,
) -> CentralApp:
    """The central site for ``settings`` (from the environment by default)."""
    settings = settings or load_settings()
    db = Database(settings.central_url)
    refusal = database_refusal(settings)
    startup, before_request = _refusing(refusal) if refusal else (None, None)
    if refusal:
        log.error(refusal)
    app = CentralApp(
        route_handlers=[*AUTH_ROUTES, *PAGE_ROUTES, *static_routers(["default"])],
        dependencies={"central_db": Provide(provide_central_session)},
        before_request=before_request,
        on_startup=[startup] if startup else [],
        csrf_config=csrf_config(settings),
        exception_handlers={
            NotFoundException: _not_found,
            CentralLoginRequired: _login_required,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        on_shutdown=[db.dispose],
        openapi_config=None,  # the central site publishes no API schema
        logging_config=LoggingConfig(log_exceptions="always"),
        debug=False,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ephemeral = ephemeral or make_store(settings)
    refuse_unguarded(app, [requires_central_login], CENTRAL_PUBLIC_ROUTES)
    return app
