"""Meetings, their agenda, attendance. Decisions live on the case (CaseDecision.meeting_id)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

AGENDA_KINDS = {
    "support_decision": N_("Plan awaiting a support decision"),
    "monitoring": N_("Monitoring due"),
    "evaluation": N_("Evaluation and closure"),
    "new_collaboration": N_("New multi-agency case"),
    "early_detection": N_("Early detection (before any decision to support)"),
    "outreach": N_("Outreach"),
    "other": N_("Other"),
}
MEETING_STATUSES = {"scheduled": N_("Scheduled"), "held": N_("Held"), "cancelled": N_("Cancelled")}


class Meeting(TenantScoped, Base):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "meeting_type_key", "occurrence_key"),
        Index("ix_meetings_tenant_starts", "tenant_id", "starts_at"),
    )

    meeting_type_key: Mapped[str] = mapped_column(String(64), nullable=False)
    occurrence_key: Mapped[str | None] = mapped_column(String(20))  # nominal date of a regular one
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    cancel_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    minutes_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class AgendaItem(TenantScoped, Base):
    """A case (or an unnamed outreach record) on a meeting's agenda, with the legal basis
    under which it is shown there."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        tenant_fk("meeting_id", "meetings", ondelete="CASCADE"),
        Index("ix_agenda_items_tenant_meeting", "tenant_id", "meeting_id"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    outreach_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    basis: Mapped[str] = mapped_column(String(20), nullable=False)
    proposed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    discussion_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")


class Attendance(TenantScoped, Base):
    __tablename__ = "attendances"
    __table_args__ = (
        tenant_fk("meeting_id", "meetings", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "meeting_id", "agency_key"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    # a role such as 担当者, never a personal name
    attendee: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    present: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
