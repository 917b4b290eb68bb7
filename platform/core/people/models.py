"""Person, Household and HouseholdMember (世帯と続柄)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

# 続柄, relative to the household's head (本人 = the head).
RELATIONS: dict[str, str] = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "parent": N_("Parent"),
    "grandchild": N_("Grandchild"),
    "grandparent": N_("Grandparent"),
    "sibling": N_("Sibling"),
    "child_in_law": N_("Child-in-law"),
    "other": N_("Other relative or housemate"),
}
SEXES: dict[str, str] = {
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Other / not stated"),
}


class Person(TenantScoped, Base):
    """Someone known to the support system. Identity fields are searchable; narratives
    about the person live (sealed) on the records that mention them."""

    __tablename__ = "people"
    __table_args__ = (
        Index("ix_people_tenant_kana_norm", "tenant_id", "kana_norm"),
        Index("ix_people_tenant_name_norm", "tenant_id", "name_norm"),
        Index("ix_people_tenant_birth_date", "tenant_id", "birth_date"),
    )

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kana: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    name_norm: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    kana_norm: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    sex: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone_home: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    phone_mobile: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    phone_norm: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    area_key: Mapped[str | None] = mapped_column(String(64))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column()
    import_id: Mapped[uuid.UUID | None] = mapped_column()  # the caseload import that made it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class Household(TenantScoped, Base):
    __tablename__ = "households"

    label: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    area_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[uuid.UUID | None] = mapped_column()  # the caseload import that made it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class HouseholdMember(TenantScoped, Base):
    """A person in a household, with 続柄 and the care roles patterns are derived from."""

    __tablename__ = "household_members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "household_id", "person_id"),
        tenant_fk("household_id", "households", ondelete="CASCADE"),
        tenant_fk("person_id", "people"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    relation: Mapped[str] = mapped_column(String(20), nullable=False, default="head")
    is_carer: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    needs_care: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # ひきこもり
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
