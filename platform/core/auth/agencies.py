"""Agencies the tenant admin adds in the app, beside the plugin's (placeholder: filled in
by the roles and agencies change)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.config_types import Agency


async def local_agencies(session: AsyncSession) -> list[Agency]:
    """The active agencies added by the tenant's admin, as plugin-style ``Agency`` values."""
    return []
