"""Login and logout pages (local accounts), and switching the session's active agency."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.memberships import do_switch_agency
from kasane.core.auth.permissions import needs, permission_for
from kasane.core.auth.ratelimit import LoginLimiter, client_of
from kasane.core.auth.services import (
    check_login_password,
    do_logout,
    do_open_session,
    find_login,
    get_account,
)
from kasane.core.auth.sso import find_sso, provider_logout_url
from kasane.core.auth.totp import (
    check_totp,
    finish_second_step,
    pending_second_step,
    start_second_step,
)
from kasane.core.ephemeral import ephemeral_of
from kasane.core.i18n import gettext as _
from kasane.core.web.deps import (
    SESSION_COOKIE,
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
)
from kasane.core.web.templating import render


def _limiter(request: Request[Any, Any, Any]) -> LoginLimiter:
    """Over the app's ephemeral store, so every app process counts the same failures."""
    return LoginLimiter(ephemeral_of(request), request.app.state.settings.secret_key)


UUID_IN_PATH = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/|$)")


def _safe_next(target: str | None) -> str:
    """Only same-site paths; never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


safe_next = _safe_next


def _permission_of_page(request: Request[Any, Any, Any], path: str) -> str | None:
    """What opening ``path`` with GET needs, from the route it leads to (None: no route, or
    a public one)."""
    try:
        handler = request.app.asgi_router.handle_routing(path.split("?", 1)[0], "GET")[1]
    except (NotFoundException, MethodNotAllowedException):
        return None
    return permission_for(handler, "GET")


def _same_site_path(request: Request[Any, Any, Any], target: str | None) -> str:
    """The path of ``target`` (a path or this host's URL, e.g. the Referer), else "/".
    (The page's path is not put in the switch form: a 404 page must not echo its id.)"""
    target = target or "/"
    origin = f"{request.base_url.scheme}://{request.base_url.netloc}"
    if target.startswith(origin + "/"):
        target = target[len(origin) :]
    return _safe_next(target).split("?", 1)[0]


def set_session_cookie(
    request: Request[Any, Any, Any], response: Response[Any], token: str
) -> None:
    settings = request.app.state.settings
    # Host-only cookie (no Domain): the browser never sends it to another tenant.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )


async def _sso_enabled(db_session: AsyncSession) -> bool:
    row = await find_sso(db_session)
    return bool(row and row.enabled)


class AuthController(Controller):
    path = "/"

    @get("/login", name="login")
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        next: FromQuery[str | None] = None,  # noqa: A002  (the query parameter is called next)
    ) -> Response[str]:
        requires_tenant(request)
        return render(
            request,
            "login",
            {
                "next": _safe_next(next),
                "errors": {},
                "username": "",
                "sso_enabled": await _sso_enabled(db_session),
            },
        )

    @post("/login", name="login_submit", status_code=200)
    async def login_submit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: FormBody,
    ) -> Response[Any]:
        tenant = requires_tenant(request)
        username = (data.get("username") or "").strip()
        password = data.get("password") or ""
        errors: dict[str, str] = {}
        if not username:
            errors["username"] = _("Enter your user name")
        if not password:
            errors["password"] = _("Enter your password")
        if not errors and await _limiter(request).blocked(
            tenant.id.hex, username, client_of(request)
        ):
            errors["form"] = _(
                "Too many failed attempts from this device. Wait 15 minutes and try again."
            )
        if not errors:
            account = await check_login_password(db_session, username, password)
            if account is None:
                await _limiter(request).failed(tenant.id.hex, username, client_of(request))
                errors["form"] = _("The user name or password is not correct")
            elif account.totp_secret_sealed:
                # Second step: the code from the authenticator app.
                step = await start_second_step(
                    ephemeral_of(request), account, _safe_next(data.get("next"))
                )
                return render(request, "auth/totp_login", {"step": step, "errors": {}})
            else:
                await _limiter(request).succeeded(tenant.id.hex, username, client_of(request))
                token = await do_open_session(db_session, account, method="password")
                response: Response[Any] = Redirect(_safe_next(data.get("next")))
                set_session_cookie(request, response, token)
                return response
        return render(
            request,
            "login",
            {
                "next": _safe_next(data.get("next")),
                "errors": errors,
                "username": username,
                "sso_enabled": await _sso_enabled(db_session),
            },
            status_code=422 if "form" not in errors else 401,
        )

    @post("/login/totp", name="login_totp", status_code=200)
    async def login_totp(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: FormBody,
    ) -> Response[Any]:
        tenant = requires_tenant(request)
        step = data.get("step") or ""
        pending = await pending_second_step(ephemeral_of(request), step, tenant.id)
        if pending is None:
            return Redirect("/login")
        errors: dict[str, str] = {}
        if await _limiter(request).blocked(tenant.id.hex, pending.username, client_of(request)):
            await finish_second_step(ephemeral_of(request), step, tenant.id)
            errors["form"] = _(
                "Too many failed attempts from this device. Wait 15 minutes and try again."
            )
            return render(
                request,
                "login",
                {"next": pending.next, "errors": errors, "username": pending.username},
                status_code=401,
            )
        account = await get_account(db_session, pending.account_id)
        if not account.is_active or not await check_totp(db_session, account, data.get("code", "")):
            await _limiter(request).failed(tenant.id.hex, pending.username, client_of(request))
            await do_audit(db_session, "anonymous", "auth.login_failed", "", second_factor=True)
            errors["code"] = _("The code is not correct")
            return render(
                request, "auth/totp_login", {"step": step, "errors": errors}, status_code=401
            )
        await finish_second_step(ephemeral_of(request), step, tenant.id)
        await _limiter(request).succeeded(tenant.id.hex, pending.username, client_of(request))
        token = await do_open_session(db_session, account, method="password+totp")
        response: Response[Any] = Redirect(pending.next)
        set_session_cookie(request, response, token)
        return response

    @post(
        "/logout",
        name="logout",
        dependencies={"actor": Provide(requires_login)},
        opt=needs("account:session:use"),
    )
    async def logout(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE, "")
        # an SSO login ends at the provider too (RP-initiated logout), which sends the
        # browser back to /login: on a shared PC the next person must sign in again there
        base = f"{request.base_url.scheme}://{request.base_url.netloc}"
        at_provider = await provider_logout_url(
            db_session,
            token,
            post_logout_redirect_uri=f"{base}/login",
            demo=request.app.state.settings.demo,
        )
        await do_logout(db_session, token, actor.ref)
        response: Response[Any] = Redirect(at_provider or "/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        # a shared office PC keeps nothing of the session: cached pages, tab storage
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response

    @post(
        "/session/agency",
        name="switch_agency",
        dependencies={"actor": Provide(requires_login)},
        opt=needs("account:session:use"),
    )
    async def switch_agency(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        data: FormBody,
    ) -> Response[Any]:
        """Work as another of the staff member's agencies (兼務); audited. Back to the page
        the switch was made on when it is a list the new roles may open; else home (an
        object page of the old agency would answer 404 now)."""
        settings = request.app.state.settings
        found = await find_login(
            db_session,
            request.cookies.get(SESSION_COOKIE, ""),
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
        if found is None:  # requires_login has just found it: only a race gets here
            return Redirect("/login")
        account, login = found
        await do_switch_agency(db_session, account, login, (data.get("agency_key") or "").strip())
        back = _same_site_path(request, data.get("next") or request.headers.get("referer"))
        needed = _permission_of_page(request, back)
        now = ActorInfo.of(account, login.agency_key)
        if UUID_IN_PATH.search(back) or needed is None or not now.can(needed):
            back = "/"
        return Redirect(back, status_code=303)
