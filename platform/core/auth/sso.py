"""Staff SSO with the tenant's own OpenID Connect provider.

Authorization code flow with PKCE (S256) and a nonce (the protocol: :mod:`.oidc`). The
issuer is pinned per tenant: the discovery document must name it, and the ID token's
``iss`` must equal it. The identity is the ID token's ``sub`` within *this* tenant. The
client secret is sealed with the tenant's key (table ``tenant_sso``, field ``client_secret``).

The pending login (state → verifier, nonce, next) is kept server-side for ten minutes in
the app's ephemeral store (Redis with several app processes), under the tenant and the
state's hash, and taken once; the browser also holds the state in a host-only cookie, so a
callback started elsewhere (login CSRF) is refused.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth import oidc
from kasane.core.auth.invitations import do_mark_accepted, find_invitation_by_email
from kasane.core.auth.models import StaffAccount, TenantSSO
from kasane.core.auth.oidc import MSG_FAILED as MSG_FAILED  # the controllers import it here
from kasane.core.auth.oidc import PendingLogin, SSOError, token_hash
from kasane.core.auth.oidc import forget_provider_metadata as forget_provider_metadata
from kasane.core.auth.passwords import hash_password
from kasane.core.auth.services import do_add_account, new_account
from kasane.core.db import utcnow
from kasane.core.ephemeral import EphemeralStore
from kasane.core.i18n import N_
from kasane.core.protection.crypto import cipher_for

# Messages shown on the login page (translated by the caller).
MSG_NOT_CONFIGURED = N_("Sign-in with your organisation is not set up for this municipality")
MSG_NO_ACCOUNT = N_(
    "You have no staff account here. Ask this municipality's administrator for an invitation."
)


# ------------------------------------------------------------------ configuration


async def get_sso(session: AsyncSession) -> TenantSSO | None:
    """The session tenant's identity provider (enabled or not), or None."""
    return (await session.execute(select(TenantSSO))).scalar_one_or_none()


async def do_configure_sso(
    session: AsyncSession,
    *,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    allowed_email_domain: str | None = None,
    enabled: bool = True,
    actor: str = "system",
) -> TenantSSO:
    """Create or update the tenant's IdP. ``client_secret=None`` keeps the stored one."""
    row = await get_sso(session)
    if row is None:
        row = TenantSSO(issuer=issuer, client_id=client_id, client_secret_sealed="")
        session.add(row)
        await session.flush()
    row.issuer = issuer.rstrip("/")
    row.client_id = client_id
    row.allowed_email_domain = (allowed_email_domain or "").strip().lower().lstrip("@") or None
    row.enabled = enabled
    row.updated_at = utcnow()
    if client_secret is not None:
        cipher = await cipher_for(session)
        row.client_secret_sealed = cipher.seal("tenant_sso", row.id, "client_secret", client_secret)
    await session.flush()
    await do_audit(session, actor, "sso.configure", f"tenant_sso:{row.id}")
    return row


async def open_client_secret(session: AsyncSession, row: TenantSSO) -> str:
    cipher = await cipher_for(session)
    return cipher.open("tenant_sso", row.id, "client_secret", row.client_secret_sealed)


# ------------------------------------------------------------------ the flow


async def begin_login(
    store: EphemeralStore,
    row: TenantSSO,
    *,
    tenant_id: uuid.UUID,
    redirect_uri: str,
    next_path: str = "/",
) -> tuple[str, str]:
    """(authorize URL, state), the pending login kept under the tenant."""
    return await oidc.begin_login(
        store,
        issuer=row.issuer,
        client_id=row.client_id,
        owner=tenant_id.hex,
        redirect_uri=redirect_uri,
        next_path=next_path,
    )


async def take_pending(store: EphemeralStore, state: str, tenant_id: uuid.UUID) -> PendingLogin:
    """The pending login for ``state``, taken once, only on the tenant that started it."""
    return await oidc.take_pending(store, state, tenant_id.hex)


async def finish_login(
    session: AsyncSession, row: TenantSSO, pending: PendingLogin, *, code: str, redirect_uri: str
) -> dict[str, Any]:
    """The validated ID token claims for the code (see :func:`.oidc.exchange_code`)."""
    return await oidc.exchange_code(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=await open_client_secret(session, row),
        pending=pending,
        code=code,
        redirect_uri=redirect_uri,
    )


async def do_resolve_account(
    session: AsyncSession, row: TenantSSO, claims: dict[str, Any]
) -> StaffAccount:
    """The staff account of this tenant for the ID token's ``sub``; joins a new one by a
    pending invitation for the verified e-mail, or by the tenant's allowed e-mail domain
    (as a caseworker with no agency). Raises SSOError when neither applies."""
    subject = str(claims["sub"])
    account = (
        await session.execute(select(StaffAccount).where(StaffAccount.oidc_subject == subject))
    ).scalar_one_or_none()
    if account is not None:
        if not account.is_active:
            raise SSOError(MSG_NO_ACCOUNT, "account inactive")
        return account
    email = oidc.verified_email(claims)
    if not email:
        raise SSOError(MSG_NO_ACCOUNT, "no verified e-mail")
    invitation = await find_invitation_by_email(session, email)
    if invitation is not None and await do_mark_accepted(session, invitation):
        role, agency, how = invitation.role, invitation.agency_key, "invitation"
    elif row.allowed_email_domain and email.rsplit("@", 1)[-1] == row.allowed_email_domain:
        role, agency, how = "caseworker", None, "email_domain"
    else:
        raise SSOError(MSG_NO_ACCOUNT, "no invitation and domain not allowed")
    account = new_account(
        username=f"sso-{token_hash(subject)[:16]}",
        display_name=str(claims.get("name") or email.split("@", 1)[0])[:120],
        password_hash=hash_password(secrets.token_urlsafe(32)),  # never used
        role=role,
        agency_key=agency,
        email=email,
        oidc_subject=subject,
    )
    return await do_add_account(session, account, via=how)
