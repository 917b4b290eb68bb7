"""Declarative base and the TenantScoped mixin every tenant-owned table uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from kasane.core.db.ids import uuid7

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on SQLite too (it stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TenantScoped:
    """Mixin: ``tenant_id`` NOT NULL, primary key ``(tenant_id, id)`` with a UUIDv7 ``id``.

    Every query on a subclass is filtered to the session's tenant (see
    :mod:`kasane.core.db.session`) and, on PostgreSQL, again by Row-Level Security.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805  (declared_attr takes the class)
        return mapped_column(
            Uuid,
            ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
            sort_order=-10,
        )

    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(Uuid, primary_key=True, default=uuid7, sort_order=-9)


def tenant_fk(
    columns: str | list[str], table: str, ondelete: str | None = None
) -> ForeignKeyConstraint:
    """A foreign key to another tenant table that includes ``tenant_id`` (Citus-ready)."""
    cols = [columns] if isinstance(columns, str) else columns
    return ForeignKeyConstraint(
        ["tenant_id", *cols], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )


def tenant_tables(metadata: MetaData) -> list[str]:
    """Names of every table that carries ``tenant_id`` (all get RLS on PostgreSQL)."""
    return sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)
