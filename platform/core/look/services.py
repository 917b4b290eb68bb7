"""The tenant's look and words (placeholder: filled in by the look change)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def look_and_terms(session: AsyncSession) -> tuple[dict[str, str], dict[str, str]]:
    """(look: colours and logo text, terminology overrides) set by the tenant's admin."""
    return {}, {}
