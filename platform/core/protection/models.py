"""The per-tenant data key, stored wrapped (encrypted) by the master key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow


class TenantKey(TenantScoped, Base):
    """A tenant's AES-256 data key: base64 of nonce (12 bytes) + AES-GCM ciphertext of the
    32-byte key under the master key, with the tenant id as associated data.

    One row per tenant, ever: destroying the key (offboarding) keeps the row as a tombstone
    with ``wrapped_key = ""`` and ``destroyed_at`` set, so no fresh key can silently replace
    the destroyed one.
    """

    __tablename__ = "tenant_keys"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    wrapped_key: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
