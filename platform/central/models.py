"""The central tables: released figures, the budget ledger, and the central site's accounts.

None of them carries ``tenant_id``: they are platform tables, keyed by the 全国地方公共団体
コード, and hold no person, case or free text. On PostgreSQL the app role may only SELECT and
INSERT the released tables and the ledger (append-only, no UPDATE or DELETE); the central
role ``kasane_central`` may only SELECT them (and keep its own accounts, sessions and
events). See migration 0018.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, UTCDateTime, utcnow, uuid7

UNIT_KINDS = ("town", "pool")
LEDGER_KINDS = ("spend", "refusal")
CENTRAL_ROLES = ("operator_analyst", "prefecture_analyst", "guest")


class CentralRelease(Base):
    """One released table of one town (or one prefecture's small-town group) for a period."""

    __tablename__ = "central_releases"
    __table_args__ = (
        UniqueConstraint("table_key", "release_key", "unit_code"),
        CheckConstraint("unit_kind IN ('town','pool')", name="unit_kind"),
        Index("ix_central_releases_key_table", "release_key", "table_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    release_key: Mapped[str] = mapped_column(String(20), nullable=False)  # 2026-11, fy2025
    period_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False)
    table_key: Mapped[str] = mapped_column(String(40), nullable=False)
    unit_code: Mapped[str] = mapped_column(String(12), nullable=False)  # 372021, pool-37
    unit_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    prefecture_code: Mapped[str] = mapped_column(String(2), nullable=False)
    population: Mapped[int | None] = mapped_column(Integer)  # as the town stated it
    members: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    epsilon: Mapped[float] = mapped_column(Float, nullable=False)
    scale: Mapped[float] = mapped_column(Float, nullable=False)  # of the person-sensitive cells
    released_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class ReleasedCell(Base):
    """One noisy cell (or margin, ``*``) of a released table; ``value`` is None when the
    noisy value was under 10 (shown 「10未満」): no value under 10 is ever stored."""

    __tablename__ = "central_released_cells"

    release_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("central_releases.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(String(80), primary_key=True)
    d1: Mapped[str] = mapped_column(String(20), primary_key=True)
    d2: Mapped[str] = mapped_column(String(20), primary_key=True)  # "" for a one-way table
    value: Mapped[int | None] = mapped_column(Integer)


class BudgetEntry(Base):
    """The privacy budget ledger, append-only: ε spent by one town on one table of one
    release, or a release refused because it would have taken the town past the cap."""

    __tablename__ = "central_budget_ledger"
    __table_args__ = (
        UniqueConstraint("municipality_code", "release_key", "table_key", "kind"),
        CheckConstraint("kind IN ('spend','refusal')", name="kind"),
        Index("ix_central_budget_ledger_fy_code", "fiscal_year", "municipality_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    municipality_code: Mapped[str] = mapped_column(String(6), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False)
    release_key: Mapped[str] = mapped_column(String(20), nullable=False)
    table_key: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    epsilon: Mapped[float] = mapped_column(Float, nullable=False)  # spent, or asked for
    spent_before: Mapped[float] = mapped_column(Float, nullable=False)  # in the fiscal year
    # Where the town's figures went: its own code, its prefecture's pool, or None (withheld
    # because the pool was too small, or refused).
    unit_code: Mapped[str | None] = mapped_column(String(12))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class CentralAccount(Base):
    """A central admin: an operator analyst (every town), a prefecture analyst (the towns
    whose code starts with ``prefecture_code``) or a read-only guest."""

    __tablename__ = "central_accounts"
    __table_args__ = (
        CheckConstraint("role IN ('operator_analyst','prefecture_analyst','guest')", name="role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    role: Mapped[str] = mapped_column(String(24), nullable=False)
    prefecture_code: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CentralSession(Base):
    """A signed-in central admin; only the hash of the cookie token is kept."""

    __tablename__ = "central_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("central_accounts.id", ondelete="CASCADE"), nullable=False
    )
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class CentralEvent(Base):
    """The central site's audit log: append-only and hash-chained like a tenant's."""

    __tablename__ = "central_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
