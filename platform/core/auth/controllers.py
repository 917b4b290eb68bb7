"""Login and logout pages (local accounts)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from kasane.core.auth.ratelimit import LoginLimiter
from kasane.core.auth.services import do_login, do_logout
from kasane.core.i18n import gettext as _
from kasane.core.web.deps import SESSION_COOKIE, Actor, DbSession, requires_login, requires_tenant
from kasane.core.web.templating import render

limiter = LoginLimiter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths; never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


class AuthController(Controller):
    path = "/"

    @get("/login", name="login")
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,  # noqa: A002  (the query parameter is called next)
    ) -> Response[str]:
        requires_tenant(request)
        return render(request, "login", {"next": _safe_next(next), "errors": {}, "username": ""})

    @post("/login", name="login_submit", status_code=200)
    async def login_submit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        tenant = requires_tenant(request)
        username = (data.get("username") or "").strip()
        password = data.get("password") or ""
        errors: dict[str, str] = {}
        if not username:
            errors["username"] = _("Enter your user name")
        if not password:
            errors["password"] = _("Enter your password")
        if not errors and limiter.blocked(tenant.slug, username):
            errors["form"] = _("Too many failed attempts. Wait 15 minutes and try again.")
        if not errors:
            result = await do_login(db_session, username, password)
            if result is None:
                limiter.failed(tenant.slug, username)
                errors["form"] = _("The user name or password is not correct")
            else:
                limiter.succeeded(tenant.slug, username)
                _account, token = result
                response: Response[Any] = Redirect(_safe_next(data.get("next")))
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
                return response
        return render(
            request,
            "login",
            {"next": _safe_next(data.get("next")), "errors": errors, "username": username},
            status_code=422 if "form" not in errors else 401,
        )

    @post("/logout", name="logout", dependencies={"actor": Provide(requires_login)})
    async def logout(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE, "")
        await do_logout(db_session, token, actor.ref)
        response: Response[Any] = Redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
