"""Staff sign-in through the municipality's own identity provider (OIDC), and the tenant's
public key set for ``private_key_jwt`` (``/sso/jwks.json``)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery
from litestar.response import Redirect

from kasane.core.auth.admin_controllers import ROUTES as ADMIN_ROUTES
from kasane.core.auth.controllers import safe_next, set_session_cookie
from kasane.core.auth.errors import SSOError
from kasane.core.auth.invitations import find_open_invitation
from kasane.core.auth.services import do_open_session
from kasane.core.auth.sso import (
    MSG_FAILED,
    MSG_INVITATION_USED,
    MSG_NOT_CONFIGURED,
    begin_login,
    do_keep_id_token,
    do_resolve_account,
    find_sso,
    finish_login,
    public_jwks,
    take_pending,
)
from kasane.core.auth.sso_admin import ROUTES as SSO_ADMIN_ROUTES
from kasane.core.ephemeral import ephemeral_of
from kasane.core.i18n import gettext as _
from kasane.core.web.deps import DbSession, requires_tenant
from kasane.core.web.templating import render

log = logging.getLogger(__name__)

STATE_COOKIE = "kasane_sso_state"


def _redirect_uri(request: Request[Any, Any, Any]) -> str:
    base = request.base_url
    return f"{base.scheme}://{base.netloc}/sso/callback"


def _refuse(request: Request[Any, Any, Any], message: str, next_path: str = "/") -> Response[str]:
    response = render(
        request,
        "login",
        {"next": next_path, "errors": {"form": _(message)}, "username": "", "sso_enabled": True},
        status_code=401,
    )
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@get("/sso/login", name="sso_login")
async def sso_login(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    next: FromQuery[str | None] = None,  # noqa: A002  (the query parameter is called next)
    invitation: FromQuery[str | None] = None,
) -> Response[Any]:
    """Start the sign-in at the provider; with ``invitation`` (the token of an invitation
    link) the identity the provider vouches for is bound to the invited account."""
    tenant = requires_tenant(request)
    row = await find_sso(db_session)
    if row is None or not row.enabled:
        return _refuse(request, MSG_NOT_CONFIGURED, safe_next(next))
    open_invitation = None
    if invitation:
        open_invitation = await find_open_invitation(db_session, invitation)
        if open_invitation is None:
            return _refuse(request, MSG_INVITATION_USED)
    try:
        url, state = await begin_login(
            ephemeral_of(request),
            row,
            tenant_id=tenant.id,
            redirect_uri=_redirect_uri(request),
            next_path=safe_next(next),
            demo=request.app.state.settings.demo,
            invitation=open_invitation,
        )
    except SSOError as exc:
        log.warning("sso login for %s: %s", tenant.slug, exc)
        return _refuse(request, exc.message, safe_next(next))
    response: Response[Any] = Redirect(url)
    # Host-only and short-lived: binds the callback to the browser that started the login.
    response.set_cookie(
        STATE_COOKIE,
        state,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/sso",
        max_age=600,
    )
    return response


@get("/sso/callback", name="sso_callback")
async def sso_callback(
    request: Request[Any, Any, Any],
    db_session: DbSession,
) -> Response[Any]:
    tenant = requires_tenant(request)
    state = request.query_params.get("state")  # "state" is a reserved handler parameter
    code = request.query_params.get("code")
    row = await find_sso(db_session)
    if row is None or not row.enabled:
        return _refuse(request, MSG_NOT_CONFIGURED)
    try:
        if not state or not code or request.cookies.get(STATE_COOKIE) != state:
            raise SSOError(MSG_FAILED, "missing code or state, or state cookie mismatch")
        pending = await take_pending(ephemeral_of(request), state, tenant.id)
        claims = await finish_login(
            db_session,
            row,
            pending,
            code=code,
            redirect_uri=_redirect_uri(request),
            demo=request.app.state.settings.demo,
        )
        account = await do_resolve_account(db_session, row, claims, pending.extra.get("invitation"))
    except SSOError as exc:
        log.warning("sso callback for %s: %s", tenant.slug, exc)
        return _refuse(request, exc.message)
    token = await do_open_session(db_session, account, method="oidc")
    await do_keep_id_token(db_session, token, str(claims["_id_token"]))
    response: Response[Any] = Redirect(pending.next)
    set_session_cookie(request, response, token)
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@get("/sso/jwks.json", name="sso_jwks", media_type="application/jwk-set+json")
async def sso_jwks(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    """The tenant's public key set: the provider verifies our ``private_key_jwt``
    assertions with it (register this URL there). Public, like any JWKS."""
    requires_tenant(request)
    return Response(
        await public_jwks(db_session),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


# route handlers this module serves (with the admin and invitation pages)
ROUTES: list[Any] = [sso_login, sso_callback, sso_jwks, *SSO_ADMIN_ROUTES, *ADMIN_ROUTES]
