"""Staff accounts, their memberships (roles within agencies) and sessions — all
tenant-scoped, so a session token is only ever found on the tenant that issued it; and the
agencies the tenant's admin adds beside the plugin's."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kasane.core.auth.permissions import ROLES
from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow

__all__ = [
    "ROLES",
    "StaffAccount",
    "StaffInvitation",
    "StaffMembership",
    "StaffSession",
    "TenantAgency",
    "TenantSSO",
]


class StaffMembership(TenantScoped, Base):
    """A role a staff member holds within an agency (兼務: several rows per account).

    ``agency_key`` NULL: a tenant-wide role (the tenant administrator without an agency).
    """

    __tablename__ = "staff_memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_id", "agency_key", "role"),
        tenant_fk("account_id", "staff_accounts", ondelete="CASCADE"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    agency_key: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class StaffAccount(TenantScoped, Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "username"),
        UniqueConstraint("tenant_id", "oidc_subject"),
    )

    username: Mapped[str] = mapped_column(String(80), nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))  # iCalendar feed
    email: Mapped[str | None] = mapped_column(String(254))
    # The IdP's `sub` (the identity for SSO accounts), unique within the tenant, and the
    # issuer that vouched for it (NULL on identities bound before 0024: any issuer of the
    # tenant's, bound on their next sign-in).
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    # Local accounts: the TOTP secret, sealed (table "staff_accounts", field "totp_secret").
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    # The time step of the last TOTP code accepted: no code is accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Loaded with the account (one extra query), so ``ActorInfo.of`` needs no I/O.
    memberships: Mapped[list[StaffMembership]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by=[StaffMembership.created_at, StaffMembership.id],
    )


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
    # The agency the staff member works as in this session (set at login, switched in the
    # header); need-to-know follows it.
    agency_key: Mapped[str | None] = mapped_column(String(64))
    # An SSO login's ID token, sealed (table "staff_sessions", field "id_token"): the
    # id_token_hint of the provider's logout.
    id_token_sealed: Mapped[str | None] = mapped_column(Text)


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
    # Self-service joining by e-mail (a pending invitation, the allowed domain) takes the
    # provider's e-mail without ``email_verified`` when the admin trusts it (Entra ID).
    trust_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # client_secret_basic | client_secret_post | private_key_jwt
    token_auth_method: Mapped[str] = mapped_column(
        String(30), nullable=False, default="client_secret_basic"
    )
    # private_key_jwt: the tenant's private JWK, sealed (table "tenant_sso", field
    # "private_jwk"); its public half is served at /sso/jwks.json.
    private_jwk_sealed: Mapped[str | None] = mapped_column(Text)
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
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TenantAgency(TenantScoped, Base):
    """An agency the tenant's admin added in the app, beside the plugin's. Never deleted
    (records keep naming it); deactivated instead, which takes it out of every choice."""

    __tablename__ = "tenant_agencies"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    field: Mapped[str] = mapped_column(String(20), nullable=False, default="other")
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="partner")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
