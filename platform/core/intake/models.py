"""A consultation (相談受付) — written from the tenant's intake form, keeping its version."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

OUTCOMES = {
    "info_only": N_("Information given; ended"),
    "referral": N_("Referred (tsunagi)"),
    "continued": N_("Continued support at this counter"),
    "multi_agency": N_("To multi-agency collaboration"),
}


class Consultation(TenantScoped, Base):
    __tablename__ = "consultations"
    __table_args__ = (
        tenant_fk("person_id", "people"),
        Index("ix_consultations_tenant_received", "tenant_id", "received_on"),
        Index("ix_consultations_tenant_case", "tenant_id", "case_id"),
    )

    counter_key: Mapped[str] = mapped_column(String(64), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    received_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    channel: Mapped[str] = mapped_column(String(40), nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    visitor_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    visitor_phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    visitor_relation: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    main_category: Mapped[str] = mapped_column(String(40), nullable=False)
    form_version: Mapped[str] = mapped_column(String(80), nullable=False)
    # the configuration (plugin + the town's settings) in force when it was written
    config_version: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")  # sensitive fields
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    referred_to: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    import_id: Mapped[uuid.UUID | None] = mapped_column()  # the caseload import that made it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
