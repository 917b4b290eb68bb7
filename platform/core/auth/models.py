"""Staff accounts and their sessions — both tenant-scoped, so a session token is only
ever found on the tenant that issued it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

ROLES = ("admin", "supervisor", "caseworker")
ROLE_LABELS = (N_("admin"), N_("supervisor"), N_("caseworker"))  # for the catalogs


class StaffAccount(TenantScoped, Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "username"),
        UniqueConstraint("tenant_id", "oidc_subject"),
    )

    username: Mapped[str] = mapped_column(String(80), nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="caseworker")
    agency_key: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))  # iCalendar feed
    email: Mapped[str | None] = mapped_column(String(254))
    # The IdP's `sub` (the identity for SSO accounts), unique within the tenant.
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # Local accounts: the TOTP secret, sealed (table "staff_accounts", field "totp_secret").
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)


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


class TenantSSO(TenantScoped, Base):
    """The tenant's OIDC identity provider: one row per tenant; the issuer is pinned."""

    __tablename__ = "tenant_sso"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    issuer: Mapped[str] = mapped_column(String(500), nullable=False)
    client_id: Mapped[str] = mapped_column(String(255), nullable=False)
    # Sealed with the tenant's key (table "tenant_sso", field "client_secret").
    client_secret_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    allowed_email_domain: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class StaffInvitation(TenantScoped, Base):
    """An invitation for a staff member; only the SHA-256 of the token is stored."""

    __tablename__ = "staff_invitations"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    email: Mapped[str] = mapped_column(String(254), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="caseworker")
    agency_key: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
