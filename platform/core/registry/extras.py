"""What an HSDS import brought that Kasane's columns cannot hold, kept verbatim.

HSDS 3.0 has fields and tables Kasane has no column for (a service's ``languages``,
``funding``, ``cost_options``, ``program``, ``required_documents``, ``wait_time``; an
organization's ``tax_status``, ``programs``, ``organization_identifiers``; ``metadata`` and
``attributes`` on any object …). Dropping them broke the round trip (issue 17), so each is
one :class:`~.models.RegistryExtra` row on the record it came with, written back by
:func:`kasane.core.registry.hsds.flat` in the API and the export. A held field whose given
spelling Kasane would write differently (``2023-03-15T10:30:45.123Z`` stored as a datetime,
a term's ``parent_id`` outside the registry) is kept as ``=name`` → ``{given, stored}``
(decision 0026).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.registry.hsds_spec import EXTRAS_ATTR
from kasane.core.registry.models import RegistryExtra

AS_GIVEN = "="


async def extras_of(
    session: AsyncSession, type_: str, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """record id → {field: value} for the given records of one type."""
    wanted = sorted(set(ids))
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):  # keep the IN list bounded
        rows = await session.execute(
            select(RegistryExtra.record_id, RegistryExtra.field, RegistryExtra.value)
            .where(
                RegistryExtra.record_type == type_,
                RegistryExtra.record_id.in_(wanted[start : start + 500]),
            )
            .order_by(RegistryExtra.id)
        )
        for record_id, name, value in rows:
            out.setdefault(record_id, {})[name] = value
    return out


async def attach_extras(session: AsyncSession, rows_by_type: dict[str, Iterable[Any]]) -> None:
    """Set each row's kept extras (read by ``flat``); rows without any get an empty dict."""
    for type_, rows in rows_by_type.items():
        rows = list(rows)
        if not rows:
            continue
        found = await extras_of(session, type_, (r.id for r in rows))
        for row in rows:
            setattr(row, EXTRAS_ATTR, found.get(row.id, {}))


async def replace_extras(
    session: AsyncSession, type_: str, record_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Make ``values`` the record's extras (an import's update replaces them whole)."""
    await session.execute(
        delete(RegistryExtra).where(
            RegistryExtra.record_type == type_, RegistryExtra.record_id == record_id
        )
    )
    for name, value in values.items():
        session.add(RegistryExtra(record_type=type_, record_id=record_id, field=name, value=value))


async def drop_extras(session: AsyncSession, type_: str, record_id: uuid.UUID) -> None:
    await replace_extras(session, type_, record_id, {})
