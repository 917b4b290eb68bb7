"""An import batch (one uploaded file, from preview to import and undo) and saved mappings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.caseload import indexes as _indexes  # noqa: F401  (registers them)
from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow

IMPORT_STATUSES = ("uploaded", "checked", "importing", "imported", "undone", "failed")


class CaseloadImport(TenantScoped, Base):
    """One uploaded file and what became of it.

    The file's cells are personal data: they are kept sealed (``data_sealed``, the tenant's
    key) only until the import or its abandonment, then cleared. ``baseline`` records, right
    after the import, how many rows of every table point at what the batch made: undo is
    refused when anything has been added or changed since (see ``services.do_undo_import``).
    The people, households, consultations and cases it made carry its id (``import_id``).
    """

    __tablename__ = "caseload_imports"

    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="uploaded")
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    headers: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # [row, header] of each cell that held a マイナンバー: blanked before the file was kept
    # (it is never stored, not even sealed), and reported by every check as a problem
    refused_cells: Mapped[list[list[object]]] = mapped_column(JSON, nullable=False, default=list)
    data_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    checked_ok: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    problems_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    made: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
    baseline: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseloadMapping(TenantScoped, Base):
    """A column mapping saved for re-use: the file's header → a Kasane field."""

    __tablename__ = "caseload_import_mappings"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(60), nullable=False)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
