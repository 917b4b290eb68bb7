"""An outreach record and its contacts; linked to a person (and consent) later."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

CONTACT_KINDS = {
    "visit": N_("Visit"),
    "letter": N_("Letter left"),
    "phone": N_("Telephone"),
    "neighbour": N_("Talk with neighbours"),
    "meeting": N_("Met in person"),
}


class OutreachRecord(TenantScoped, Base):
    __tablename__ = "outreach_records"

    title: Mapped[str] = mapped_column(String(120), nullable=False)  # no names: "○○地区の高齢男性"
    description_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    noticed_by: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    area_key: Mapped[str | None] = mapped_column(String(64))
    agency_key: Mapped[str] = mapped_column(String(64), nullable=False)  # who follows it up
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    person_id: Mapped[uuid.UUID | None] = mapped_column()
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    linked_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class OutreachContact(TenantScoped, Base):
    __tablename__ = "outreach_contacts"
    __table_args__ = (tenant_fk("outreach_id", "outreach_records", ondelete="CASCADE"),)

    outreach_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    note_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
