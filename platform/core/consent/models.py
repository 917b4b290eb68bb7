"""Consent (同意) and Disclosure (情報提供の記録)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

CONSENT_METHODS = {
    "written": N_("Written"),
    "oral": N_("Oral (recorded by staff)"),
    "proxy": N_("By a guardian or proxy"),
}
PURPOSES = {
    "support": N_("Support planning and delivery"),
    "meetings": N_("Discussion at consent-based meetings"),
    "referral": N_("Referral to other agencies"),
}
BASES = {
    "consent": N_("Consent"),
    "art106_6": N_("Social Welfare Act Art. 106-6"),
    "other_law": N_("Another law"),
}


class Consent(TenantScoped, Base):
    """A person's consent: scope, purposes, text version, how obtained, expiry, withdrawal."""

    __tablename__ = "consents"
    __table_args__ = (tenant_fk("person_id", "people"),)

    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    agencies: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # ["*"] = all
    meeting_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    purposes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    text_version: Mapped[str] = mapped_column(String(40), nullable=False)
    obtained_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    obtained_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column()
    withdrawal_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    def valid_on(self, day: date) -> bool:
        return (
            self.obtained_on <= day
            and self.withdrawn_on is None
            and (self.expires_on is None or day <= self.expires_on)
        )

    def covers_agency(self, agency_key: str) -> bool:
        return "*" in self.agencies or agency_key in self.agencies

    def covers_meeting(self, meeting_type_key: str) -> bool:
        return "*" in self.meeting_types or meeting_type_key in self.meeting_types


class Disclosure(TenantScoped, Base):
    """One sharing of a person's case: with whom, and on what legal basis."""

    __tablename__ = "disclosures"
    __table_args__ = (
        tenant_fk("person_id", "people"),
        Index("ix_disclosures_tenant_case", "tenant_id", "case_id"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    to_agency_key: Mapped[str | None] = mapped_column(String(64))
    to_meeting_type: Mapped[str | None] = mapped_column(String(64))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column()
    basis: Mapped[str] = mapped_column(String(20), nullable=False)
    basis_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    consent_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    by: Mapped[uuid.UUID] = mapped_column(nullable=False)
