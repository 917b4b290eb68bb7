"""Engine and sessions; the ORM half of tenant isolation (PostgreSQL RLS is the other).

A session carries its tenant in ``session.info["tenant_id"]``. Three session events make
every statement tenant-bound:

* ``do_orm_execute`` adds ``tenant_id = :tenant`` criteria for every TenantScoped entity
  in SELECT, UPDATE and DELETE (no tenant → ``tenant_id IS NULL`` → no rows);
* ``before_flush`` stamps new rows with the tenant and refuses a row of another tenant;
* ``after_begin`` sets ``app.tenant_id`` for the transaction on PostgreSQL
  (``set_config(..., true)``: transaction-local, safe behind PgBouncer).

A fourth, ``before_flush`` as well, refuses a マイナンバー in any text column of a tenant's
row (``_refuse_mynumber``): the one check every record type and import passes through.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, String, Text, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from kasane.core.db.model import TenantScoped
from kasane.core.db.sqlite_driver import one_hop_dbapi
from kasane.core.protection.mynumber import refuse_mynumber

ALL_TENANTS = "kasane_all_tenants"  # execution option for platform jobs that span tenants


class CrossTenantWrite(RuntimeError):
    """A row of one tenant was about to be written in another tenant's session."""


@event.listens_for(Session, "do_orm_execute")
def _tenant_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    # A Core statement (tables, no mapped class) gets no ORM criteria in any case: it names
    # its tenant itself (and RLS checks it). Skipping it spares copying the statement,
    # which made SQLAlchemy build its cache key anew on every execution.
    if not state.is_orm_statement:
        return
    if state.execution_options.get(ALL_TENANTS) or state.session.info.get(ALL_TENANTS):
        return
    state.statement = state.statement.options(_criteria(state.session.info.get("tenant_id")))


@lru_cache(maxsize=4_096)  # one per tenant: an option is immutable, and making it anew for
def _criteria(tid: uuid.UUID | None) -> Any:  # every statement cost more than using it
    """The ``tenant_id`` criteria for every TenantScoped entity (no tenant: no rows)."""
    if tid is None:
        return with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id.is_(None), include_aliases=True
        )
    return with_loader_criteria(
        TenantScoped, lambda cls: cls.tenant_id == tid, include_aliases=True
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    tid = session.info.get("tenant_id")
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None and tid is not None:
            obj.tenant_id = tid
        elif obj.tenant_id is None:
            raise CrossTenantWrite(f"{type(obj).__name__} written without a tenant")
        elif tid is not None and obj.tenant_id != tid:
            raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant")


# Columns that hold no typed text: ciphertext (checked before sealing), hashes, tokens,
# keys and codes. A hex digest may contain twelve digits in a row by chance.
_NOT_TEXT = ("sealed", "hash", "token", "key", "_id", "_ids", "code", "slug", "status", "subject")
_NOT_TEXT_TABLES = frozenset({"audit_events", "audit_reads", "tenant_keys"})


_TEXT_COLUMNS: dict[type, list[str]] = {}


def _text_columns(mapper: Any) -> list[str]:
    names = _TEXT_COLUMNS.get(mapper.class_)
    if names is None:
        names = [
            attr.key
            for attr in mapper.column_attrs
            if len(attr.columns) == 1
            and isinstance(attr.columns[0].type, String | Text | JSON)
            and not attr.key.endswith(_NOT_TEXT)
            and mapper.local_table.name not in _NOT_TEXT_TABLES
        ]
        _TEXT_COLUMNS[mapper.class_] = names
    return names


@event.listens_for(Session, "before_flush")
def _refuse_mynumber(session: Session, _ctx: Any, _instances: Any) -> None:
    """No マイナンバー in any text of a new or changed tenant row (raises MyNumberRefused)."""
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        state = inspect(obj)
        for key in _text_columns(state.mapper):
            if obj in session.new or state.attrs[key].history.has_changes():
                refuse_mynumber(state.mapper.local_table.name, key, getattr(obj, key))


@event.listens_for(Session, "after_begin")
def _set_rls_tenant(session: Session, _transaction: Any, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    tid = session.info.get("tenant_id")
    connection.execute(
        text("SELECT set_config('app.tenant_id', :tid, true)"),
        {"tid": str(tid) if tid else ""},
    )


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, WAL, a busy timeout and one worker-thread
    trip per statement (``sqlite_driver``). Errors never
    carry statement parameters (they may hold personal data) into logs."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("module", one_hop_dbapi())
        engine = create_async_engine(url, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(
        self, tenant_id: uuid.UUID | None = None, *, all_tenants: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A session bound to one tenant (or none); commits on success, rolls back on error.

        ``all_tenants`` is for platform jobs only (audit verification across tenants, the
        operator's tenant list); on PostgreSQL RLS still applies to the app role.
        """
        async with self.sessions() as session:
            session.info["tenant_id"] = tenant_id
            session.info[ALL_TENANTS] = all_tenants
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def sync_engine_of(engine: AsyncEngine) -> Engine:
    return engine.sync_engine
