"""Staff accounts and their sessions — both tenant-scoped, so a session token is only
ever found on the tenant that issued it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

ROLES = ("admin", "supervisor", "caseworker")
ROLE_LABELS = (N_("admin"), N_("supervisor"), N_("caseworker"))  # for the catalogs


class StaffAccount(TenantScoped, Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)

    username: Mapped[str] = mapped_column(String(80), nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="caseworker")
    agency_key: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))  # iCalendar feed


class StaffSession(TenantScoped, Base):
    """A login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        tenant_fk("account_id", "staff_accounts", ondelete="CASCADE"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
