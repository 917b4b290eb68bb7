"""Billing tables: the webhook events received (deduplication by event id), the
quotations issued (platform tables) and each tenant's invoices (tenant-scoped)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow


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


class BillingQuote(Base):
    """A quotation (見積書) as issued: its number, dates and figures, kept so that the
    number can be quoted back and the PDF made again exactly.

    A platform table: a town asks for a quotation before it is a tenant. It holds the
    municipality's public name and code only, never a person.
    """

    __tablename__ = "billing_quotes"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), nullable=False)
    municipality_name: Mapped[str] = mapped_column(String(120), nullable=False)
    plan: Mapped[str] = mapped_column(String(20), nullable=False)
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    subtotal_yen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_yen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class BillingInvoice(TenantScoped, Base):
    """An invoice (請求書) of a fiscal-year contract paid by bank transfer: what the
    tenant admin downloads as a 適格請求書, and what the sweep checks for a due date.

    ``provider_invoice_id`` is the provider's invoice (Stripe's ``in_…``); its ``paid``
    webhook marks this row paid. Amounts come from :func:`kasane.tenants.contract.contract_amounts`.
    """

    __tablename__ = "billing_invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_billing_invoices_tenant_status", "tenant_id", "status", "due_on"),
    )

    number: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_invoice_id: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(20), nullable=False)
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    subtotal_yen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_yen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
