"""How Kasane authenticates to a provider's token endpoint: ``client_secret_basic``,
``client_secret_post`` or ``private_key_jwt`` (RFC 7523 §2.2: a short-lived assertion signed
with the client's own private key, whose public half the provider has registered)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from kasane.core.auth.errors import MSG_FAILED, SSOError

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
ASSERTION_SECONDS = 60
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Client:
    """Kasane as a client of one provider: how it is registered there."""

    issuer: str
    client_id: str
    client_secret: str = ""
    auth_method: str = "client_secret_basic"
    private_jwk: dict[str, Any] | None = None  # private_key_jwt: our private key (JWK)
    allow_loopback_http: bool = False  # the demo and the tests only
    saved_at: float = 0.0  # when the settings were saved (epoch): older caches are refetched


def client_assertion(client: Client, audience: str) -> str:
    """RFC 7523 §2.2: a JWT signed with the client's private key (``private_key_jwt``)."""
    if not client.private_jwk:
        raise SSOError(MSG_FAILED, "private_key_jwt without a key")
    key = KeySet.import_key_set({"keys": [client.private_jwk]}).keys[0]
    now = int(time.time())
    claims = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(24),
        "iat": now,
        "exp": now + ASSERTION_SECONDS,
    }
    header = {"alg": client.private_jwk.get("alg", "RS256"), "kid": client.private_jwk["kid"]}
    return jwt.encode(header, claims, key)


def token_request(
    client: Client, token_endpoint: str, data: dict[str, str]
) -> tuple[dict[str, str], tuple[str, str] | None]:
    """The token request's form and HTTP basic credentials for the client's auth method."""
    form = dict(data)
    if client.auth_method == "client_secret_basic":
        return form, (client.client_id, client.client_secret)
    form["client_id"] = client.client_id
    if client.auth_method == "client_secret_post":
        form["client_secret"] = client.client_secret
    elif client.auth_method == "private_key_jwt":
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = client_assertion(client, token_endpoint)
    else:
        raise SSOError(MSG_FAILED, f"unknown client authentication {client.auth_method!r}")
    return form, None
