"""Deletion on offboarding: every row of every tenant table, the tenant key, the tenants row.

One transaction. The key is destroyed first (crypto-shredding: a backup restored later
still cannot open the tenant's sealed fields without the master key *and* the key row), then
every tenant table is emptied of the tenant's rows, children before parents, then the
``tenants`` row goes. Billing events keep their Stripe ids but lose the tenant reference.

The tenant's own audit log goes with it, so the operator's record that the deletion
happened is kept outside the database: one JSON line per deletion in ``var/offboarding.jsonl``
(and the ``kasane.offboarding`` log) — tenant id, slug, municipality name and code, when, how
many rows. No personal data: a municipality is a public body.

On PostgreSQL this needs the migration (administrator) connection: the app role may not
delete audit rows or tenants rows, by design.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.db import Database, utcnow
from kasane.core.protection.crypto import do_destroy_tenant_key
from kasane.tenants.billing.models import BillingEvent
from kasane.tenants.models import Tenant
from kasane.tenants.portability.layout import metadata, tenant_tables

log = logging.getLogger("kasane.offboarding")
LEDGER = "offboarding.jsonl"


@dataclass(frozen=True)
class DeletionReport:
    """What the operator keeps about a deleted tenant (no personal data)."""

    tenant_id: str
    slug: str
    name: str
    municipality_code: str
    deleted_at: str
    via: str
    rows: int
    tables: dict[str, int]


async def _empty_tables(s: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in reversed(tenant_tables()):  # children before parents
        result = await s.execute(delete(table).where(table.c.tenant_id == tenant_id))
        counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult
    return counts


async def do_delete_tenant(
    db: Database, tenant_id: uuid.UUID, *, via: str = "cli", ledger: Path | None = None
) -> DeletionReport:
    """Delete the tenant and everything it owns; append the record to ``ledger``.

    Args:
        db: on PostgreSQL, a Database on the migration (administrator) URL.
        via: what asked (``cli``, ``billing.offboard``), for the record.

    Raises:
        LookupError: no such tenant.
    """
    report = await _delete(db, tenant_id, via, ledger)
    if report is None:
        raise LookupError(tenant_id)
    return report


async def _delete(
    db: Database,
    tenant_id: uuid.UUID,
    via: str,
    ledger: Path | None,
    still_wanted: Callable[[RowMapping], bool] | None = None,
) -> DeletionReport | None:
    """The deletion, under the tenants row's lock; None when the row is gone or
    ``still_wanted`` (checked under the lock) says no."""
    tenants = metadata.tables["tenants"]
    async with db.session(tenant_id) as s:
        row = (
            (await s.execute(select(tenants).where(tenants.c.id == tenant_id).with_for_update()))
            .mappings()
            .first()
        )
        if row is None or (still_wanted is not None and not still_wanted(row)):
            return None
        await do_destroy_tenant_key(s)
        counts = await _empty_tables(s, tenant_id)
        await s.execute(
            update(BillingEvent).where(BillingEvent.tenant_ref == tenant_id).values(tenant_ref=None)
        )
        await s.execute(delete(tenants).where(tenants.c.id == tenant_id))
    plugins.forget(str(tenant_id))
    report = DeletionReport(
        tenant_id=str(tenant_id),
        slug=row["slug"],
        name=row["name"],
        municipality_code=row["municipality_code"],
        deleted_at=utcnow().isoformat(),
        via=via,
        rows=sum(counts.values()),
        tables={k: v for k, v in sorted(counts.items()) if v},
    )
    _record(report, ledger)
    return report


def _record(report: DeletionReport, ledger: Path | None) -> None:
    log.info(
        "tenant deleted: %s (%s, %s), %d rows, via %s",
        report.slug,
        report.tenant_id,
        report.municipality_code,
        report.rows,
        report.via,
    )
    if ledger is not None:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with ledger.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"event": "tenant.deleted", **asdict(report)}, ensure_ascii=False))
            f.write("\n")


async def do_offboard(
    db: Database, ledger: Path | None, now: datetime | None = None, *, dry_run: bool = False
) -> list[str]:
    """Delete every tenant the billing sweep marked for deletion (cancelled, retention over).

    Each tenant is re-checked under its row lock: a payment that re-activated it meanwhile
    (which clears the mark) keeps it. Returns one line per tenant.
    """
    now = now or utcnow()
    async with db.session() as s:
        due = list(
            (
                await s.execute(
                    select(Tenant.id, Tenant.slug).where(
                        Tenant.status == "cancelled",
                        Tenant.deletion_marked_at.is_not(None),
                        Tenant.delete_after <= now,
                    )
                )
            ).all()
        )

    def still_due(row: RowMapping) -> bool:  # a payment meanwhile clears the mark
        return bool(
            row["status"] == "cancelled"
            and row["deletion_marked_at"] is not None
            and row["delete_after"] is not None
            and row["delete_after"] <= now
        )

    lines: list[str] = []
    for tenant_id, slug in due:
        if dry_run:
            lines.append(f"would delete {slug}")
            continue
        report = await _delete(db, tenant_id, "billing.offboard", ledger, still_due)
        if report is not None:
            lines.append(f"deleted {report.slug} ({report.rows} rows)")
    return lines
