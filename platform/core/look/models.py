"""The tenant admin's look and words: one row per tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow

LOGO_TEXT_MAX = 40  # characters: the header has room for about this many
TERM_MAX = 30


class TenantLook(TenantScoped, Base):
    """What the admin set on top of the plugin; an empty column keeps the plugin's or the
    theme's own value."""

    __tablename__ = "tenant_looks"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    theme: Mapped[str | None] = mapped_column(String(64))
    primary_color: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", lower case
    accent_color: Mapped[str | None] = mapped_column(String(7))
    logo_text: Mapped[str | None] = mapped_column(String(LOGO_TEXT_MAX))
    # core term → the town's word; only terms of kasane.core.defaults.TERMS
    terminology: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
