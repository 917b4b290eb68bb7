"""OpenID Connect discovery: the pinned issuer's document and keys, cached, and the https rule.

The document must name exactly the configured issuer (Discovery §4.3); the issuer and every
endpoint must be ``https`` (plain ``http`` only to a loopback host, when the caller allows
it). Discovery and keys are cached for an hour per issuer, and never kept past a save of the
settings; a token naming a key the cache lacks may refetch the keys once every
``KEY_REFETCH_SECONDS``. The login flow and the token checks are in :mod:`.oidc`.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from kasane.core.auth.errors import MSG_FAILED, SSOError
from kasane.core.i18n import N_

DISCOVERY_SECONDS = 60 * 60
KEY_REFETCH_SECONDS = 30  # an unknown kid refetches the keys at most this often per issuer
HTTP_TIMEOUT = 10.0
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
OPTIONAL_ENDPOINTS = ("userinfo_endpoint", "end_session_endpoint")

MSG_HTTPS = N_(
    "The identity provider must be reached over https (plain http only to this computer in "
    "the demo)"
)


@dataclass
class _Cached:
    fetched_at: float
    metadata: dict[str, Any]
    keys: dict[str, Any]
    keys_at: float
    fetched_wall: float  # time.time(): compared with when the settings were saved


# issuer → its discovery document and keys
_discovery: dict[str, _Cached] = {}


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


def cached_keys(issuer: str) -> dict[str, Any] | None:
    """The issuer's keys as last fetched, or None before its discovery."""
    cached = _discovery.get(issuer)
    return cached.keys if cached else None


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
