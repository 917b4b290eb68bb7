"""Community building (地域づくり): places and the activities held there."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow

PLACE_KINDS = ("ibasho", "salon", "kodomo_shokudo", "cafe", "other")
AGE_BANDS = ("children", "youth", "working_age", "older")


class CommunityPlace(TenantScoped, Base):
    """A 拠点: a 居場所, サロン, 子ども食堂 … (optionally the registry service it is)."""

    __tablename__ = "community_places"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    area_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    service_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class CommunityActivity(TenantScoped, Base):
    """One activity at a place: its date, participants by age band and agencies taking part."""

    __tablename__ = "community_activities"
    __table_args__ = (
        tenant_fk("place_id", "community_places", ondelete="CASCADE"),
        Index("ix_community_activities_tenant_held", "tenant_id", "held_on"),
    )

    place_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    children: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    youth: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    working_age: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    older: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    agencies: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    @property
    def participants(self) -> int:
        return self.children + self.youth + self.working_age + self.older
