"""The tenants table: a platform table (no tenant_id), readable by the app role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow, uuid7

STATUSES = ("trial", "active", "past_due", "suspended", "cancelled")


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(
            "status IN ('trial','active','past_due','suspended','cancelled')", name="status"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(6), unique=True, nullable=False)
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    population: Mapped[int | None] = mapped_column(Integer)  # as the town states it
    # Anonymized comparison (kasane.central): off until the tenant admin turns it on.
    comparison_opt_in: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="trial")
    plugin: Mapped[str] = mapped_column(String(120), nullable=False)
    theme: Mapped[str | None] = mapped_column(String(63))  # admin's choice over the plugin's
    last_good_config: Mapped[str | None] = mapped_column(Text)
    config_problems: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Billing (kasane.tenants.billing). Stripe ids are not personal data; nothing else about
    # the tenant is sent to Stripe but its id and slug.
    plan: Mapped[str | None] = mapped_column(String(20))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    # "card" (Checkout) or "invoice" (年度契約, 請求書払い); None until the town chooses
    billing_method: Mapped[str | None] = mapped_column(String(10))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # ``created`` (Unix seconds) of the newest billing event applied: an older event that
    # arrives later never changes the status (webhooks are order-independent).
    billing_event_at: Mapped[int | None] = mapped_column(BigInteger)
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delete_after: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set on cancellation
    deletion_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by the sweep


class AdminInvitation(TenantScoped, Base):
    """The first administrator's contact, given at signup, and their invitation.

    Personal data (name, e-mail) lives here, in the tenant's own table, never on the
    platform ``tenants`` row and never at Stripe. Only a hash of the invitation token is kept.
    """

    __tablename__ = "tenant_admin_invitations"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
