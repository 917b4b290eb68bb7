"""Per-tenant sealing of sensitive fields with AES-256-GCM.

Key hierarchy: the application's secret key → (HKDF-SHA256) master key-encryption key →
wraps each tenant's random 32-byte data key (:class:`~.models.TenantKey`) → seals fields.
A sealed field is bound by its associated data to ``tenant|table|row|field``, so a
ciphertext copied to another tenant, table, row or field does not open.

Call :func:`set_master_secret` once at start-up (app factory, CLI) before any
:func:`cipher_for`.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.db import utcnow

# FieldCipher, SealedDataError and the token constants live in the pure module
# kasane.core.protection.aead; they stay importable from here.
from kasane.core.protection.aead import KEY_BYTES, NONCE_BYTES, FieldCipher, derive_key
from kasane.core.protection.aead import TOKEN_PREFIX as TOKEN_PREFIX
from kasane.core.protection.aead import SealedDataError as SealedDataError
from kasane.core.protection.models import TenantKey

WRAP_INFO = b"kasane tenant key wrap v1"

_master_key: bytes | None = None
# tenant id → (wrapped key it came from, data key). The wrapped key is kept so a re-keyed or
# destroyed row (seen on the next cipher_for) never reuses a stale cached key.
_data_keys: dict[uuid.UUID, tuple[str, bytes]] = {}


def set_master_secret(secret: str) -> None:
    """Derive the key-encryption key from the application's secret key (once, at start-up).

    Changing it forgets every cached data key; keys wrapped under another secret then fail
    to unwrap with :class:`SealedDataError`.
    """
    global _master_key
    if not secret:
        raise ValueError("the master secret must not be empty")
    _master_key = derive_key(secret, WRAP_INFO)
    _data_keys.clear()


def _master() -> AESGCM:
    if _master_key is None:
        raise RuntimeError(
            "kasane.core.protection.crypto: set_master_secret() was not called at start-up"
        )
    return AESGCM(_master_key)


def _wrap(tenant_id: uuid.UUID, data_key: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _master().encrypt(nonce, data_key, str(tenant_id).encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unwrap(tenant_id: uuid.UUID, wrapped: str) -> bytes:
    master = _master()
    try:
        blob = base64.b64decode(wrapped, validate=True)
        return master.decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], str(tenant_id).encode("utf-8")
        )
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise SealedDataError(
            "the tenant's key cannot be unwrapped (another master secret?)"
        ) from exc


def _session_tenant(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("sealing needs a session bound to a tenant")
    return uuid.UUID(str(tenant_id))


async def _key_row(session: AsyncSession, tenant_id: uuid.UUID) -> TenantKey | None:
    # The explicit tenant filter also holds in an all-tenants (platform job) session.
    return (
        await session.execute(select(TenantKey).where(TenantKey.tenant_id == tenant_id))
    ).scalar_one_or_none()


_SESSION_CIPHER = "kasane_cipher"


async def cipher_for(session: AsyncSession) -> FieldCipher:
    """The cipher of the session's tenant, creating the tenant's key on first use.

    A new key row is added and flushed in the caller's session, so it commits (or rolls
    back) with the caller's work. Reads the key row once per session — that is how a key
    destroyed by another process is noticed on its next request — and unwraps it only once
    per process; a page that opens many sealed fields asks the database once.

    Raises:
        SealedDataError: the tenant's key was destroyed, or cannot be unwrapped.
        RuntimeError: no master secret set, or the session has no tenant.
    """
    cached: FieldCipher | None = session.info.get(_SESSION_CIPHER)
    if cached is None:
        cached = session.info[_SESSION_CIPHER] = await _load_cipher(session)
    return cached


async def _load_cipher(session: AsyncSession) -> FieldCipher:
    tenant_id = _session_tenant(session)
    _master()  # fail before touching the database when start-up forgot the secret
    row = await _key_row(session, tenant_id)
    if row is None:
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        row = TenantKey(tenant_id=tenant_id, wrapped_key=_wrap(tenant_id, data_key))
        session.add(row)
        # Two first uses racing for one tenant: the unique tenant_id makes the loser's flush
        # fail (IntegrityError) instead of leaving two keys.
        await session.flush()
        _data_keys[tenant_id] = (row.wrapped_key, data_key)
        return FieldCipher(tenant_id, data_key)
    if row.destroyed_at is not None:
        _data_keys.pop(tenant_id, None)
        raise SealedDataError("the tenant's key was destroyed")
    cached = _data_keys.get(tenant_id)
    if cached is None or cached[0] != row.wrapped_key:
        cached = (row.wrapped_key, _unwrap(tenant_id, row.wrapped_key))
        _data_keys[tenant_id] = cached
    return FieldCipher(tenant_id, cached[1])


async def do_destroy_tenant_key(session: AsyncSession) -> None:
    """Offboarding: destroy the session's tenant's key; nothing sealed for it opens again.

    The row stays as a tombstone (``wrapped_key = ""``, ``destroyed_at`` set) so that
    :func:`cipher_for` refuses instead of making a new key. Other processes drop their cached
    key on their next :func:`cipher_for`. Database backups still hold the wrapped key until
    they expire.
    """
    tenant_id = _session_tenant(session)
    session.info.pop(_SESSION_CIPHER, None)
    row = await _key_row(session, tenant_id)
    if row is None:
        row = TenantKey(tenant_id=tenant_id, wrapped_key="")
        session.add(row)
    row.wrapped_key = ""
    if row.destroyed_at is None:
        row.destroyed_at = utcnow()
    _data_keys.pop(tenant_id, None)
    await session.flush()
