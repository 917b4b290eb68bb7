"""Import a checked export into this instance: one transaction, parents before children.

The tenant keeps its id (sealed fields are bound to it, and the audit chain hashes it), its
slug and its municipality code, so none of them may exist here yet. The data key is
re-wrapped with this instance's master key. What does not travel is the billing
relationship with the exporting operator: the tenant starts here as ``status`` (default
``trial``), with no Stripe references and no cancellation or deletion dates.

On PostgreSQL this runs as the app role: it may insert ``tenants`` rows, and RLS lets the
transaction write only the imported tenant's rows (``app.tenant_id`` is set to it).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Table, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.audit.services import do_audit
from kasane.core.db import Database, utcnow

# Private to crypto on purpose: importing is one of the two places a raw data key is handled.
from kasane.core.protection.crypto import KEY_BYTES, _wrap
from kasane.tenants.models import STATUSES, Tenant
from kasane.tenants.portability.checks import (
    CheckedExport,
    ImportRefused,
    check_export,
    export_directory,
)
from kasane.tenants.portability.codec import RowInvalid, decode_row
from kasane.tenants.portability.layout import (
    BILLING_ONLY_COLUMNS,
    KEY_FILE,
    KEY_TABLE,
    TENANT_FILE,
    metadata,
    table_files,
)

BATCH = 500
# Lifecycle columns that describe the tenant's contract with the exporting operator.
LIFECYCLE_RESET = ("past_due_since", "delete_after", "deletion_marked_at")


@dataclass(frozen=True)
class ImportResult:
    tenant_id: uuid.UUID
    slug: str
    rows: int
    warnings: list[str] = field(default_factory=list)
    # (table, id) of rows naming another tenant this instance does not have (e.g. a
    # registry entry shared with a neighbour that lives elsewhere): left out, reported.
    left_out: list[tuple[str, uuid.UUID]] = field(default_factory=list)


def _tenant_row(checked: CheckedExport, status: str) -> dict[str, Any]:
    table = metadata.tables["tenants"]
    given = dict(checked.tenant)
    for name in (*BILLING_ONLY_COLUMNS, *LIFECYCLE_RESET):
        given[name] = None
    given["status"], given["status_changed_at"] = status, utcnow().isoformat()
    try:
        return decode_row(table, given)
    except RowInvalid as exc:
        raise ImportRefused(f"{TENANT_FILE}: {exc}") from None


def _key_row(checked: CheckedExport, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    """The tenant_keys row for this instance: the data key wrapped with our master key."""
    encoded, data_key = checked.key_payload.get("row"), checked.key_payload.get("data_key")
    if encoded is None:
        return None
    try:
        row = decode_row(metadata.tables[KEY_TABLE], {**encoded, "wrapped_key": ""})
        key = base64.b64decode(data_key, validate=True) if data_key else b""
    except (RowInvalid, binascii.Error, TypeError) as exc:
        raise ImportRefused(f"{KEY_FILE}: {exc}") from None
    if row["tenant_id"] != tenant_id:
        raise ImportRefused(f"{KEY_FILE}: the key belongs to another tenant")
    if row["destroyed_at"] is None:  # a live key; a destroyed one stays a tombstone
        if len(key) != KEY_BYTES:
            raise ImportRefused(f"{KEY_FILE}: the data key is missing or not {KEY_BYTES} bytes")
        row["wrapped_key"] = _wrap(tenant_id, key)
    return row


def _rows(directory: Path, table: Table, tenant_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    name = f"tables/{table.name}.jsonl"
    with (directory / name).open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                row = decode_row(table, json.loads(line))
            except (json.JSONDecodeError, RowInvalid) as exc:
                raise ImportRefused(f"{name} line {number}: {exc}") from None
            if row["tenant_id"] != tenant_id:
                raise ImportRefused(f"{name} line {number}: a row of another tenant")
            yield row


def _other_tenant_columns(table: Table) -> list[str]:
    """Columns besides ``tenant_id`` that name a tenant (``resource_shares.shared_with_…``)."""
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table.name == "tenants" and fk.parent.name != "tenant_id"
    ]


def _self_references(table: Table) -> list[ForeignKeyConstraint]:
    return [fk for fk in table.foreign_key_constraints if fk.referred_table is table]


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself (a term's parent), each after its parent."""
    fks = _self_references(table)
    placed: list[set[tuple[Any, ...]]] = [set() for _ in fks]

    def waits(row: dict[str, Any]) -> bool:
        for fk, seen in zip(fks, placed, strict=True):
            values = tuple(row[e.parent.name] for e in fk.elements)
            if None not in values and values not in seen:
                return True
        return False

    ordered, pending = [], rows
    while pending:
        ready = [r for r in pending if not waits(r)]
        if not ready:
            raise ImportRefused(f"tables/{table.name}.jsonl: rows refer to rows that are not there")
        for r in ready:
            for fk, seen in zip(fks, placed, strict=True):
                seen.add(tuple(r[e.column.name] for e in fk.elements))
        ordered += ready
        done = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in done]
    return ordered


async def _insert_table(
    s: AsyncSession,
    directory: Path,
    table: Table,
    tenant_id: uuid.UUID,
    present: set[uuid.UUID],
    left_out: list[tuple[str, uuid.UUID]],
) -> int:
    rows = _rows(directory, table, tenant_id)
    if others := _other_tenant_columns(table):
        kept = []
        for row in rows:
            if all(row[c] is None or row[c] in present for c in others):
                kept.append(row)
            else:
                left_out.append((table.name, row["id"]))
        rows = iter(kept)
    if _self_references(table):
        rows = iter(_parents_first(table, list(rows)))
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            await s.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        await s.execute(insert(table), batch)
        count += len(batch)
    return count


async def _refuse_conflicts(db: Database, tenant: dict[str, Any]) -> None:
    async with db.session() as s:
        found = (
            await s.execute(
                select(Tenant.id, Tenant.slug, Tenant.municipality_code).where(
                    or_(
                        Tenant.id == tenant["id"],
                        Tenant.slug == tenant["slug"],
                        Tenant.municipality_code == tenant["municipality_code"],
                    )
                )
            )
        ).first()
    if found is None:
        return
    for column, value in zip(("id", "slug", "municipality_code"), found, strict=True):
        if value == tenant[column]:
            raise ImportRefused(f"a tenant with {column} {value} already exists on this instance")


async def _write(
    db: Database,
    checked: CheckedExport,
    tenant: dict[str, Any],
    actor: str,
    left_out: list[tuple[str, uuid.UUID]],
) -> int:
    tenant_id = tenant["id"]
    key_row = _key_row(checked, tenant_id)
    rows = 0
    async with db.session(tenant_id) as s:
        present = {tenant_id, *(await s.execute(select(Tenant.id))).scalars()}
        await s.execute(insert(metadata.tables["tenants"]), [tenant])
        if key_row is not None:
            await s.execute(insert(metadata.tables[KEY_TABLE]), [key_row])
        for table in table_files():
            rows += await _insert_table(s, checked.directory, table, tenant_id, present, left_out)
        await do_audit(
            s,
            actor,
            "tenant.imported",
            f"tenant:{tenant_id}",
            export=checked.manifest.get("export_id"),
            schema=checked.manifest["schema_version"],
            rows=rows,
            left_out=len(left_out),
        )
    return rows


async def do_import_tenant(
    db: Database, path: Path, export_key: str, *, status: str = "trial", actor: str = "cli"
) -> ImportResult:
    """Import the export at ``path`` (a directory or its zip) with its export key.

    Raises:
        ImportRefused: any check failed, the tenant exists here, or the database refused a
            row; nothing was written.
    """
    if status not in STATUSES:
        raise ImportRefused(f"status: use one of {', '.join(STATUSES)}")
    with export_directory(path) as directory:
        checked = check_export(directory, export_key)
        tenant = _tenant_row(checked, status)
        await _refuse_conflicts(db, tenant)
        left_out: list[tuple[str, uuid.UUID]] = []
        try:
            rows = await _write(db, checked, tenant, actor, left_out)
        except IntegrityError as exc:
            raise ImportRefused(f"the database refused the import: {exc.orig}") from None
    warnings = []
    if tenant["plugin"] not in plugins.installed_plugins() and "." not in tenant["plugin"]:
        warnings.append(
            f"the tenant's plugin {tenant['plugin']!r} is not installed here; its last good "
            "configuration is used until it is"
        )
    if left_out:
        warnings.append(
            f"{len(left_out)} row(s) naming a tenant this instance does not have were left out "
            f"({', '.join(sorted({t for t, _ in left_out}))}): shares with neighbours elsewhere"
        )
    return ImportResult(tenant["id"], tenant["slug"], rows, warnings, left_out)
