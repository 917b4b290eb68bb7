"""The OpenID Connect authorization code flow as protocol code: no account, no database.

PKCE (S256) and a nonce; the issuer is pinned: the discovery document must name it and the
ID token's ``iss`` must equal it. The pending login (state → verifier, nonce, next) is kept
server-side for ten minutes in the app's ephemeral store under an *owner* (a tenant's id,
or ``central``) and the state's hash, and taken once.

Used by the staff SSO of each tenant (:mod:`kasane.core.auth.sso`, which keeps the
provider's settings in the tenant's table) and by the central site
(:mod:`kasane.central.auth_controllers`, provider from the settings).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kasane.core.ephemeral import EphemeralStore
from kasane.core.i18n import N_

PENDING_SECONDS = 10 * 60
KIND = "sso_state"
DISCOVERY_SECONDS = 60 * 60
HTTP_TIMEOUT = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "PS256"]

MSG_FAILED = N_("Sign-in with your organisation failed. Try again.")


class SSOError(Exception):
    """The SSO login cannot go on; ``message`` is a msgid for the login page."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message


@dataclass
class PendingLogin:
    owner: str  # the key space it was kept in: a tenant id's hex, or "central"
    verifier: str
    nonce: str
    next: str


# issuer → (fetched at, discovery document, JWKS)
_discovery: dict[str, tuple[float, dict[str, Any], dict[str, Any]]] = {}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


async def begin_login(
    store: EphemeralStore,
    *,
    issuer: str,
    client_id: str,
    owner: str,
    redirect_uri: str,
    next_path: str = "/",
) -> tuple[str, str]:
    """(authorize URL, state). PKCE S256 and a nonce; the pending login is kept server-side
    under ``owner``."""
    metadata, _keys = await provider_metadata(issuer)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    value = {"verifier": verifier, "nonce": nonce, "next": next_path}
    await store.put(KIND, owner, token_hash(state), value, PENDING_SECONDS)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{metadata['authorization_endpoint']}?{query}", state


async def take_pending(store: EphemeralStore, state: str, owner: str) -> PendingLogin:
    """The pending login for ``state``, taken once (atomically, on any app process), only
    under the owner that started it: another owner's key space does not hold it."""
    value = await store.take(KIND, owner, token_hash(state))
    if value is None:
        raise SSOError(MSG_FAILED, "unknown, expired, used or foreign state")
    return PendingLogin(owner, value["verifier"], value["nonce"], value["next"])


async def exchange_code(
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    pending: PendingLogin,
    code: str,
    redirect_uri: str,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the validated ID token claims:
    signature by the issuer's JWKS, ``iss`` = the pinned issuer, ``aud`` = our client id,
    the nonce of this login, not expired."""
    metadata, keys = await provider_metadata(issuer)
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
                auth=(client_id, client_secret),
            )
            response.raise_for_status()
            id_token = response.json()["id_token"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"token exchange failed: {exc}") from exc
    return validate_id_token(
        id_token, keys, issuer=issuer, client_id=client_id, nonce=pending.nonce
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


def verified_email(claims: dict[str, Any]) -> str:
    """The ID token's e-mail, lower-cased, when the provider says it is verified; else ""."""
    email = str(claims.get("email") or "").strip().lower()
    return email if email and claims.get("email_verified") is True else ""
