"""The OpenID Connect authorization code flow as protocol code: no account, no database.

PKCE (S256) and a nonce; the issuer is pinned and compared exactly as the provider's
discovery document states it (``https://login.example/tenant/`` keeps its slash): the
document must name the configured issuer, and the ID token's ``iss`` must equal it. Every
asymmetric JOSE signature algorithm is accepted (RS/PS/ES 256–512, EdDSA); ``none`` and HMAC
never are. Discovery and keys are cached for an hour; a token that names a key the cache
does not hold triggers one refetch of the keys (at most one per issuer every
``KEY_REFETCH_SECONDS``), so a provider's key rotation does not block sign-in.

The issuer and every endpoint must be ``https``; plain ``http`` only to a loopback host,
and only when the caller allows it (the demo and the tests).

The client authenticates at the token endpoint with ``client_secret_basic``,
``client_secret_post`` or ``private_key_jwt`` (:mod:`.client_auth`).

The pending login (state → verifier, nonce, next, extra) is kept server-side for ten minutes
in the app's ephemeral store under an *owner* (a tenant's id, or ``central``) and the
state's hash, and taken once.

Used by the staff SSO of each tenant (:mod:`kasane.core.auth.sso`, which keeps the
provider's settings in the tenant's table) and by the central site
(:mod:`kasane.central.auth_controllers`, provider from the settings).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

from kasane.core.auth.client_auth import AUTH_METHODS as AUTH_METHODS  # re-exported
from kasane.core.auth.client_auth import Client as Client  # re-exported (sso, central)
from kasane.core.auth.client_auth import token_request
from kasane.core.auth.errors import MSG_FAILED as MSG_FAILED  # re-exported
from kasane.core.auth.errors import SSOError as SSOError  # re-exported
from kasane.core.ephemeral import EphemeralStore
from kasane.core.i18n import N_

PENDING_SECONDS = 10 * 60
KIND = "sso_state"
DISCOVERY_SECONDS = 60 * 60
KEY_REFETCH_SECONDS = 30  # an unknown kid refetches the keys at most this often per issuer
HTTP_TIMEOUT = 10.0
# Every asymmetric algorithm of RFC 7518 / 8037 / 9864; never "none", never HS*.
ID_TOKEN_ALGORITHMS = [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
    "Ed448",
]
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
OPTIONAL_ENDPOINTS = ("userinfo_endpoint", "end_session_endpoint")

MSG_HTTPS = N_(
    "The identity provider must be reached over https (plain http only to this computer in "
    "the demo)"
)


@dataclass
class PendingLogin:
    owner: str  # the key space it was kept in: a tenant id's hex, or "central"
    verifier: str
    nonce: str
    next: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Cached:
    fetched_at: float
    metadata: dict[str, Any]
    keys: dict[str, Any]
    keys_at: float
    fetched_wall: float  # time.time(): compared with when the settings were saved


# issuer → its discovery document and keys
_discovery: dict[str, _Cached] = {}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_loopback_http: bool) -> None:
    """Raise SSOError(MSG_HTTPS) unless ``url`` is https (or http to loopback, if allowed)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if (
        allow_loopback_http
        and parts.scheme == "http"
        and parts.hostname
        and _is_loopback(parts.hostname)
    ):
        return
    raise SSOError(MSG_HTTPS, f"not https: {url}")


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery §4: the issuer without its trailing slash + the well-known path."""
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


async def fetch_keys(client: httpx.AsyncClient, jwks_uri: str) -> dict[str, Any]:
    keys = (await client.get(jwks_uri)).raise_for_status().json()
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise ValueError("the JWKS has no keys")
    return keys


async def provider_metadata(
    issuer: str, *, allow_loopback_http: bool = False, fresh_after: float = 0.0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The discovery document and JWKS of a pinned issuer (cached for an hour, and never
    older than ``fresh_after``, the epoch time the settings were saved: so a save on one app
    process clears the cache of every process).

    The document must name exactly the same issuer (OpenID Connect Discovery §4.3), and the
    issuer and every endpoint must be https (see :func:`check_url`).
    """
    check_url(issuer, allow_loopback_http=allow_loopback_http)
    cached = _discovery.get(issuer)
    if (
        cached
        and time.monotonic() - cached.fetched_at < DISCOVERY_SECONDS
        and cached.fetched_wall >= fresh_after
    ):
        return cached.metadata, cached.keys
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.get(discovery_url(issuer))
            response.raise_for_status()
            metadata = response.json()
            if not isinstance(metadata, dict):
                raise ValueError("the discovery document is not an object")
            if metadata.get("issuer") != issuer:
                raise SSOError(
                    MSG_FAILED, f"discovery names another issuer: {metadata.get('issuer')!r}"
                )
            for name in ENDPOINTS:
                check_url(str(metadata[name]), allow_loopback_http=allow_loopback_http)
            for name in OPTIONAL_ENDPOINTS:
                if metadata.get(name):
                    check_url(str(metadata[name]), allow_loopback_http=allow_loopback_http)
            keys = await fetch_keys(client, metadata["jwks_uri"])
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"discovery failed: {exc}") from exc
    now = time.monotonic()
    _discovery[issuer] = _Cached(now, metadata, keys, now, time.time())
    return metadata, keys


async def refetch_keys(issuer: str) -> dict[str, Any] | None:
    """The issuer's keys fetched again, or None when they were fetched less than
    ``KEY_REFETCH_SECONDS`` ago (a token naming unknown keys cannot make us hammer the
    provider)."""
    cached = _discovery.get(issuer)
    if cached is None or time.monotonic() - cached.keys_at < KEY_REFETCH_SECONDS:
        return None
    cached.keys_at = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            cached.keys = await fetch_keys(client, cached.metadata["jwks_uri"])
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"key refetch failed: {exc}") from exc
    return cached.keys


def forget_provider_metadata(issuer: str | None = None) -> None:
    """Drop the cached discovery and keys of ``issuer`` (all of them with None)."""
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
    allow_loopback_http: bool = False,
    extra: dict[str, Any] | None = None,
    fresh_after: float = 0.0,
) -> tuple[str, str]:
    """(authorize URL, state). PKCE S256 and a nonce; the pending login (with ``extra``,
    e.g. the invitation it accepts) is kept server-side under ``owner``."""
    metadata, _keys = await provider_metadata(
        issuer, allow_loopback_http=allow_loopback_http, fresh_after=fresh_after
    )
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    value = {"verifier": verifier, "nonce": nonce, "next": next_path, "extra": extra or {}}
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
    return PendingLogin(
        owner, value["verifier"], value["nonce"], value["next"], value.get("extra") or {}
    )


async def exchange_code(
    *,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    pending: PendingLogin,
    code: str,
    redirect_uri: str,
    client: Client | None = None,
    allow_loopback_http: bool = False,
    with_tokens: bool = False,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the validated ID token claims:
    signature by the issuer's JWKS, ``iss`` = the pinned issuer, ``aud`` = our client id,
    the nonce of this login, not expired. Claims the ID token lacks (``email``, ``name`` …)
    are taken from the userinfo endpoint when the provider has one (its ``sub`` must be the
    token's). With ``with_tokens`` the raw ID token is added as ``_id_token`` (for logout's
    ``id_token_hint``)."""
    client = client or Client(
        issuer, client_id, client_secret, allow_loopback_http=allow_loopback_http
    )
    metadata, _keys = await provider_metadata(
        client.issuer, allow_loopback_http=client.allow_loopback_http, fresh_after=client.saved_at
    )
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pending.verifier,
    }
    try:
        form, auth = token_request(client, metadata["token_endpoint"], data)
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            response = await http.post(
                metadata["token_endpoint"],
                data=form,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            )
            response.raise_for_status()
            body = response.json()
            id_token = body["id_token"]
    except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
        raise SSOError(MSG_FAILED, f"token exchange failed: {exc}") from exc
    claims = await validate_id_token_fresh(
        id_token, issuer=client.issuer, client_id=client.client_id, nonce=pending.nonce
    )
    if metadata.get("userinfo_endpoint") and body.get("access_token"):
        wanted = ("email", "email_verified", "name", "preferred_username")
        if any(name not in claims for name in wanted):
            claims = await _with_userinfo(
                claims, str(metadata["userinfo_endpoint"]), str(body["access_token"])
            )
    if with_tokens:
        claims["_id_token"] = id_token
    return claims


async def _with_userinfo(
    claims: dict[str, Any], endpoint: str, access_token: str
) -> dict[str, Any]:
    """The claims completed from userinfo (never overriding the ID token's own)."""
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            response = await http.get(
                endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
            response.raise_for_status()
            info = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"userinfo failed: {exc}") from exc
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        # OpenID Connect Core §5.3.2: a userinfo answer for another subject is not used
        raise SSOError(MSG_FAILED, "userinfo names another subject")
    return {**info, **claims}


def _kid_of(id_token: str) -> str | None:
    try:
        return jws.extract_compact(id_token.encode()).protected.get("kid")
    except (JoseError, ValueError):
        return None


def _has_kid(keys: dict[str, Any], kid: str) -> bool:
    return any(k.get("kid") == kid for k in keys.get("keys", []))


async def validate_id_token_fresh(
    id_token: str, *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """:func:`validate_id_token` with the issuer's cached keys; a token naming a ``kid``
    the cache lacks refetches the keys once (rate-limited) before it is judged."""
    cached = _discovery.get(issuer)
    if cached is None:
        raise SSOError(MSG_FAILED, "no discovery for the issuer")
    keys = cached.keys
    kid = _kid_of(id_token)
    if kid and not _has_kid(keys, kid):
        keys = await refetch_keys(issuer) or keys
    return validate_id_token(id_token, keys, issuer=issuer, client_id=client_id, nonce=nonce)


def validate_id_token(
    id_token: str, keys: dict[str, Any], *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # "EdDSA is deprecated via RFC 9864" (in favour of Ed25519/Ed448): providers
            # still sign with it, and it is as strong; the warning is not for the signer
            warnings.simplefilter("ignore", SecurityWarning)
            token = jwt.decode(
                id_token,
                KeySet.import_key_set(keys),  # type: ignore[arg-type]  # a JWKS from the wire
                algorithms=ID_TOKEN_ALGORITHMS,
            )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
        audience = token.claims["aud"]
        if (
            isinstance(audience, list)
            and len(audience) > 1
            and token.claims.get("azp") != client_id
        ):
            # OpenID Connect Core §3.1.3.7: a token for several audiences names us as its
            # authorized party, or it was issued to another client
            raise ValueError("several audiences and azp is not this client")
    except (JoseError, ValueError) as exc:
        raise SSOError(MSG_FAILED, f"ID token refused: {exc}") from exc
    return dict(token.claims)


def verified_email(claims: dict[str, Any], *, trusted: bool = False) -> str:
    """The e-mail (ID token or userinfo), lower-cased, when the provider says it is verified
    — or whatever it says, when the admin trusts this provider's e-mail; else ""."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        return ""
    return email if trusted or claims.get("email_verified") is True else ""


def end_session_url(
    metadata: dict[str, Any], *, id_token: str, client_id: str, post_logout_redirect_uri: str
) -> str | None:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2): the provider's
    ``end_session_endpoint`` with the ID token as hint, or None when it has none."""
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
