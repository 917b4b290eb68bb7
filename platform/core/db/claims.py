"""One-time states consumed atomically: a row's ``status`` moves from one value to the next
in a single compare-and-set UPDATE, so of two requests that both read the old value only
one goes on (an import started twice, an undo sent twice, a preview committed twice)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession


async def compare_and_set(
    session: AsyncSession, model: Any, row_id: uuid.UUID, before: str, after: str, **values: Any
) -> bool:
    """Move ``model``'s row ``row_id`` from status ``before`` to ``after`` (and ``values``):
    True for the one request that does it, False when another got there first. The ORM's
    copy of the row is left as it was: refresh it before reading its status again."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.status == before)
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], result).rowcount)
