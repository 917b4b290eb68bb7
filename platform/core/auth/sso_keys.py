"""The tenant's own key pair for ``private_key_jwt`` client authentication.

The private keys are sealed in ``tenant_sso`` (field ``private_jwk``: a JSON list of JWKs,
newest first). The newest signs; every key in the list is published at ``/sso/jwks.json``.
Rotation without a gap: the admin adds a new key (it signs at once, the previous one stays
published for the assertions already in flight and for a provider that caches the key set),
then, once the provider has fetched the new set, stops publishing the old one.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import TenantSSO
from kasane.core.protection.crypto import cipher_for

KEY_BITS = 2048
KEY_ALG = "RS256"  # what every provider accepts for private_key_jwt


def new_private_jwk() -> dict[str, Any]:
    key = RSAKey.generate_key(
        KEY_BITS,
        parameters={"kid": secrets.token_urlsafe(12), "alg": KEY_ALG, "use": "sig"},
        private=True,
    )
    return dict(key.as_dict(private=True))


async def private_jwks(session: AsyncSession, row: TenantSSO) -> list[dict[str, Any]]:
    """The tenant's private keys, newest (the signing one) first; [] before the first save."""
    if not row.private_jwk_sealed:
        return []
    cipher = await cipher_for(session)
    found = json.loads(cipher.open("tenant_sso", row.id, "private_jwk", row.private_jwk_sealed))
    return [dict(k) for k in (found if isinstance(found, list) else [found])]


async def _store(session: AsyncSession, row: TenantSSO, keys: list[dict[str, Any]]) -> None:
    cipher = await cipher_for(session)
    row.private_jwk_sealed = cipher.seal("tenant_sso", row.id, "private_jwk", json.dumps(keys))


async def ensure_client_key(session: AsyncSession, row: TenantSSO) -> None:
    """Give the tenant its first key pair (at the first save of the settings)."""
    if not row.private_jwk_sealed:
        await _store(session, row, [new_private_jwk()])


def public_of(private: dict[str, Any]) -> dict[str, Any]:
    public = RSAKey.import_key(private).as_dict(private=False)
    return {**public, "kid": private["kid"], "alg": KEY_ALG, "use": "sig"}


async def do_add_client_key(session: AsyncSession, row: TenantSSO, *, actor: str) -> str:
    """A new signing key; the previous one stays published (older ones are dropped).
    Audited; returns the new key's id."""
    keys = await private_jwks(session, row)
    new = new_private_jwk()
    await _store(session, row, [new, *keys[:1]])
    await do_audit(session, actor, "sso.client_key_added", f"tenant_sso:{row.id}", kid=new["kid"])
    return str(new["kid"])


async def do_retire_old_client_keys(session: AsyncSession, row: TenantSSO, *, actor: str) -> int:
    """Stop publishing every key but the signing one (audited); how many were retired."""
    keys = await private_jwks(session, row)
    if len(keys) <= 1:
        return 0
    await _store(session, row, keys[:1])
    await do_audit(
        session,
        actor,
        "sso.client_key_retired",
        f"tenant_sso:{row.id}",
        kids=[k["kid"] for k in keys[1:]],
    )
    return len(keys) - 1
