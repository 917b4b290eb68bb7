"""sent → acknowledged → accepted | declined (reason) → outcome."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

STATUSES = {
    "sent": N_("Sent"),
    "acknowledged": N_("Acknowledged"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "completed": N_("Outcome recorded"),
}
ACK_DAYS = 3  # an unacknowledged referral is overdue after three days


class Referral(TenantScoped, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        tenant_fk("person_id", "people"),
        Index("ix_referrals_tenant_to", "tenant_id", "to_agency_key", "status"),
        Index("ix_referrals_tenant_case", "tenant_id", "case_id"),
        Index("ix_referrals_tenant_person", "tenant_id", "person_id"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    consultation_id: Mapped[uuid.UUID | None] = mapped_column()
    from_agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    to_agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    reason_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="sent")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    ack_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The answer's free text often tells of the person's circumstances: sealed (0005).
    decline_reason_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_on: Mapped[date | None] = mapped_column(Date)
    sent_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
