"""The 実施計画's targets (社会福祉法106条の5): one per indicator and fiscal year."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow

WORDING_MAX = 500  # the plan's own words for the indicator, as the plan prints them


class ReportTarget(TenantScoped, Base):
    """What the town's plan aims at for one indicator in one fiscal year.

    ``target`` may be empty when the plan words an aim without a number; ``indicator_key``
    is a catalogue key or a plugin's ``local.*`` key (kept even if the plugin drops it).
    """

    __tablename__ = "report_targets"
    __table_args__ = (UniqueConstraint("tenant_id", "indicator_key", "fiscal_year"),)

    indicator_key: Mapped[str] = mapped_column(String(80), nullable=False)
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False)
    target: Mapped[int | None] = mapped_column(Integer)
    wording: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_by: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
