"""One recorded unmet need; the gap list aggregates them by category and area."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow


class ResourceGap(TenantScoped, Base):
    __tablename__ = "resource_gaps"
    __table_args__ = (Index("ix_resource_gaps_tenant_category", "tenant_id", "category"),)

    category: Mapped[str] = mapped_column(String(40), nullable=False)  # ibasho, work_trial …
    area_key: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # meeting | assessment | …
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_on: Mapped[date] = mapped_column(Date, nullable=False)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
