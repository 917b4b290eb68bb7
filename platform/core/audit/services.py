"""Append to and verify the hash chain.

Appends are serialized per tenant (a transaction-scoped advisory lock on PostgreSQL; SQLite
serializes writers itself), so ``seq`` has no gaps and every event links to the one before.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.db import utcnow

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
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"audit:{tenant_id}"}
        )
    last = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        )
    ).first()
    # Events added earlier in this same unflushed session come after `last`.
    pending = sorted((o for o in session.new if isinstance(o, AuditEvent)), key=lambda o: o.seq)
    if pending:
        seq, prev = pending[-1].seq + 1, pending[-1].hash
    elif last:
        seq, prev = last.seq + 1, last.hash
    else:
        seq, prev = 1, GENESIS
    event = AuditEvent(
        tenant_id=tenant_id,
        seq=seq,
        at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=prev,
    )
    event.hash = event_hash(event)
    session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None  # seq of the first event whose link or hash is wrong
    reason: str = ""

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
    return ChainReport(count, None)


async def count_events(session: AsyncSession, action: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return int((await session.execute(stmt)).scalar_one())
