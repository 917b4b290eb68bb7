"""Staff SSO with the tenant's own OpenID Connect provider.

Authorization code flow with PKCE (S256) and a nonce (the protocol: :mod:`.oidc`). The
issuer is pinned per tenant, exactly as the provider's discovery states it. The identity is
the pair (issuer, ``sub``) within *this* tenant. The client secret and the private_key_jwt
key are sealed with the tenant's key (table ``tenant_sso``).

How a sign-in finds its account:

1. the identity is already bound to an account (by an earlier sign-in, or by the admin);
2. the login was started from an invitation link: the single-use invitation proves the
   person, so the identity is bound to the new account whatever the provider says about
   e-mail (Entra ID sends no ``email_verified``);
3. self-service by e-mail — a pending invitation for it, or the tenant's allowed domain —
   only when the e-mail is verified, or the admin trusts this provider's e-mail.

The pending login (state → verifier, nonce, next, invitation) is kept server-side for ten
minutes in the app's ephemeral store, under the tenant and the state's hash, and taken
once; the browser also holds the state in a host-only cookie, so a callback started
elsewhere (login CSRF) is refused.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth import oidc
from kasane.core.auth.invitations import (
    OpenInvitation,
    do_mark_accepted,
    find_invitation_by_email,
    find_open_invitation_by_id,
)
from kasane.core.auth.models import StaffAccount, StaffSession, TenantSSO
from kasane.core.auth.oidc import MSG_FAILED as MSG_FAILED  # the controllers import it here
from kasane.core.auth.oidc import PendingLogin, SSOError, token_hash
from kasane.core.auth.oidc import forget_provider_metadata as forget_provider_metadata
from kasane.core.auth.passwords import hash_password
from kasane.core.auth.services import do_add_account, get_account, new_account
from kasane.core.auth.sso_keys import ensure_client_key, private_jwks, public_of
from kasane.core.db import utcnow
from kasane.core.ephemeral import EphemeralStore
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.protection.crypto import cipher_for

# Messages shown on the login page (translated by the caller).
MSG_NOT_CONFIGURED = N_("Sign-in with your organisation is not set up for this municipality")
MSG_NO_ACCOUNT = N_(
    "You have no staff account here. Ask this municipality's administrator for an invitation."
)
MSG_INVITATION_USED = N_("This invitation has been used, withdrawn or has expired")
MSG_ALREADY_LINKED = N_(
    "This identity is already linked to another staff account here. Ask the administrator."
)


# ------------------------------------------------------------------ configuration


async def find_sso(session: AsyncSession) -> TenantSSO | None:
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
    trust_email: bool = False,
    token_auth_method: str = "client_secret_basic",
    actor: str = "system",
) -> TenantSSO:
    """Create or update the tenant's IdP (audited); clears the cached discovery and keys of
    the old and the new issuer. ``client_secret=None`` keeps the stored one. The first save
    makes the tenant's private_key_jwt key pair."""
    if token_auth_method not in oidc.AUTH_METHODS:
        raise ValueError(f"unknown client authentication {token_auth_method!r}")
    row = await find_sso(session)
    if row is None:
        row = TenantSSO(issuer=issuer, client_id=client_id, client_secret_sealed="")
        session.add(row)
        await session.flush()
    forget_provider_metadata(row.issuer)
    forget_provider_metadata(issuer)
    row.issuer = issuer.strip()  # exactly as the provider's discovery names it
    row.client_id = client_id
    row.allowed_email_domain = (allowed_email_domain or "").strip().lower().lstrip("@") or None
    row.enabled = enabled
    row.trust_email = trust_email
    row.token_auth_method = token_auth_method
    row.updated_at = utcnow()
    cipher = await cipher_for(session)
    if client_secret is not None:
        row.client_secret_sealed = cipher.seal("tenant_sso", row.id, "client_secret", client_secret)
    await ensure_client_key(session, row)
    await session.flush()
    await do_audit(
        session,
        actor,
        "sso.configure",
        f"tenant_sso:{row.id}",
        issuer=row.issuer,
        auth=token_auth_method,
        trust_email=trust_email,
        enabled=enabled,
    )
    return row


async def open_client_secret(session: AsyncSession, row: TenantSSO) -> str:
    cipher = await cipher_for(session)
    return cipher.open("tenant_sso", row.id, "client_secret", row.client_secret_sealed)


async def public_jwks(session: AsyncSession) -> dict[str, Any]:
    """The tenant's public key set for private_key_jwt (empty before SSO is first saved)."""
    row = await find_sso(session)
    keys = await private_jwks(session, row) if row else []
    return {"keys": [public_of(k) for k in keys]}


async def client_of(session: AsyncSession, row: TenantSSO, *, demo: bool) -> oidc.Client:
    """Kasane as the tenant provider's client (secrets opened)."""
    keys = await private_jwks(session, row) if row.token_auth_method == "private_key_jwt" else []
    return oidc.Client(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=await open_client_secret(session, row) if row.client_secret_sealed else "",
        auth_method=row.token_auth_method,
        private_jwk=keys[0] if keys else None,
        allow_loopback_http=demo,
        saved_at=row.updated_at.timestamp(),
    )


# ------------------------------------------------------------------ the flow


async def begin_login(
    store: EphemeralStore,
    row: TenantSSO,
    *,
    tenant_id: uuid.UUID,
    redirect_uri: str,
    next_path: str = "/",
    demo: bool = False,
    invitation: OpenInvitation | None = None,
) -> tuple[str, str]:
    """(authorize URL, state), the pending login kept under the tenant; with the invitation
    it accepts, when started from an invitation link."""
    extra = {"invitation": [invitation.kind, str(invitation.id)]} if invitation else {}
    return await oidc.begin_login(
        store,
        issuer=row.issuer,
        client_id=row.client_id,
        owner=tenant_id.hex,
        redirect_uri=redirect_uri,
        next_path=next_path,
        allow_loopback_http=demo,
        extra=extra,
        fresh_after=row.updated_at.timestamp(),
    )


async def take_pending(store: EphemeralStore, state: str, tenant_id: uuid.UUID) -> PendingLogin:
    """The pending login for ``state``, taken once, only on the tenant that started it."""
    return await oidc.take_pending(store, state, tenant_id.hex)


async def finish_login(
    session: AsyncSession,
    row: TenantSSO,
    pending: PendingLogin,
    *,
    code: str,
    redirect_uri: str,
    demo: bool = False,
) -> dict[str, Any]:
    """The validated ID token claims for the code, completed from userinfo, with the raw ID
    token as ``_id_token`` (see :func:`.oidc.exchange_code`)."""
    return await oidc.exchange_code(
        issuer=row.issuer,
        client_id=row.client_id,
        pending=pending,
        code=code,
        redirect_uri=redirect_uri,
        client=await client_of(session, row, demo=demo),
        with_tokens=True,
    )


async def find_identity(session: AsyncSession, issuer: str, subject: str) -> StaffAccount | None:
    """The account bound to (issuer, sub) here; an identity bound before issuers were
    recorded (NULL) matches by ``sub`` alone."""
    return (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.oidc_subject == subject,
                or_(StaffAccount.oidc_issuer == issuer, StaffAccount.oidc_issuer.is_(None)),
            )
        )
    ).scalar_one_or_none()


async def _subject_taken(session: AsyncSession, subject: str) -> bool:
    return (
        await session.execute(select(StaffAccount.id).where(StaffAccount.oidc_subject == subject))
    ).first() is not None


async def do_resolve_account(
    session: AsyncSession,
    row: TenantSSO,
    claims: dict[str, Any],
    invitation_ref: list[str] | None = None,
) -> StaffAccount:
    """The staff account of this tenant for the (issuer, ``sub``) of the ID token — or a new
    one joined by the invitation the login started from (no e-mail needed), or by a pending
    invitation for the verified (or trusted) e-mail, or by the allowed e-mail domain (as a
    caseworker with no agency). Raises SSOError when none applies."""
    subject = str(claims["sub"])
    account = await find_identity(session, row.issuer, subject)
    if account is not None:
        if not account.is_active:
            raise SSOError(MSG_NO_ACCOUNT, "account inactive")
        if account.oidc_issuer is None:
            account.oidc_issuer = row.issuer
        return account
    if await _subject_taken(session, subject):  # bound under another issuer
        raise SSOError(MSG_ALREADY_LINKED, "subject bound to another issuer")
    email = oidc.verified_email(claims, trusted=row.trust_email)
    if invitation_ref:
        invitation = await find_open_invitation_by_id(session, *invitation_ref)
        if invitation is None or not await do_mark_accepted(session, invitation):
            raise SSOError(MSG_INVITATION_USED, "invitation used, withdrawn or expired")
        role, agency, how = invitation.role, invitation.agency_key, "invitation"
        email = invitation.email  # the address the admin invited
    else:
        if not email:
            raise SSOError(MSG_NO_ACCOUNT, "no verified e-mail")
        found = await find_invitation_by_email(session, email)
        if found is not None and await do_mark_accepted(session, found):
            role, agency, how = found.role, found.agency_key, "invitation_email"
        elif row.allowed_email_domain and email.rsplit("@", 1)[-1] == row.allowed_email_domain:
            role, agency, how = "caseworker", None, "email_domain"
        else:
            raise SSOError(MSG_NO_ACCOUNT, "no invitation and domain not allowed")
    name = claims.get("name") or claims.get("preferred_username") or email.split("@", 1)[0]
    account = new_account(
        username=f"sso-{token_hash(row.issuer + ' ' + subject)[:16]}",
        display_name=str(name)[:120],
        password_hash=hash_password(secrets.token_urlsafe(32)),  # never used
        role=role,
        agency_key=agency,
        email=email,
        oidc_subject=subject,
        oidc_issuer=row.issuer,
    )
    return await do_add_account(session, account, via=how)


async def do_keep_id_token(session: AsyncSession, session_token: str, id_token: str) -> None:
    """Keep the SSO login's ID token, sealed, with its session (the logout's hint)."""
    login = (
        await session.execute(
            select(StaffSession).where(StaffSession.token_hash == token_hash(session_token))
        )
    ).scalar_one()
    cipher = await cipher_for(session)
    login.id_token_sealed = cipher.seal("staff_sessions", login.id, "id_token", id_token)


async def provider_logout_url(
    session: AsyncSession, session_token: str, *, post_logout_redirect_uri: str, demo: bool
) -> str | None:
    """Where the browser goes to end the provider's session too: the provider's
    ``end_session_endpoint`` with this session's ID token as hint — or None (a password
    login, no provider logout, the provider unreachable)."""
    login = (
        await session.execute(
            select(StaffSession).where(StaffSession.token_hash == token_hash(session_token))
        )
    ).scalar_one_or_none()
    row = await find_sso(session)
    if login is None or not login.id_token_sealed or row is None:
        return None
    cipher = await cipher_for(session)
    id_token = cipher.open("staff_sessions", login.id, "id_token", login.id_token_sealed)
    try:
        metadata, _keys = await oidc.provider_metadata(
            row.issuer, allow_loopback_http=demo, fresh_after=row.updated_at.timestamp()
        )
    except SSOError:
        return None
    return oidc.end_session_url(
        metadata,
        id_token=id_token,
        client_id=row.client_id,
        post_logout_redirect_uri=post_logout_redirect_uri,
    )


# ------------------------------------------------------------------ admin: link / unlink


async def do_link_identity(
    session: AsyncSession, account_id: uuid.UUID, subject: str, *, issuer: str, actor: str
) -> StaffAccount:
    """Bind the provider identity ``subject`` to an account of this tenant by hand
    (audited). Raises NotFound for another tenant's or a missing account, ValueError when
    the identity is already bound to another account."""
    account = await get_account(session, account_id)
    other = await find_identity(session, issuer, subject)
    if (other is not None and other.id != account.id) or (
        other is None and await _subject_taken(session, subject)
    ):
        raise ValueError("subject taken")
    account.oidc_subject = subject
    account.oidc_issuer = issuer
    await do_audit(session, actor, "sso.identity_linked", f"staff_account:{account.id}")
    return account


async def do_unlink_identity(
    session: AsyncSession, account_id: uuid.UUID, *, actor: str
) -> StaffAccount:
    """Remove an account's provider identity (audited); its SSO sign-in stops working."""
    account = await get_account(session, account_id)
    if account.oidc_subject is None:
        raise NotFound("staff_account")
    account.oidc_subject = None
    account.oidc_issuer = None
    await do_audit(session, actor, "sso.identity_unlinked", f"staff_account:{account.id}")
    return account
