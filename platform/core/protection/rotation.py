"""Re-wrapping every tenant's data key under a new master key (``kasane secrets
rotate-master``).

Only the wrapping changes: each tenant's data key — and so every sealed field — stays as it
is, so rotation touches one short row per tenant and nothing else. A key that already opens
under the new master key (a rotation run again after it committed) is left alone; a key that
opens under neither refuses the whole rotation before anything is written.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.protection.aead import NONCE_BYTES, derive_key
from kasane.core.protection.crypto import WRAP_INFO
from kasane.core.protection.models import TenantKey


class RotationRefused(Exception):
    """A tenant's key opens under neither the old nor the new master key."""

    def __init__(self, tenant_ids: list[uuid.UUID]) -> None:
        super().__init__(f"{len(tenant_ids)} tenant key(s) open under neither master key")
        self.tenant_ids = tenant_ids


@dataclass
class Rewrapped:
    """What a rotation did: tenants re-wrapped, already under the new key, destroyed."""

    rewrapped: list[uuid.UUID] = field(default_factory=list)
    already_new: list[uuid.UUID] = field(default_factory=list)
    destroyed: int = 0


def _open(master: AESGCM, tenant_id: uuid.UUID, wrapped: str) -> bytes | None:
    try:
        blob = base64.b64decode(wrapped, validate=True)
        return master.decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], str(tenant_id).encode("utf-8")
        )
    except (binascii.Error, InvalidTag, ValueError):
        return None


def _wrap(master: AESGCM, tenant_id: uuid.UUID, data_key: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = master.encrypt(nonce, data_key, str(tenant_id).encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


async def do_rewrap_tenant_keys(
    session: AsyncSession, old_secret: str, new_secret: str, *, dry_run: bool = False
) -> Rewrapped:
    """Re-wrap every live tenant key the session sees from ``old_secret`` to ``new_secret``
    (a tenant's session: its one key; an all-tenants session as the operator: every key).
    ``dry_run`` checks that every key opens and writes nothing. The caller commits and
    audits.

    Raises:
        RotationRefused: some key opens under neither secret (nothing is changed).
    """
    old = AESGCM(derive_key(old_secret, WRAP_INFO))
    new = AESGCM(derive_key(new_secret, WRAP_INFO))
    rows = (await session.execute(select(TenantKey))).scalars().all()
    result, plan, unopened = Rewrapped(), [], []
    for row in rows:
        if row.destroyed_at is not None or not row.wrapped_key:
            result.destroyed += 1
            continue
        if _open(new, row.tenant_id, row.wrapped_key) is not None:
            result.already_new.append(row.tenant_id)
            continue
        data_key = _open(old, row.tenant_id, row.wrapped_key)
        if data_key is None:
            unopened.append(row.tenant_id)
        else:
            plan.append((row, data_key))
    if unopened:
        raise RotationRefused(unopened)
    if dry_run:
        result.rewrapped = [row.tenant_id for row, _ in plan]
        return result
    for row, data_key in plan:
        row.wrapped_key = _wrap(new, row.tenant_id, data_key)
        result.rewrapped.append(row.tenant_id)
    await session.flush()
    return result
