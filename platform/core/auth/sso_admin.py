"""The tenant admin's SSO page (``/admin/sso``): the provider's settings, tested against the
provider before they are saved; the URLs to register there; and linking or unlinking a
staff account's provider identity by hand (audited).

Who may open it is decided in one place (``requires_login`` with
``kasane.core.auth.permissions``): ``tenant:sso:manage``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth import oidc
from kasane.core.auth.models import TenantSSO
from kasane.core.auth.permissions import needs
from kasane.core.auth.services import list_accounts
from kasane.core.auth.sso import do_configure_sso, do_link_identity, do_unlink_identity, find_sso
from kasane.core.auth.sso_check import check_provider
from kasane.core.auth.sso_keys import do_add_client_key, do_retire_old_client_keys, private_jwks
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login
from kasane.core.web.templating import render

AUTH_LABELS = {
    "client_secret_basic": N_("Client secret in the Authorization header (client_secret_basic)"),
    "client_secret_post": N_("Client secret in the request body (client_secret_post)"),
    "private_key_jwt": N_("Signed with this municipality's key (private_key_jwt)"),
}


def _base(request: Request[Any, Any, Any]) -> str:
    return f"{request.base_url.scheme}://{request.base_url.netloc}"


def urls_to_register(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The callback, the logout return and the public key set URLs of this tenant."""
    base = _base(request)
    return {
        "callback": f"{base}/sso/callback",
        "logout": f"{base}/login",
        "jwks": f"{base}/sso/jwks.json",
    }


# ------------------------------------------------------------------ the page


def _values(row: TenantSSO | None) -> dict[str, Any]:
    return {
        "issuer": row.issuer if row else "",
        "client_id": row.client_id if row else "",
        "allowed_email_domain": (row.allowed_email_domain or "") if row else "",
        "enabled": row.enabled if row else True,
        "trust_email": row.trust_email if row else False,
        "token_auth_method": row.token_auth_method if row else "client_secret_basic",
    }


async def _page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    extra: dict[str, Any],
    status: int = 200,
) -> Response[str]:
    row = await find_sso(db_session)
    accounts = await list_accounts(db_session)
    context: dict[str, Any] = {
        "values": _values(row),
        "errors": {},
        "has_secret": bool(row and row.client_secret_sealed),
        "saved": False,
        "tested": False,
        "check": None,
        "urls": urls_to_register(request),
        "auth_labels": AUTH_LABELS,
        "linked": [a for a in accounts if a.oidc_subject],
        "unlinked": [a for a in accounts if not a.oidc_subject and a.is_active],
        "link_errors": {},
        "link_values": {},
        "link_done": "",
        "configured": row is not None,
        "secret_typed": False,
        "client_keys": [str(k["kid"]) for k in await private_jwks(db_session, row)] if row else [],
        "key_done": "",
    }
    context.update(extra)
    if context["check"] is None and row is not None and not context["tested"]:
        # the page says whether the saved provider offers sign-out (cached discovery)
        try:
            metadata, _keys = await oidc.provider_metadata(
                row.issuer, allow_loopback_http=request.app.state.settings.demo
            )
            context["provider_logout"] = bool(metadata.get("end_session_endpoint"))
        except oidc.SSOError:
            context["provider_logout"] = None
    elif context["check"] is not None:
        context["provider_logout"] = context["check"].logout
    return render(request, "admin/sso", context, status_code=status, fragment=False)


@get(
    "/admin/sso",
    name="admin_sso",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:sso:manage"),
)
async def admin_sso(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    return await _page(request, db_session, {})


@post(
    "/admin/sso",
    name="admin_sso_save",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:sso:manage"),
)
async def admin_sso_save(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[str]:
    """``action=test`` checks the settings against the provider and saves nothing; a save
    checks them too and saves only when every check passes (audited)."""
    row = await find_sso(db_session)
    values = _entered(data)
    secret = data.get("client_secret") or ""
    errors = _refusals(values, secret, has_secret=bool(row and row.client_secret_sealed))
    check = None
    if "issuer" not in errors and "token_auth_method" not in errors:
        demo = request.app.state.settings.demo
        check = await check_provider(values["issuer"], values["token_auth_method"], demo=demo)
        values["issuer"] = check.issuer
        for name, message in check.field_errors.items():
            errors.setdefault(name, message)
    testing = data.get("action") == "test"
    if errors or testing:
        return await _page(
            request,
            db_session,
            {
                "values": values,
                "errors": errors,
                "check": check,
                "tested": True,
                "secret_typed": bool(secret),
            },
            status=422 if errors else 200,
        )
    await do_configure_sso(
        db_session,
        issuer=str(values["issuer"]),
        client_id=str(values["client_id"]),
        client_secret=secret or None,
        allowed_email_domain=str(values["allowed_email_domain"]) or None,
        enabled=bool(values["enabled"]),
        trust_email=bool(values["trust_email"]),
        token_auth_method=str(values["token_auth_method"]),
        actor=actor.ref,
    )
    return await _page(request, db_session, {"saved": True, "check": check, "tested": True})


def _entered(data: dict[str, str]) -> dict[str, Any]:
    """The settings as the admin entered them, trimmed."""
    return {
        "issuer": (data.get("issuer") or "").strip(),
        "client_id": (data.get("client_id") or "").strip(),
        "allowed_email_domain": (data.get("allowed_email_domain") or "").strip(),
        "enabled": data.get("enabled") == "on",
        "trust_email": data.get("trust_email") == "on",
        "token_auth_method": data.get("token_auth_method") or "client_secret_basic",
    }


def _refusals(values: dict[str, Any], secret: str, *, has_secret: bool) -> dict[str, str]:
    """Field → message for what is missing or malformed before the provider is asked
    (``has_secret``: a client secret is already stored, so it may be left blank)."""
    errors: dict[str, str] = {}
    if not re.match(r"^https?://[^\s/]+", values["issuer"]):
        errors["issuer"] = _("Enter the issuer URL of your identity provider")
    if not values["client_id"]:
        errors["client_id"] = _("Enter the client ID")
    if values["token_auth_method"] not in oidc.AUTH_METHODS:
        errors["token_auth_method"] = _("Choose how Kasane authenticates to the provider")
    elif values["token_auth_method"] != "private_key_jwt" and not secret and not has_secret:
        errors["client_secret"] = _("Enter the client secret")
    return errors


def _account_id(data: dict[str, str]) -> uuid.UUID:
    try:
        return uuid.UUID(data.get("account_id") or "")
    except ValueError as exc:
        raise NotFound("staff_account") from exc


@post(
    "/admin/sso/link",
    name="admin_sso_link",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:sso:manage"),
)
async def admin_sso_link(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[str]:
    """Bind a provider identity (its ``sub``) to a staff account by hand (audited)."""
    row = await find_sso(db_session)
    subject = (data.get("subject") or "").strip()
    link_values = {"account_id": data.get("account_id") or "", "subject": subject}
    errors: dict[str, str] = {}
    if row is None:
        errors["subject"] = _("Set up the identity provider first")
    elif not subject or len(subject) > 255:
        errors["subject"] = _("Enter the identity's subject (sub) as the provider states it")
    if not data.get("account_id"):
        errors["account_id"] = _("Choose a staff account")
    if not errors and row is not None:
        try:
            await do_link_identity(
                db_session, _account_id(data), subject, issuer=row.issuer, actor=actor.ref
            )
        except ValueError:
            errors["subject"] = _("This identity is already linked to another staff account")
    if errors:
        return await _page(
            request,
            db_session,
            {"link_errors": errors, "link_values": link_values},
            status=422,
        )
    return await _page(request, db_session, {"link_done": "linked"})


@post(
    "/admin/sso/unlink",
    name="admin_sso_unlink",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:sso:manage"),
)
async def admin_sso_unlink(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[str]:
    """Remove a staff account's provider identity (audited)."""
    await do_unlink_identity(db_session, _account_id(data), actor=actor.ref)
    return await _page(request, db_session, {"link_done": "unlinked"})


@post(
    "/admin/sso/keys",
    name="admin_sso_keys",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:sso:manage"),
)
async def admin_sso_keys(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[str]:
    """Rotate the private_key_jwt key: ``action=new`` adds a signing key (the previous one
    stays published), ``action=retire`` stops publishing the older one (both audited)."""
    row = await find_sso(db_session)
    if row is None:
        raise NotFound("tenant_sso")
    if data.get("action") == "retire":
        await do_retire_old_client_keys(db_session, row, actor=actor.ref)
        done = "retired"
    else:
        await do_add_client_key(db_session, row, actor=actor.ref)
        done = "added"
    return await _page(request, db_session, {"key_done": done})


ROUTES: list[Any] = [admin_sso, admin_sso_save, admin_sso_link, admin_sso_unlink, admin_sso_keys]
