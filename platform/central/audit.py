"""The central site's audit log: every login, failure and download appended to
``central_events``, each event hash-chained to the one before (like a tenant's chain).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.models import CentralEvent
from kasane.core.db import utcnow

GENESIS = "0" * 64


def _event_hash(e: CentralEvent) -> str:
    canonical = json.dumps(
        [
            e.seq,
            e.at.isoformat(timespec="microseconds"),
            e.actor,
            e.action,
            e.target,
            e.detail,
            e.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def do_central_audit(
    session: AsyncSession, actor: str, action: str, target: str = "", **detail: Any
) -> CentralEvent:
    """Append one event to the central chain (serialised like a tenant's chain)."""
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('kasane:central:audit'))")
        )
    pending = [o for o in session.new if isinstance(o, CentralEvent)]
    last = (
        max(pending, key=lambda o: o.seq)
        if pending
        else (
            await session.execute(select(CentralEvent).order_by(CentralEvent.seq.desc()).limit(1))
        ).scalar_one_or_none()
    )
    event = CentralEvent(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _event_hash(event)
    session.add(event)
    return event


async def verify_central_chain(session: AsyncSession) -> int | None:
    """The seq of the first broken link of the central chain, or None when it is whole."""
    prev, expected = GENESIS, 1
    for e in (await session.execute(select(CentralEvent).order_by(CentralEvent.seq))).scalars():
        if e.seq != expected or e.prev_hash != prev or _event_hash(e) != e.hash:
            return e.seq
        prev, expected = e.hash, expected + 1
    return None
