"""create_app(): the one place that wires the core and the tenants together.

Host routing happens *before* Litestar's router (``KasaneApp.__call__``): the Host picks
the tenant (or the operator site, mounted under ``/_operator``, or the central site, its own
app: ``kasane.central.app``), an unknown host gets the 404 page; a suspended tenant is
read-only (a write gets the notice page) and a cancelled one shows the notice page — both
still let staff sign in and reach billing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.response import Redirect
from litestar.types import Message, Receive, Scope, Send
from litestar_htmx import ClientRedirect

from kasane.central.app import create_central_app
from kasane.core import i18n
from kasane.core.auth.controllers import AuthController
from kasane.core.auth.permissions import PERMISSIONS, permission_for
from kasane.core.auth.sso_controllers import ROUTES as SSO_ROUTES
from kasane.core.caseload.controllers import ROUTES as CASELOAD_ROUTES
from kasane.core.cases.controllers import ROUTES as CASE_ROUTES
from kasane.core.cases.printables_controllers import ROUTES as PRINTABLE_ROUTES
from kasane.core.community.controllers import ROUTES as COMMUNITY_ROUTES
from kasane.core.db import Database
from kasane.core.ephemeral import EphemeralStore, close_ephemeral, make_store
from kasane.core.errors import NotFound
from kasane.core.intake.controllers import ROUTES as INTAKE_ROUTES
from kasane.core.look.controllers import ROUTES as LOOK_ROUTES
from kasane.core.meetings.controllers import ROUTES as MEETING_ROUTES
from kasane.core.meetings.papers_controllers import ROUTES as PAPER_ROUTES
from kasane.core.outreach.controllers import ROUTES as OUTREACH_ROUTES
from kasane.core.participation.controllers import ROUTES as PARTICIPATION_ROUTES
from kasane.core.people.controllers import ROUTES as PEOPLE_ROUTES
from kasane.core.protection.crypto import set_master_secret
from kasane.core.protection.mynumber import MyNumberRefused, field_label
from kasane.core.referrals.controllers import ROUTES as REFERRAL_ROUTES
from kasane.core.registry.api_openapi import hsds_openapi_config
from kasane.core.registry.api_problems import (
    is_api_path,
    problem,
    with_api_cors,
    with_api_problems,
)
from kasane.core.registry.controllers import ROUTES as REGISTRY_ROUTES
from kasane.core.reports.controllers import ROUTES as REPORT_ROUTES
from kasane.core.themes import available_themes
from kasane.core.town.controllers import ROUTES as TOWN_ROUTES
from kasane.core.town.setup_controllers import ROUTES as SETUP_ROUTES
from kasane.core.web import di_cleanup, submissions
from kasane.core.web.app_config import csrf_config, static_routers
from kasane.core.web.controllers import LANG_COOKIE, StaffShellController, set_language
from kasane.core.web.deps import (
    SESSION_COOKIE,
    LoginRequired,
    ReadOnlyTenant,
    provide_session,
    requires_login,
)
from kasane.core.web.headers import with_security_headers
from kasane.core.web.outage import FALLBACK_ERROR_HTML, is_outage, unavailable
from kasane.core.web.route_guards import PUBLIC_ROUTES, refuse_unguarded
from kasane.core.web.templating import htmx_of, render, set_template_reload
from kasane.ops.health import HEALTH_PATHS, answer_health
from kasane.ops.logs import EXPECTED_STATUSES, exception_logging
from kasane.ops.observe import bind_tenant, observed
from kasane.ops.wiring import ops_lifecycle
from kasane.settings import Settings, load_settings
from kasane.tenants.contract_controllers import ROUTES as CONTRACT_ROUTES
from kasane.tenants.controllers import OPERATOR_PREFIX, operator_home
from kasane.tenants.onboarding_controllers import ROUTES as ONBOARDING_ROUTES
from kasane.tenants.portability.controllers import ROUTES as PORTABILITY_ROUTES
from kasane.tenants.services import CENTRAL_SLUG, DEMO_SLUGS, TenantResolver
from kasane.tenants.sharing_controllers import ROUTES as SHARING_ROUTES

di_cleanup.install()  # a failing dependency closes the request's database session

UNROUTED = ("/static/", "/healthz")  # served the same on every host
# A host name (letters, digits, hyphens, dots; or an IPv6 literal) with an optional numeric
# port. Anything else is a malformed request, answered 400 before any URL is built from it.
VALID_HOST = re.compile(
    r"(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)


class KasaneApp(Litestar):
    """Litestar with host → tenant resolution in front of routing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        send = observed(scope, send)  # request id, log context, access line, latency metric
        send = with_security_headers(
            send,
            https=self.state.settings.secure_cookies,
            cacheable=scope["path"].startswith(("/static/", "/look.css")),
        )
        send = with_api_cors(scope, send)  # the anonymous read API, for open-data pages
        scope["state"] = dict(scope.get("state") or {})
        cookie = Request(scope).cookies.get(LANG_COOKIE)  # type: ignore[arg-type]
        i18n.current_locale.set(i18n.pick_locale(cookie))
        path: str = scope["path"]
        host = _host(scope)
        if not VALID_HOST.fullmatch(host):
            scope["state"]["tenant"] = None
            await self._page(scope, receive, send, "bad_request", 400)
            return
        if path in HEALTH_PATHS:  # on every host, before (and without) the database
            await answer_health(self, scope, send)
            return
        receive, form, whole = await _read_form(scope, receive)
        # No text Kasane keeps or searches holds a NUL (PostgreSQL refuses it in text); the
        # public API drops it from its search itself and answers in JSON.
        if _has_nul(scope, form) and not is_api_path(path):
            scope["state"]["tenant"] = None
            await self._page(scope, receive, send, "bad_request", 400)
            return
        resolver: TenantResolver = self.state.resolver
        slug = resolver.slug_of(host)
        if slug == CENTRAL_SLUG:  # its own app: no tenant route exists there
            await self.state.central(scope, receive, send)
            return
        try:
            tenant = await resolver.resolve(slug) if slug else None
        except Exception as exc:  # before Litestar's handlers: answer the outage here too
            if not is_outage(exc):
                raise
            scope["state"]["tenant"] = resolver.last_known(slug) if slug else None
            await self._respond(scope, receive, send, partial(unavailable, exc=exc))
            return
        scope["state"]["tenant"] = tenant
        bind_tenant(tenant.slug if tenant is not None else None)
        if not path.startswith(UNROUTED):
            if slug == "" or (slug and tenant is None):
                await self._page(scope, receive, send, "unknown_host", 404, self._where(host))
                return
            if tenant is not None and (refusal := _closed_tenant_refusal(tenant.status, scope)):
                if is_api_path(path):  # the public API answers a problem, like its others
                    await self._problem(scope, receive, send, refusal)
                else:
                    await self._page(scope, receive, send, "suspended", refusal)
                return
            if tenant is None:  # the operator host
                scope["path"] = OPERATOR_PREFIX + path
                scope["raw_path"] = scope["path"].encode()
        key = None
        if form is not None and whole and submissions.applies(scope):
            key, form = submissions.split_key(form)
            receive = _replaying(receive, form)
        if key is None:
            await super().__call__(scope, receive, send)
            return
        try:  # a form sent twice (its answer lost on the way) is saved once
            await submissions.once(
                super().__call__,
                scope,
                receive,
                send,
                store=self.state.ephemeral,
                tenant=slug or "operator",
                key=key,
                session=Request(scope).cookies.get(SESSION_COOKIE, ""),  # type: ignore[arg-type]
            )
        except Exception as exc:  # the shared store (Redis) is out of reach
            if not is_outage(exc):
                raise
            await self._respond(scope, receive, send, partial(unavailable, exc=exc))

    async def _problem(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        scope["litestar_app"] = self  # type: ignore[typeddict-unknown-key]  # set by Litestar
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        response = problem(status, i18n.gettext("This municipality's service is not available."))
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)

    def _where(self, host: str) -> dict[str, Any]:
        """Where the operator site and the towns are, for an address that serves no town
        (``http://127.0.0.1:8000/``, a mistyped town): the base domain on the same port."""
        settings = self.state.settings
        port = host.rsplit(":", 1)[1] if re.search(r":\d+$", host) else ""
        base = settings.base_domain + (f":{port}" if port else "")
        scheme = "https" if settings.secure_cookies else "http"
        return {
            "asked_host": host,
            "operator_url": f"{scheme}://{base}/",
            "town_pattern": f"{scheme}://<town>.{base}/",
            "demo_towns": [(slug, f"{scheme}://{slug}.{base}/") for slug in sorted(DEMO_SLUGS)]
            if settings.demo
            else [],
        }

    async def _page(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        name: str,
        status: int,
        context: dict[str, Any] | None = None,
    ) -> None:
        await self._respond(
            scope,
            receive,
            send,
            lambda r: render(r, name, context, status_code=status, fragment=False),
        )

    async def _respond(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        answer: Callable[[Request[Any, Any, Any]], Response[Any]],
    ) -> None:
        scope["litestar_app"] = self  # type: ignore[typeddict-unknown-key]  # set by Litestar
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        response = answer(request)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


# What a suspended (read-only) or cancelled tenant still serves: signing in and out, paying,
# the language switch, and the admin's full export ("export offered" after cancellation).
# A suspended tenant also serves every read.
ALWAYS_OPEN = (
    "/login",
    "/logout",
    "/billing",
    "/lang/",
    "/admin/export",
    "/look.css",
    "/session/agency",  # like the language: which agency one reads as, no data changes
)
READS = ("GET", "HEAD")


def _closed_tenant_refusal(status: str, scope: Scope) -> int | None:
    """The status of the notice page for a request a suspended or cancelled tenant refuses."""
    if status not in ("suspended", "cancelled") or scope["path"].startswith(ALWAYS_OPEN):
        return None
    if status == "suspended":
        return None if scope["method"] in READS else 423  # read-only, data kept
    return 403


FORM_BODY = b"application/x-www-form-urlencoded"
MAX_CHECKED_BODY = 1 << 20  # form posts are small; larger bodies are uploads (not checked)


async def _read_form(scope: Scope, receive: Receive) -> tuple[Receive, bytes | None, bool]:
    """A url-encoded form body (None for any other request; its first megabyte when larger,
    then ``whole`` is False) and a ``receive`` that replays what was read. Kasane reads it
    before routing for two checks: NUL characters and the one-time submission key."""
    content_type = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    if not bytes(content_type).lower().startswith(FORM_BODY):
        return receive, None, False
    messages: list[Message] = []
    size, body = 0, b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_CHECKED_BODY:
            body += chunk
        if not message.get("more_body"):
            break
    if size > MAX_CHECKED_BODY:  # not a form a person typed: passed on untouched
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        return replayed, body, False
    return _replaying(receive, body), body, True


def _replaying(receive: Receive, body: bytes) -> Receive:
    """``receive`` that first gives ``body`` as the whole request body."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _has_nul(scope: Scope, form: bytes | None) -> bool:
    """A NUL character in the query string or a form: a malformed request. It has no place
    in any text Kasane keeps or searches, and PostgreSQL refuses it in text (a 500)."""
    query = bytes(scope.get("query_string") or b"").lower()
    if b"%00" in query or b"\x00" in query:
        return True
    return form is not None and (b"%00" in form.lower() or b"\x00" in form)


def _host(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"host":
            return str(value.decode("latin-1"))
    return ""


def _not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    # One body for missing, other tenant's and not-yours: nothing tells them apart.
    return render(request, "not_found", status_code=404, fragment=False)


def _login_required(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    htmx = htmx_of(request)
    if htmx:
        # back to the page the person was typing on (its draft is offered there again),
        # not to the address the form posted to
        page = urlsplit(htmx.current_url or "").path or request.url.path
        return ClientRedirect("/login?next=" + page)
    return Redirect("/login?next=" + request.url.path)


def _read_only(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    return render(request, "suspended", status_code=423, fragment=False)


def _http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return _not_found(request, exc)
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    return render(
        request, "error", {"status": status, "detail": detail}, status_code=status, fragment=False
    )


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    # An unreachable database or Redis is an outage (503, try again), anything else a bug.
    if is_outage(exc):
        return unavailable(request, exc)
    try:
        return render(
            request, "error", {"status": 500, "detail": ""}, status_code=500, fragment=False
        )
    except Exception:
        return Response(FALLBACK_ERROR_HTML, media_type=MediaType.HTML, status_code=500)


def _mynumber_refused(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    # The backstop for a form that did not check its own fields: nothing was stored.
    assert isinstance(exc, MyNumberRefused)
    return render(
        request,
        "error",
        {"status": 422, "detail": "", "mynumber_field": field_label(exc.field)},
        status_code=422,
    )


def create_app(
    settings: Settings | None = None, *, ephemeral: EphemeralStore | None = None
) -> KasaneApp:
    """Assemble the application for ``settings`` (from the environment by default).
    ``ephemeral``: the store for pending logins and rate limits (default from settings).

    Long: the app's assembly in one place: routes, dependencies, error handlers, middleware.
    """
    settings = settings or load_settings()
    set_master_secret(settings.master_key)
    set_template_reload(settings.template_reload)
    db = Database(settings.database_url)
    static = static_routers(available_themes())
    app = KasaneApp(
        route_handlers=[
            AuthController,
            StaffShellController,
            set_language,
            operator_home,
            *CASE_ROUTES,
            *INTAKE_ROUTES,
            *OUTREACH_ROUTES,
            *PEOPLE_ROUTES,
            *REFERRAL_ROUTES,
            *MEETING_ROUTES,
            *PAPER_ROUTES,
            *PRINTABLE_ROUTES,
            *REGISTRY_ROUTES,
            *PARTICIPATION_ROUTES,
            *COMMUNITY_ROUTES,
            *REPORT_ROUTES,
            *SSO_ROUTES,
            *LOOK_ROUTES,  # /admin/look and the tenant's /look.css
            *TOWN_ROUTES,  # /admin/town/…: the town's counters, areas, meetings over its plugin
            *SETUP_ROUTES,  # /admin/setup: the first-run setup and its checklist
            *ONBOARDING_ROUTES,  # signup, billing, the Stripe webhook (CSRF-exempt by its opt)
            *CONTRACT_ROUTES,  # /quote, /billing/quote, /billing/invoice…: buying on paper
            *PORTABILITY_ROUTES,  # /admin/export
            *CASELOAD_ROUTES,  # /admin/import: the caseload a town brings when it moves in
            *SHARING_ROUTES,  # /admin/sharing and /comparison: the central comparison's town side
            *static,
        ],
        dependencies={"db_session": Provide(provide_session)},
        csrf_config=csrf_config(settings),
        # under /api/hsds every failure answers an RFC 9457 problem instead
        exception_handlers=with_api_problems(
            {
                NotFound: _not_found,
                NotFoundException: _not_found,
                LoginRequired: _login_required,
                ReadOnlyTenant: _read_only,
                MyNumberRefused: _mynumber_refused,
                HTTPException: _http_error,
                Exception: _server_error,  # outages answer 503, bugs the error page
            }
        ),
        # the schema documents the public HSDS API only: routes opt in (the HSDS controllers)
        openapi_config=hsds_openapi_config(demo=settings.demo),
        include_in_schema=False,
        on_shutdown=[db.dispose, close_ephemeral],
        # a traceback only for the unexpected (500s): never for a 4xx, a login redirect
        # or another tenant's "not found" (kasane.ops.logs)
        logging_config=LoggingConfig(
            log_exceptions="always",
            configure_root_logger=False,
            disable_stack_trace={
                *EXPECTED_STATUSES,
                NotFound,
                NotFoundException,
                LoginRequired,
                ReadOnlyTenant,
                MyNumberRefused,
            },
            exception_logging_handler=exception_logging,
        ),
        debug=False,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ephemeral = ephemeral or make_store(settings)
    app.state.resolver = TenantResolver(db, settings.base_domain)
    app.state.central = create_central_app(settings, ephemeral=app.state.ephemeral)
    app.on_shutdown.append(app.state.central.state.db.dispose)
    ops_lifecycle(app, settings)  # in-process jobs, the metrics port, tracing
    # checked when the app starts, so a route registered after this (a test) counts too
    app.on_startup.append(
        lambda: refuse_unguarded(
            app, [requires_login], PUBLIC_ROUTES, (permission_for, PERMISSIONS)
        )
    )
    return app
