"""Platform tables of billing: the webhook events received (deduplication by event id)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, UTCDateTime, utcnow


class BillingEvent(Base):
    """One Stripe event, recorded once: a redelivery with the same id changes nothing.

    A platform table (not tenant-scoped): an event arrives before anyone knows its tenant.
    ``tenant_ref`` is deliberately not named ``tenant_id``, which marks tenant-owned tables.
    """

    __tablename__ = "billing_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    created: Mapped[int] = mapped_column(BigInteger, nullable=False)  # Stripe's, Unix seconds
    tenant_ref: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
