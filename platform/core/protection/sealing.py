"""Seal and open sensitive text and JSON on any record with the tenant's key."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.protection.crypto import cipher_for


async def seal(session: AsyncSession, table: str, row_id: uuid.UUID, field: str, text: str) -> str:
    return (await cipher_for(session)).seal(table, row_id, field, text)


async def unseal(
    session: AsyncSession, table: str, row_id: uuid.UUID, field: str, token: str
) -> str:
    return (await cipher_for(session)).open(table, row_id, field, token) if token else ""


async def seal_json(
    session: AsyncSession, table: str, row_id: uuid.UUID, values: dict[str, Any]
) -> str:
    if not values:
        return ""
    return await seal(session, table, row_id, "sealed", json.dumps(values, ensure_ascii=False))


async def unseal_json(
    session: AsyncSession, table: str, row_id: uuid.UUID, token: str
) -> dict[str, Any]:
    text = await unseal(session, table, row_id, "sealed", token)
    return json.loads(text) if text else {}
