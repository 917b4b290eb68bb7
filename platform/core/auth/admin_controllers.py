"""Admin pages for staff invitations, and the invitee's page (``/invitation``). (The SSO
page is :mod:`kasane.core.auth.sso_admin`.)

Who may open the admin pages is decided in one place (``requires_login`` with
``kasane.core.auth.permissions``): ``tenant:staff:manage``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import i18n
from kasane.core.auth.agency_admin import ROUTES as AGENCY_ROUTES
from kasane.core.auth.controllers import set_session_cookie
from kasane.core.auth.invitations import (
    do_invite_staff,
    do_mark_accepted,
    do_withdraw_invitation,
    find_open_invitation,
    get_pending_invitation,
    pending_invitations,
)
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.otp import code_matches, new_secret, qr_svg
from kasane.core.auth.passwords import hash_password
from kasane.core.auth.permissions import (
    AGENCY_OPTIONAL_ROLES,
    ROLE_HINTS,
    ROLE_LABELS,
    ROLES,
    TENANT_ADMIN,
    needs,
    role_name,
)
from kasane.core.auth.services import do_add_account, do_open_session, new_account
from kasane.core.auth.sso import find_sso
from kasane.core.auth.staff_admin import ROUTES as STAFF_ROUTES
from kasane.core.auth.totp import do_enrol_totp, provisioning_uri
from kasane.core.db import utcnow
from kasane.core.i18n import gettext as _
from kasane.core.mail.invitations import invitation_mail, mail_if_configured
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login, requires_tenant
from kasane.core.web.templating import render

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
TOTP_KEY = r"[A-Z2-7]{16,64}"  # a base32 key as new_secret() makes it


# ------------------------------------------------------------------ /admin/invitations


async def _invitation_page(
    request: Request[Any, Any, Any], db_session: DbSession, extra: dict[str, Any], status: int = 200
) -> Response[str]:
    tenant: TenantContext = request.scope["state"]["tenant"]
    context = {
        "pending": await pending_invitations(db_session),
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        "agencies": tenant.config.agencies,
        "errors": {},
        "values": {},
        "link": None,
        "sent": False,
        "withdrawn": False,
    }
    context.update(extra)
    return render(request, "admin/invitations", context, status_code=status, fragment=False)


@get(
    "/admin/invitations",
    name="admin_invitations",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:staff:manage"),
)
async def admin_invitations(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    withdrawn = request.query_params.get("withdrawn") == "1"
    return await _invitation_page(request, db_session, {"withdrawn": withdrawn})


@post(
    "/admin/invitations",
    name="admin_invite",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:staff:manage"),
)
async def admin_invite(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[str]:
    tenant: TenantContext = request.scope["state"]["tenant"]
    values = {
        "email": (data.get("email") or "").strip(),
        "role": data.get("role") or "caseworker",
        "agency_key": (data.get("agency_key") or "").strip(),
    }
    errors: dict[str, str] = {}
    if not EMAIL.match(values["email"]):
        errors["email"] = _("Enter an e-mail address")
    if values["role"] not in ROLES:
        errors["role"] = _("Choose a role")
    if values["agency_key"] and tenant.config.agency(values["agency_key"]) is None:
        errors["agency_key"] = _("Choose an agency from the list")
    elif not values["agency_key"] and values["role"] not in AGENCY_OPTIONAL_ROLES:
        errors["agency_key"] = _("Choose the agency this role works in")
    if errors:
        return await _invitation_page(
            request, db_session, {"errors": errors, "values": values}, status=422
        )
    _inv, token = await do_invite_staff(
        db_session,
        email=values["email"],
        role=values["role"],
        agency_key=values["agency_key"] or None,
        actor=actor.ref,
    )
    base = request.base_url
    link = f"{base.scheme}://{base.netloc}/invitation?token={token}"
    settings = request.app.state.settings
    await mail_if_configured(  # staff invitations by mail too, when mail is configured
        settings,
        invitation_mail(
            to=values["email"],
            town=tenant.name,
            name="",
            link=link,
            expires_at=_inv.expires_at,
            lang=i18n.current_locale.get(),
            role="staff",
        ),
    )
    return await _invitation_page(
        request, db_session, {"link": link if settings.demo else None, "sent": True}
    )


@post(
    "/admin/invitations/{invitation_id:uuid}/withdraw",
    name="admin_invitation_withdraw",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:staff:manage"),
)
async def admin_invitation_withdraw(
    db_session: DbSession, actor: Actor, invitation_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """Withdraw a pending invitation: its link stops working (audited)."""
    invitation = await get_pending_invitation(db_session, invitation_id)
    await do_withdraw_invitation(db_session, invitation, actor=actor.ref)
    return Redirect("/admin/invitations?withdrawn=1", status_code=303)


# ------------------------------------------------------------------ /invitation


@get("/invitation", name="invitation")
async def invitation_page(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    """With SSO the invitee signs in at the IdP, and the identity it vouches for is bound
    to the invited account (no e-mail check: the single-use link proves the person);
    without, they choose a user name and password and enrol TOTP."""
    requires_tenant(request)
    token = request.query_params.get("token") or ""
    invitation = await find_open_invitation(db_session, token) if token else None
    if invitation is None:
        return render(request, "auth/invitation_invalid", {}, status_code=404, fragment=False)
    sso = await find_sso(db_session)
    if sso is not None and sso.enabled:
        return Redirect(f"/sso/login?{urlencode({'invitation': token})}")
    username = invitation.email.split("@", 1)[0]
    values = {"username": username, "display_name": invitation.name}
    return _invitation_form(request, token, invitation, new_secret(), values, {})


def _invitation_form(
    request: Request[Any, Any, Any],
    token: str,
    invitation: Any,
    secret: str,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response[Any]:
    """The invitation's form: user name, name, password, and the TOTP key to enrol (its
    QR code made here) — 422 with the messages when ``errors``."""
    probe = StaffAccount(username=values["username"] or "staff")
    uri = provisioning_uri(secret, probe, requires_tenant(request).name)
    return render(
        request,
        "auth/invitation",
        {
            "token": token,
            "invitation": invitation,
            "secret": secret,
            "otpauth": uri,
            "qr": qr_svg(uri, _("QR code for the authenticator app")),
            "values": values,
            "errors": errors,
        },
        status_code=422 if errors else 200,
        fragment=False,
    )


@post("/invitation", name="invitation_accept", status_code=200)
async def invitation_accept(
    request: Request[Any, Any, Any], db_session: DbSession, data: FormBody
) -> Response[Any]:
    requires_tenant(request)
    token = data.get("token") or ""
    invitation = await find_open_invitation(db_session, token) if token else None
    if invitation is None:
        return render(request, "auth/invitation_invalid", {}, status_code=404, fragment=False)
    values = {
        "username": (data.get("username") or "").strip(),
        "display_name": (data.get("display_name") or "").strip(),
    }
    secret = data.get("secret") or ""
    password = data.get("password") or ""
    errors = await _refusals(db_session, values, password, secret, data.get("code") or "")
    if errors:
        if not re.fullmatch(TOTP_KEY, secret):
            secret = new_secret()
        return _invitation_form(request, token, invitation, secret, values, errors)
    if not await do_mark_accepted(db_session, invitation):  # a parallel accept won
        return render(request, "auth/invitation_invalid", {}, status_code=404, fragment=False)
    account = new_account(
        username=values["username"],
        display_name=values["display_name"][:120],
        password_hash=hash_password(password),
        role=invitation.role,
        agency_key=invitation.agency_key,
        email=invitation.email,
        created_at=utcnow(),
    )
    await do_add_account(db_session, account, via="invitation")
    await do_enrol_totp(db_session, account, secret)
    session_token = await do_open_session(db_session, account, method="invitation")
    # a town's administrator goes on to the first-run setup (it says when nothing is missing)
    first = "/admin/setup" if role_name(invitation.role) == TENANT_ADMIN else "/"
    response: Response[Any] = Redirect(first)
    set_session_cookie(request, response, session_token)
    return response


async def _refusals(
    session: AsyncSession, values: dict[str, str], password: str, secret: str, code: str
) -> dict[str, str]:
    """Field → message for what the invitee must correct (empty when all is well)."""
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,80}", values["username"]):
        errors["username"] = _("Use 3 to 80 letters, digits, dots, hyphens or underscores")
    elif (
        await session.execute(
            select(StaffAccount.id).where(StaffAccount.username == values["username"])
        )
    ).first():
        errors["username"] = _("This user name is taken")
    if not values["display_name"]:
        errors["display_name"] = _("Enter your name")
    if len(password) < MIN_PASSWORD:
        errors["password"] = _("Use at least 12 characters")
    if not re.fullmatch(TOTP_KEY, secret) or not code_matches(secret, code):
        errors["code"] = _("The code is not correct")
    return errors


ROUTES: list[Any] = [
    admin_invitations,
    admin_invite,
    admin_invitation_withdraw,
    invitation_page,
    invitation_accept,
    *STAFF_ROUTES,
    *AGENCY_ROUTES,
]
