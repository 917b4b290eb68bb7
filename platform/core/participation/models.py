"""Participation matches (参加支援) and their 定着支援 contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow

MATCH_STATUSES = ("proposed", "started", "ended")


class ParticipationMatch(TenantScoped, Base):
    """A person matched to a plugin menu or a registry service: proposed → started → ended."""

    __tablename__ = "participation_matches"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        tenant_fk("person_id", "people"),
        Index("ix_participation_matches_tenant_case", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    menu_key: Mapped[str | None] = mapped_column(String(64))  # a plugin participation menu
    service_id: Mapped[uuid.UUID | None] = mapped_column()  # or a registry service
    host_organization_id: Mapped[uuid.UUID | None] = mapped_column()  # registry organization
    name: Mapped[str] = mapped_column(String(200), nullable=False)  # as shown when proposed
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed")
    ended_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    proposed_on: Mapped[date] = mapped_column(Date, nullable=False)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class RetentionContact(TenantScoped, Base):
    """A 定着支援 contact during a started match; the note is sealed."""

    __tablename__ = "retention_contacts"
    __table_args__ = (
        tenant_fk("match_id", "participation_matches", ondelete="CASCADE"),
        Index("ix_retention_contacts_tenant_match", "tenant_id", "match_id"),
    )

    match_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    note_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
