"""The tenants table: a platform table (no tenant_id), readable by the app role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, UTCDateTime, utcnow, uuid7

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
    population: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="trial")
    plugin: Mapped[str] = mapped_column(String(120), nullable=False)
    theme: Mapped[str | None] = mapped_column(String(63))  # admin's choice over the plugin's
    last_good_config: Mapped[str | None] = mapped_column(Text)
    config_problems: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
