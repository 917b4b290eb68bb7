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

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.types import Receive, Scope, Send

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
from kasane.core.protection.mynumber import MyNumberRefused
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
from kasane.core.web.outage import is_outage, unavailable
from kasane.core.web.route_guards import PUBLIC_ROUTES, refuse_unguarded
from kasane.core.web.templating import render, set_template_reload
from kasane.error_pages import (
    http_error,
    login_required,
    mynumber_refused,
    not_found,
    read_only,
    server_error,
)
from kasane.ops.health import HEALTH_PATHS, answer_health
from kasane.ops.logs import EXPECTED_STATUSES, exception_logging
from kasane.ops.observe import bind_tenant, observed
from kasane.ops.wiring import ops_lifecycle
from kasane.request_reading import has_nul, host_header, read_form, replaying
from kasane.settings import Settings, load_settings
from kasane.tenants.billing.controllers import ROUTES as BILLING_ROUTES
from kasane.tenants.contract_controllers import ROUTES as CONTRACT_ROUTES
from kasane.tenants.controllers import OPERATOR_PREFIX, operator_home
from kasane.tenants.onboarding_controllers import ROUTES as ONBOARDING_ROUTES
from kasane.tenants.portability.controllers import ROUTES as PORTABILITY_ROUTES
from kasane.tenants.services import CENTRAL_SLUG, DEMO_SLUGS, TenantResolver
from kasane.tenants.sharing_controllers import ROUTES as SHARING_ROUTES

di_cleanup.install()  # a failing dependency closes the request's database session

UNROUTED = ("/static/", "/healthz")  # served the same on every host
BAD_REQUEST = i18n.N_("The request could not be understood. Check the address and try again.")
CLOSED = i18n.N_("This municipality's service is not available.")
# A host name (letters, digits, hyphens, dots; or an IPv6 literal) with an optional numeric
# port. Anything else is a malformed request, answered 400 before any URL is built from it.
VALID_HOST = re.compile(
    r"(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)


class KasaneApp(Litestar):
    """Litestar with host → tenant resolution in front of routing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, pick the site by its Host, then route it (every request)."""
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
        host = host_header(scope)
        if not VALID_HOST.fullmatch(host):
            scope["state"]["tenant"] = None
            if is_api_path(path):  # the public API answers every failure as a problem
                await self._problem(scope, receive, send, 400, BAD_REQUEST)
            else:
                await self._page(scope, receive, send, "bad_request", 400)
            return
        if path in HEALTH_PATHS:  # on every host, before (and without) the database
            await answer_health(self, scope, send)
            return
        receive, form, whole = await read_form(scope, receive)
        # No text Kasane keeps or searches holds a NUL (PostgreSQL refuses it in text); the
        # public API drops it from its search itself and answers in JSON.
        if has_nul(scope, form) and not is_api_path(path):
            scope["state"]["tenant"] = None
            await self._page(scope, receive, send, "bad_request", 400)
            return
        resolver: TenantResolver = self.state.resolver
        slug = resolver.slug_of(host)
        if slug == CENTRAL_SLUG:  # its own app: no tenant route exists there
            await self.state.central(scope, receive, send)
            return
        if await self._admit(scope, receive, send, resolver, slug, host):
            await self._route(scope, receive, send, form, whole, slug)

    async def _admit(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        resolver: TenantResolver,
        slug: str | None,
        host: str,
    ) -> bool:
        """Resolve the host's tenant into the scope; answer (and return False) when the host
        serves no town or the town refuses the request; the operator host's path is moved
        under its prefix."""
        path: str = scope["path"]
        try:
            tenant = await resolver.resolve(slug) if slug else None
        except Exception as exc:  # before Litestar's handlers: answer the outage here too
            if not is_outage(exc):
                raise
            scope["state"]["tenant"] = resolver.last_known(slug) if slug else None
            await self._respond(scope, receive, send, partial(unavailable, exc=exc))
            return False
        scope["state"]["tenant"] = tenant
        bind_tenant(tenant.slug if tenant is not None else None)
        if not path.startswith(UNROUTED):
            if slug == "" or (slug and tenant is None):
                await self._page(scope, receive, send, "unknown_host", 404, self._where(host))
                return False
            if tenant is not None and (refusal := _closed_tenant_refusal(tenant.status, scope)):
                if is_api_path(path):  # the public API answers a problem, like its others
                    await self._problem(scope, receive, send, refusal)
                else:
                    await self._page(scope, receive, send, "suspended", refusal)
                return False
            if tenant is None:  # the operator host
                scope["path"] = OPERATOR_PREFIX + path
                scope["raw_path"] = scope["path"].encode()
        return True

    async def _route(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        form: bytes | None,
        whole: bool,
        slug: str | None,
    ) -> None:
        """Hand the request to Litestar's router; a form carrying a one-time submission key
        goes through ``submissions.once`` so that sending it twice saves it once."""
        key = None
        if form is not None and whole and submissions.applies(scope):
            key, form = submissions.split_key(form)
            receive = replaying(receive, form)
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

    async def _problem(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str = CLOSED
    ) -> None:
        """An RFC 9457 problem answered before routing (``detail`` is a msgid)."""
        scope["litestar_app"] = self  # type: ignore[typeddict-unknown-key]  # set by Litestar
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        response = problem(status, i18n.gettext(detail))
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
            *ONBOARDING_ROUTES,  # signup on the operator host
            *BILLING_ROUTES,  # /billing, local Checkout, Stripe webhook (CSRF-exempt by its opt)
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
                NotFound: not_found,
                NotFoundException: not_found,
                LoginRequired: login_required,
                ReadOnlyTenant: read_only,
                MyNumberRefused: mynumber_refused,
                HTTPException: http_error,
                Exception: server_error,  # outages answer 503, bugs the error page
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
