"""Staff SSO with the tenant's own OpenID Connect provider.

Authorization code flow with PKCE (S256) and a nonce. The issuer is pinned per tenant: the
discovery document must name it, and the ID token's ``iss`` must equal it. The identity is
the ID token's ``sub`` within *this* tenant. The client secret is sealed with the tenant's
key (table ``tenant_sso``, field ``client_secret``).

The pending login (state → verifier, nonce, next) is kept server-side for ten minutes in
the app's ephemeral store (Redis with several app processes), under the tenant and the
state's hash, and taken once; the browser also holds the state in a host-only cookie, so a
callback started elsewhere (login CSRF) is refused.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.invitations import do_mark_accepted, find_invitation_by_email
from kasane.core.auth.models import StaffAccount, TenantSSO
from kasane.core.auth.passwords import hash_password
from kasane.core.auth.services import do_add_account, new_account
from kasane.core.db import utcnow
from kasane.core.ephemeral import EphemeralStore
from kasane.core.i18n import N_
from kasane.core.protection.crypto import cipher_for

PENDING_SECONDS = 10 * 60
KIND = "sso_state"
DISCOVERY_SECONDS = 60 * 60
HTTP_TIMEOUT = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "PS256"]

# Messages shown on the login page (translated by the caller).
MSG_NOT_CONFIGURED = N_("Sign-in with your organisation is not set up for this municipality")
MSG_FAILED = N_("Sign-in with your organisation failed. Try again.")
MSG_NO_ACCOUNT = N_(
    "You have no staff account here. Ask this municipality's administrator for an invitation."
)


class SSOError(Exception):
    """The SSO login cannot go on; ``message`` is a msgid for the login page."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message


@dataclass
class PendingLogin:
    tenant_id: uuid.UUID
    verifier: str
    nonce: str
    next: str


# issuer → (fetched at, discovery document, JWKS)
_discovery: dict[str, tuple[float, dict[str, Any], dict[str, Any]]] = {}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


# ------------------------------------------------------------------ provider metadata


async def provider_metadata(issuer: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The discovery document and JWKS of a pinned issuer (cached for an hour).

    The document must name the same issuer (OpenID Connect Discovery §4.3).
    """
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1], cached[2]
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.get(f"{issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            metadata = response.json()
            if metadata.get("issuer", "").rstrip("/") != issuer:
                raise SSOError(MSG_FAILED, "discovery names another issuer")
            keys = (await client.get(metadata["jwks_uri"])).raise_for_status().json()
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"discovery failed: {exc}") from exc
    _discovery[issuer] = (time.monotonic(), metadata, keys)
    return metadata, keys


def forget_provider_metadata(issuer: str | None = None) -> None:
    if issuer is None:
        _discovery.clear()
    else:
        _discovery.pop(issuer, None)


# ------------------------------------------------------------------ the flow


async def begin_login(
    store: EphemeralStore,
    row: TenantSSO,
    *,
    tenant_id: uuid.UUID,
    redirect_uri: str,
    next_path: str = "/",
) -> tuple[str, str]:
    """(authorize URL, state). PKCE S256 and a nonce; the pending login is kept server-side."""
    metadata, _keys = await provider_metadata(row.issuer)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    value = {"verifier": verifier, "nonce": nonce, "next": next_path}
    await store.put(KIND, tenant_id.hex, _token_hash(state), value, PENDING_SECONDS)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": row.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{metadata['authorization_endpoint']}?{query}", state


async def take_pending(store: EphemeralStore, state: str, tenant_id: uuid.UUID) -> PendingLogin:
    """The pending login for ``state``, taken once (atomically, on any app process), only
    on the tenant that started it: another tenant's key space does not hold it."""
    value = await store.take(KIND, tenant_id.hex, _token_hash(state))
    if value is None:
        raise SSOError(MSG_FAILED, "unknown, expired, used or foreign state")
    return PendingLogin(tenant_id, value["verifier"], value["nonce"], value["next"])


async def finish_login(
    session: AsyncSession, row: TenantSSO, pending: PendingLogin, *, code: str, redirect_uri: str
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the validated ID token claims:
    signature by the issuer's JWKS, ``iss`` = the pinned issuer, ``aud`` = our client id,
    the nonce of this login, not expired."""
    metadata, keys = await provider_metadata(row.issuer)
    secret = await open_client_secret(session, row)
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": pending.verifier,
                },
                auth=(row.client_id, secret),
            )
            response.raise_for_status()
            id_token = response.json()["id_token"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"token exchange failed: {exc}") from exc
    return validate_id_token(
        id_token, keys, issuer=row.issuer, client_id=row.client_id, nonce=pending.nonce
    )


def validate_id_token(
    id_token: str, keys: dict[str, Any], *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"ID token refused: {exc}") from exc
    return dict(token.claims)


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
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") is True
    if not email or not verified:
        raise SSOError(MSG_NO_ACCOUNT, "no verified e-mail")
    invitation = await find_invitation_by_email(session, email)
    if invitation is not None and await do_mark_accepted(session, invitation):
        role, agency, how = invitation.role, invitation.agency_key, "invitation"
    elif row.allowed_email_domain and email.rsplit("@", 1)[-1] == row.allowed_email_domain:
        role, agency, how = "caseworker", None, "email_domain"
    else:
        raise SSOError(MSG_NO_ACCOUNT, "no invitation and domain not allowed")
    account = new_account(
        username=f"sso-{_token_hash(subject)[:16]}",
        display_name=str(claims.get("name") or email.split("@", 1)[0])[:120],
        password_hash=hash_password(secrets.token_urlsafe(32)),  # never used
        role=role,
        agency_key=agency,
        email=email,
        oidc_subject=subject,
    )
    return await do_add_account(session, account, via=how)
