"""Signing in to the central site: password then TOTP code, or the central OpenID provider.

Central accounts are the central site's own (``central_accounts``): a tenant's staff account
does not sign in here, nor a central account on a tenant. Failures are rate-limited per
user name like the tenants' logins, and audited in the central log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from kasane.central.accounts import (
    check_code,
    check_password_step,
    do_logout,
    do_open_session,
    find_oidc_account,
)
from kasane.central.models import CentralAccount
from kasane.central.web import (
    SESSION_COOKIE,
    Central,
    CentralSession,
    render_central,
    requires_central_login,
)
from kasane.core.auth import oidc
from kasane.core.auth.ratelimit import LoginLimiter, client_of
from kasane.core.ephemeral import ephemeral_of
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _

log = logging.getLogger(__name__)

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

OWNER = "central"  # the ephemeral store's key space for the central site
STEP_KIND = "central_totp_step"
STEP_SECONDS = 5 * 60
STATE_COOKIE = "kasane_central_sso_state"
MSG_NO_ACCOUNT = N_("You have no central account. Ask the operator for one.")


def _limiter(request: Request[Any, Any, Any]) -> LoginLimiter:
    return LoginLimiter(ephemeral_of(request), request.app.state.settings.secret_key)


def _safe_next(target: str | None) -> str:
    """Only same-site paths; never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _with_session(request: Request[Any, Any, Any], target: str, token: str) -> Response[Any]:
    settings = request.app.state.settings
    response: Response[Any] = Redirect(target)
    response.set_cookie(  # host-only: never sent to a tenant's host
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )
    return response


def _login_page(
    request: Request[Any, Any, Any],
    next_path: str,
    errors: dict[str, str],
    username: str = "",
    status: int = 200,
) -> Response[str]:
    settings = request.app.state.settings
    return render_central(
        request,
        "central/login",
        {
            "next": next_path,
            "errors": errors,
            "username": username,
            "sso_enabled": bool(settings.central_oidc_issuer),
        },
        status,
    )


@get("/login", name="central_login")
async def login_page(
    request: Request[Any, Any, Any],
    next: FromQuery[str | None] = None,  # noqa: A002  (the query parameter is called next)
) -> Response[str]:
    return _login_page(request, _safe_next(next), {})


@post("/login", name="central_login_submit", status_code=200)
async def login_submit(
    request: Request[Any, Any, Any], central_db: CentralSession, data: FormBody
) -> Response[Any]:
    username = (data.get("username") or "").strip()
    password = data.get("password") or ""
    next_path = _safe_next(data.get("next"))
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Enter your user name")
    if not password:
        errors["password"] = _("Enter your password")
    if errors:
        return _login_page(request, next_path, errors, username, 422)
    if await _limiter(request).blocked(OWNER, username, client_of(request)):
        errors["form"] = _("Too many failed attempts. Wait 15 minutes and try again.")
        return _login_page(request, next_path, errors, username, 401)
    account = await check_password_step(central_db, username, password)
    if account is None:
        await _limiter(request).failed(OWNER, username, client_of(request))
        errors["form"] = _("The user name or password is not correct")
        return _login_page(request, next_path, errors, username, 401)
    if account.totp_secret_sealed:
        step = secrets.token_urlsafe(32)
        value = {"account_id": str(account.id), "username": username, "next": next_path}
        await ephemeral_of(request).put(STEP_KIND, OWNER, _hash(step), value, STEP_SECONDS)
        return render_central(request, "auth/totp_login", {"step": step, "errors": {}})
    if not request.app.state.settings.demo:
        # A central account without a second factor signs in only in the demo.
        errors["form"] = _("This account has no one-time code set up. Ask the operator.")
        return _login_page(request, next_path, errors, username, 401)
    await _limiter(request).succeeded(OWNER, username, client_of(request))
    token = await do_open_session(central_db, account, "password")
    return _with_session(request, next_path, token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@post("/login/totp", name="central_login_totp", status_code=200)
async def login_totp(
    request: Request[Any, Any, Any], central_db: CentralSession, data: FormBody
) -> Response[Any]:
    step = data.get("step") or ""
    store = ephemeral_of(request)
    pending = await store.get(STEP_KIND, OWNER, _hash(step)) if step else None
    if pending is None:
        return Redirect("/login")
    username = pending["username"]
    if await _limiter(request).blocked(OWNER, username, client_of(request)):
        await store.delete(STEP_KIND, OWNER, _hash(step))
        errors = {"form": _("Too many failed attempts. Wait 15 minutes and try again.")}
        return _login_page(request, pending["next"], errors, username, 401)
    account = await central_db.get(CentralAccount, uuid.UUID(pending["account_id"]))
    settings = request.app.state.settings
    if (
        account is None
        or not account.is_active
        or not await check_code(central_db, account, data.get("code", ""), settings.master_key)
    ):
        await _limiter(request).failed(OWNER, username, client_of(request))
        errors = {"code": _("The code is not correct")}
        return render_central(request, "auth/totp_login", {"step": step, "errors": errors}, 401)
    await store.delete(STEP_KIND, OWNER, _hash(step))
    await _limiter(request).succeeded(OWNER, username, client_of(request))
    token = await do_open_session(central_db, account, "password+totp")
    return _with_session(request, pending["next"], token)


@post(
    "/logout",
    name="central_logout",
    dependencies={"central_actor": Provide(requires_central_login)},
    opt={"permission": "central:session:use"},
)
async def logout(
    request: Request[Any, Any, Any], central_db: CentralSession, central_actor: Central
) -> Response[Any]:
    await do_logout(central_db, request.cookies.get(SESSION_COOKIE, ""), central_actor.ref)
    response: Response[Any] = Redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------------------ OpenID Connect


def _redirect_uri(request: Request[Any, Any, Any]) -> str:
    base = request.base_url
    return f"{base.scheme}://{base.netloc}/sso/callback"


def _sso_refused(request: Request[Any, Any, Any], message: str) -> Response[str]:
    response = _login_page(request, "/", {"form": _(message)}, status=401)
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@get("/sso/login", name="central_sso_login")
async def sso_login(
    request: Request[Any, Any, Any],
    next: FromQuery[str | None] = None,  # noqa: A002  (the query parameter is called next)
) -> Response[Any]:
    settings = request.app.state.settings
    if not settings.central_oidc_issuer:
        return _sso_refused(request, N_("Sign-in with your organisation is not set up here"))
    try:
        url, state = await oidc.begin_login(
            ephemeral_of(request),
            issuer=settings.central_oidc_issuer,
            client_id=settings.central_oidc_client_id,
            owner=OWNER,
            redirect_uri=_redirect_uri(request),
            next_path=_safe_next(next),
            allow_loopback_http=settings.demo,
        )
    except oidc.SSOError as exc:
        log.warning("central sso login: %s", exc)
        return _sso_refused(request, exc.message)
    response: Response[Any] = Redirect(url)
    response.set_cookie(
        STATE_COOKIE,
        state,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/sso",
        max_age=600,
    )
    return response


@get("/sso/callback", name="central_sso_callback")
async def sso_callback(
    request: Request[Any, Any, Any], central_db: CentralSession
) -> Response[Any]:
    settings = request.app.state.settings
    state = request.query_params.get("state")  # "state" is a reserved handler parameter
    code = request.query_params.get("code")
    if not settings.central_oidc_issuer:
        return _sso_refused(request, N_("Sign-in with your organisation is not set up here"))
    try:
        if not state or not code or request.cookies.get(STATE_COOKIE) != state:
            raise oidc.SSOError(oidc.MSG_FAILED, "missing code or state, or state cookie mismatch")
        pending = await oidc.take_pending(ephemeral_of(request), state, OWNER)
        claims = await oidc.exchange_code(
            issuer=settings.central_oidc_issuer,
            client_id=settings.central_oidc_client_id,
            client_secret=settings.central_oidc_client_secret,
            pending=pending,
            code=code,
            redirect_uri=_redirect_uri(request),
            allow_loopback_http=settings.demo,
        )
        account = await find_oidc_account(
            central_db, str(claims["sub"]), oidc.verified_email(claims)
        )
        if account is None:
            raise oidc.SSOError(MSG_NO_ACCOUNT, "no central account for this identity")
    except oidc.SSOError as exc:
        log.warning("central sso callback: %s", exc)
        return _sso_refused(request, exc.message)
    token = await do_open_session(central_db, account, "oidc")
    response = _with_session(request, pending.next, token)
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


ROUTES: list[Any] = [login_page, login_submit, login_totp, logout, sso_login, sso_callback]
