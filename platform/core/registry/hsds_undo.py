"""Undo an HSDS import batch (decision 0026), and what an import records so it can be undone.

An import writes its records in :data:`WRITE_ORDER` and keeps, per batch, the ids it created,
a :func:`snapshot` of each row it updated (what undo puts back) and a :func:`fingerprint` of
each row it wrote (what undo compares to tell an edit made since). :func:`undo_batch` deletes
what the batch created and puts back what it updated, only for the latest batch and only
while that loses no later work.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.db.claims import compare_and_set
from kasane.core.i18n import N_, gettext
from kasane.core.registry.extras import replace_extras
from kasane.core.registry.hsds import SPECS, json_value
from kasane.core.registry.models import ImportBatch
from kasane.core.registry.sharing import row_from_json

WRITE_ORDER = (
    "organization",
    "taxonomy",
    "taxonomy_term",
    "service",
    "location",
    "address",
    "accessibility",
    "service_at_location",
    "schedule",
    "service_area",
    "attribute",
    "contact",
    "phone",
)


async def rows_by_id(session: AsyncSession, type_: str, ids: list[Any]) -> dict[uuid.UUID, Any]:
    """The tenant's rows of an HSDS type with these ids, by id."""
    model = SPECS[type_].model
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(model).where(model.id.in_(wanted)))
    return {r.id: r for r in rows.scalars()}


def fingerprint(type_: str, row: Any) -> dict[str, Any]:
    """A record's HSDS fields as JSON: what undo compares to tell an edit since."""
    return {f.col: json_value(getattr(row, f.col)) for f in SPECS[type_].fields}


def snapshot(row: Any) -> dict[str, Any]:
    """Every column of a row but the tenant's, as JSON (what undo puts back)."""
    out = {}
    for col in row.__table__.columns:
        if col.key != "tenant_id":
            value = getattr(row, col.key)
            out[col.key] = (
                value.isoformat()
                if isinstance(value, date | datetime)
                else (str(value) if isinstance(value, uuid.UUID) else value)
            )
    return out


class UndoRefused(Exception):
    """Undo would lose work done since the import (the message says which)."""


async def latest_committed(session: AsyncSession) -> ImportBatch | None:
    """The latest batch still committed (the only one undo may reverse), if any."""
    stmt = (
        select(ImportBatch)
        .where(ImportBatch.status == "committed")
        .order_by(ImportBatch.committed_at.desc(), ImportBatch.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def undo_batch(session: AsyncSession, batch: ImportBatch, *, actor: str) -> dict[str, int]:
    """Reverse a committed import: delete what it created, put back what it updated.

    Only the latest committed batch (a later one may build on it), and only while nothing
    added since belongs to a record it created (deleting would take it along: the foreign
    keys cascade). Audited as ``registry.import.undo``."""
    latest = await latest_committed(session)
    if batch.status != "committed" or latest is None or latest.id != batch.id:
        raise UndoRefused(gettext(N_("Only the latest import can be undone.")))
    changes: dict[str, Any] = batch.changes or {}
    created, touched = _created_and_touched(changes)
    await _refuse_if_built_on(session, created, touched)
    await _refuse_if_edited(session, changes)
    await _claim(session, batch)
    removed = await _delete_created(session, created)
    restored = await _restore_updated(session, changes)
    await session.flush()
    batch.status = "undone"
    batch.undone_by = actor[:80]
    batch.undone_at = utcnow()
    await do_audit(
        session,
        actor,
        "registry.import.undo",
        f"import_batch:{batch.id}",
        deleted=sum(removed.values()),
        restored=restored,
    )
    return {"deleted": sum(removed.values()), "restored": restored}


def _created_and_touched(
    changes: dict[str, Any],
) -> tuple[dict[str, set[uuid.UUID]], dict[str, set[uuid.UUID]]]:
    """The ids the batch created, and those it created or updated, by type."""
    created: dict[str, set[uuid.UUID]] = {t: set() for t in SPECS}
    for type_, rid in changes.get("created", []):
        created[type_].add(uuid.UUID(rid))
    touched = {t: set(ids) for t, ids in created.items()}  # updated ones are put back too
    for item in changes.get("updated", []):
        touched[item["type"]].add(uuid.UUID(item["id"]))
    return created, touched


async def _refuse_if_built_on(
    session: AsyncSession,
    created: dict[str, set[uuid.UUID]],
    touched: dict[str, set[uuid.UUID]],
) -> None:
    """Refuse when a record added since belongs to one the batch created."""
    for type_, spec in SPECS.items():
        for f in spec.fks:
            if not created[f.ref]:
                continue
            column = getattr(spec.model, f.col)
            stmt = select(spec.model.id).where(column.in_(sorted(created[f.ref])))
            since = set((await session.execute(stmt)).scalars()) - touched[type_]
            if since:
                msg = N_(
                    "%(num)s records added since the import belong to records it created;"
                    " undo would delete them. Remove or move them first."
                )
                raise UndoRefused(gettext(msg, num=len(since)))


async def _refuse_if_edited(session: AsyncSession, changes: dict[str, Any]) -> None:
    """Refuse when a record the batch wrote was changed since."""
    edited = 0
    for key, expected in (changes.get("after") or {}).items():
        type_, rid = key.split(":", 1)
        row = (await rows_by_id(session, type_, [uuid.UUID(rid)])).get(uuid.UUID(rid))
        if row is not None and fingerprint(type_, row) != expected:
            edited += 1
    if edited:
        msg = N_("%(num)s records were changed since the import; undo would lose those changes.")
        raise UndoRefused(gettext(msg, num=edited))


async def _claim(session: AsyncSession, batch: ImportBatch) -> None:
    """Mark the batch undone in one statement, or refuse when another undo took it."""
    # consumed atomically: of two undos sent at once, one takes the batch, the other stops
    if not await compare_and_set(session, ImportBatch, batch.id, "committed", "undone"):
        raise UndoRefused(gettext(N_("Only the latest import can be undone.")))


async def _delete_created(
    session: AsyncSession, created: dict[str, set[uuid.UUID]]
) -> dict[str, int]:
    """Delete what the batch created (children first); how many of each type."""
    removed: dict[str, int] = {}
    for type_ in reversed(WRITE_ORDER):
        ids = created[type_]
        if not ids:
            continue
        rows = await rows_by_id(session, type_, list(ids))
        for row in rows.values():
            await session.delete(row)
            await replace_extras(session, type_, row.id, {})
        removed[type_] = len(rows)
        await session.flush()
    return removed


async def _restore_updated(session: AsyncSession, changes: dict[str, Any]) -> int:
    """Put back the columns and kept fields of what the batch updated; how many."""
    restored = 0
    for item in changes.get("updated", []):
        type_ = item["type"]
        rows = await rows_by_id(session, type_, [uuid.UUID(item["id"])])
        row = rows.get(uuid.UUID(item["id"]))
        if row is None:
            continue  # deleted since: nothing to put back into
        old = row_from_json(SPECS[type_].model, item["before"])
        for col in row.__table__.columns:
            if col.key not in ("tenant_id", "id"):
                setattr(row, col.key, getattr(old, col.key))
        await replace_extras(session, type_, row.id, item.get("extras") or {})
        restored += 1
    return restored
