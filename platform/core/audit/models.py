"""The audit table. The app role may only SELECT and INSERT it (see ``db.rls``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow


class AuditEvent(TenantScoped, Base):
    """One event; ``hash`` = SHA-256 over ``prev_hash`` and the canonical event."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq"),
        Index(
            "ix_audit_events_folded_reads",
            "tenant_id",
            "at",
            postgresql_where=text("from_read"),
            sqlite_where=text("from_read"),
        ),
    )

    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # A read folded in from ``audit_reads`` (same id); not hashed: only where the fold
    # resumes looks at it, and verification checks every read whatever it says.
    from_read: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )


class AuditRead(TenantScoped, Base):
    """One audited read, written without a lock; folded into the chain later.

    ``hash`` = SHA-256 over the canonical read (seq 0, no previous hash): a read changed
    before it is folded no longer matches it. The fold copies the row into ``audit_events``
    under the same id, so ``NOT EXISTS`` tells the reads still waiting (decision 0024)."""

    __tablename__ = "audit_reads"
    __table_args__ = (Index("ix_audit_reads_tenant_id_at", "tenant_id", "at"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
