"""Record unmet needs and roll them up into the gap list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.gaps.models import ResourceGap


async def do_record_gap(
    session: AsyncSession,
    actor: ActorInfo | None,
    *,
    category: str,
    area_key: str | None,
    source: str,
    source_id: uuid.UUID | None,
    on: date,
    description: str = "",
) -> ResourceGap:
    gap = ResourceGap(
        category=category,
        area_key=area_key,
        source=source,
        source_id=source_id,
        recorded_on=on,
        description=description[:300],
        created_by=actor.id if actor else None,
    )
    session.add(gap)
    await session.flush()
    await do_audit(
        session,
        actor.ref if actor else "system",
        "gap.record",
        f"resource_gap:{gap.id}",
        category=category,
        source=source,
    )
    return gap


async def do_resolve_gap(
    session: AsyncSession, actor: ActorInfo | None, gap: ResourceGap, *, on: date
) -> None:
    """Mark an open gap resolved (it leaves the gap list); a resolved one stays as it is."""
    if gap.resolved_on is not None:
        return
    gap.resolved_on = on
    await do_audit(
        session,
        actor.ref if actor else "system",
        "gap.resolve",
        f"resource_gap:{gap.id}",
        category=gap.category,
        source=gap.source,
    )


@dataclass(frozen=True)
class GapRow:
    category: str
    area_key: str | None
    count: int
    sources: tuple[str, ...]


async def gap_list(session: AsyncSession) -> list[GapRow]:
    """Open gaps counted by category and area, most frequent first."""
    rows = (
        await session.execute(
            select(
                ResourceGap.category,
                ResourceGap.area_key,
                func.count(),
                func.group_concat(ResourceGap.source.distinct())
                if session.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
                else func.string_agg(ResourceGap.source.distinct(), ","),
            )
            .where(ResourceGap.resolved_on.is_(None))
            .group_by(ResourceGap.category, ResourceGap.area_key)
            .order_by(func.count().desc())
        )
    ).all()
    return [GapRow(c, a, int(n), tuple(sorted(set((s or "").split(","))))) for c, a, n, s in rows]
