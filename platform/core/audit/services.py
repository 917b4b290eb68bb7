"""Append to and verify the hash chain; record reads without a lock and fold them in.

Appends are serialized per tenant (a transaction-scoped advisory lock on PostgreSQL; on
SQLite the database's write lock, taken before the chain's end is read), so ``seq`` has no
gaps and every event links to the one before.

Reads (``do_audit_read``) take no lock: each is one INSERT into ``audit_reads``, added when
the request's transaction commits — before its response is sent — so concurrent reads of
one town never wait on each other. ``fold_reads`` (a job every minute, and before the
nightly verification) copies them into the chain in order of time (decision 0024).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, event, exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kasane.core.audit.models import AuditEvent, AuditRead
from kasane.core.db import utcnow, uuid7

GENESIS = "0" * 64


def _canonical(
    tenant_id: uuid.UUID,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    detail: str,
    prev_hash: str,
) -> bytes:
    return json.dumps(
        [
            str(tenant_id),
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            action,
            target,
            detail,
            prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def event_hash(e: AuditEvent) -> str:
    return hashlib.sha256(
        _canonical(e.tenant_id, e.seq, e.at, e.actor, e.action, e.target, e.detail, e.prev_hash)
    ).hexdigest()


def read_hash(r: AuditRead) -> str:
    """A read's own hash: the canonical event at seq 0 with no previous hash."""
    return hashlib.sha256(
        _canonical(r.tenant_id, 0, r.at, r.actor, r.action, r.target, r.detail, "")
    ).hexdigest()


def _detail(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


_LOCKED_IN = "kasane_audit_chain_locked_in"  # session.info: the transaction holding the lock


def audited_in_this_transaction(session: AsyncSession) -> bool:
    """Whether the session's open transaction has audited a change (it holds the chain's
    lock until it ends): what it reads is then not yet what anyone else sees."""
    transaction = session.sync_session.get_transaction()
    return transaction is not None and session.info.get(_LOCKED_IN) is transaction


async def _lock_chain(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Hold the chain's end until commit, so the link read next is still the last one when
    the event is written; once per transaction (the lock lasts until it ends). On SQLite, a
    write that matches no row takes the database's write lock: the driver opens a
    transaction only at the first write, so without it the link would be read outside the
    transaction and another writer could take its ``seq``."""
    transaction = session.sync_session.get_transaction()
    if transaction is not None and session.info.get(_LOCKED_IN) is transaction:
        return
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"audit:{tenant_id}"}
        )
    else:
        await session.execute(text("UPDATE audit_events SET seq = seq WHERE 0 = 1"))
    session.info[_LOCKED_IN] = session.sync_session.get_transaction()


async def _next_link(session: AsyncSession) -> tuple[int, str]:
    """(seq, prev_hash) of the next event. The query autoflushes the caller's work (callers
    rely on that: defaults filled in); events added with autoflush off come after it."""
    last = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        )
    ).first()
    pending = sorted((o for o in session.new if isinstance(o, AuditEvent)), key=lambda o: o.seq)
    if pending:
        return pending[-1].seq + 1, pending[-1].hash
    return (last.seq + 1, last.hash) if last else (1, GENESIS)


async def do_audit(
    session: AsyncSession, actor: str, action: str, target: str = "", **detail: Any
) -> AuditEvent:
    """Append one event to the session's tenant chain (flushed with the caller's work).

    Args:
        actor: ``account:<id>``, ``system`` or ``anonymous``.
        action: a dotted verb, e.g. ``auth.login``.
        target: what was touched, e.g. ``staff_account:<id>`` — never personal data.
        detail: small JSON-able facts; never names or free text.
    """
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("audit needs a tenant-bound session")
    await _lock_chain(session, tenant_id)
    seq, prev = await _next_link(session)
    event = AuditEvent(
        tenant_id=tenant_id,
        seq=seq,
        at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=_detail(detail),
        prev_hash=prev,
    )
    event.hash = event_hash(event)
    session.add(event)
    return event


PENDING_READS = "kasane_audit_reads"  # session.info key: reads added at commit


def do_audit_read(
    session: AsyncSession, actor: str, action: str, target: str = "", **detail: Any
) -> AuditRead:
    """Record that ``actor`` read ``target`` (a page showing a person's record, …).

    No lock and no query: the row is inserted when the session commits, which for a
    request is before its response is sent; if the transaction fails, so does the page.
    The arguments are as for :func:`do_audit`."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("audit needs a tenant-bound session")
    row = AuditRead(
        tenant_id=tenant_id,
        id=uuid7(),
        at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=_detail(detail),
    )
    row.hash = read_hash(row)
    session.info.setdefault(PENDING_READS, []).append(row)
    return row


@event.listens_for(Session, "before_commit")
def _insert_reads(session: Session) -> None:
    # Added here, not at once: an autoflush would insert the row at the next query, and
    # on SQLite that write would then hold the database's lock through the rendering.
    # A Core INSERT, not session.add_all(): the unit of work's bookkeeping for these rows,
    # which nothing reads back, cost more than the statement.
    rows = session.info.pop(PENDING_READS, None)
    if rows:
        table: Table = AuditRead.__table__  # type: ignore[assignment]
        session.execute(
            insert(table), [{c.key: getattr(r, c.key) for c in table.columns} for r in rows]
        )


@event.listens_for(Session, "after_rollback")
def _forget_reads(session: Session) -> None:
    session.info.pop(PENDING_READS, None)


# Where a fold starts looking: this long before the newest read already folded. A read is
# stamped when the page asks for it and committed when the page is rendered, so one may
# land after a later one was folded; no request's transaction lasts this long.
FOLD_OVERLAP = timedelta(minutes=10)


FOLD_BATCH = 10_000  # reads folded per transaction


async def fold_reads(session: AsyncSession, limit: int = FOLD_BATCH) -> int:
    """Append the tenant's reads that are not in the chain yet, oldest first, under the
    chain's lock; return how many. A read whose own hash no longer matches is left out
    (verification names it)."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("audit needs a tenant-bound session")
    await _lock_chain(session, tenant_id)
    newest = (
        await session.execute(select(func.max(AuditEvent.at)).where(AuditEvent.from_read))
    ).scalar()
    chained = exists().where(
        AuditEvent.tenant_id == AuditRead.tenant_id, AuditEvent.id == AuditRead.id
    )
    stmt = select(AuditRead).where(~chained).order_by(AuditRead.at, AuditRead.id).limit(limit)
    if newest is not None:
        stmt = stmt.where(AuditRead.at >= newest - FOLD_OVERLAP)
    reads = list((await session.execute(stmt)).scalars())
    if not reads:
        return 0
    seq, prev = await _next_link(session)
    folded = 0
    for r in reads:
        if read_hash(r) != r.hash:
            continue
        e = AuditEvent(
            tenant_id=tenant_id,
            id=r.id,
            seq=seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            target=r.target,
            detail=r.detail,
            prev_hash=prev,
            from_read=True,
        )
        e.hash = event_hash(e)
        session.add(e)
        seq, prev, folded = seq + 1, e.hash, folded + 1
    await session.flush()
    return folded


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None  # seq of the first event whose link or hash is wrong
    reason: str = ""
    waiting: int = 0  # reads recorded, not yet folded into the chain (each checked)

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Walk the session tenant's chain in ``seq`` order; report the first broken link."""
    prev, count, expected_seq = GENESIS, 0, 1
    result = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.seq))
    async for e in result:
        count += 1
        if e.seq != expected_seq:
            return ChainReport(count, e.seq, f"expected seq {expected_seq}, found {e.seq}")
        if e.prev_hash != prev:
            return ChainReport(count, e.seq, "prev_hash does not match the previous event")
        if event_hash(e) != e.hash:
            return ChainReport(count, e.seq, "hash does not match the event's contents")
        prev, expected_seq = e.hash, expected_seq + 1
    # Reads not folded yet: each must still match its own hash. (Deleting one before it is
    # folded leaves no trace; decision 0024 bounds that window to the fold's minute.)
    chained = exists().where(
        AuditEvent.tenant_id == AuditRead.tenant_id, AuditEvent.id == AuditRead.id
    )
    waiting = 0
    reads = await session.stream_scalars(select(AuditRead).where(~chained).order_by(AuditRead.at))
    async for r in reads:
        waiting += 1
        if read_hash(r) != r.hash:
            return ChainReport(count, 0, f"read {r.id} does not match its hash", waiting)
    return ChainReport(count, None, waiting=waiting)


async def count_events(session: AsyncSession, action: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return int((await session.execute(stmt)).scalar_one())
