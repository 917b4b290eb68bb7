"""Buying and moving in: a tenant's invoice PDF and its caseload import batches, for the
isolation matrix (another tenant's id is a plain 404)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from kasane.core.caseload.models import CaseloadImport
from kasane.core.db import Database
from kasane.core.protection.sealing import seal
from kasane.tenants.billing.models import BillingInvoice
from tests.conftest import Env
from tests.isolation.routes import IdRoute


def _in(env: Env, slug: str, fn: Any) -> Any:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> Any:
        async with db.session(tenant_id) as s:
            return await fn(s)

    return env.run(go)


def invoice_id(env: Env, slug: str) -> uuid.UUID:
    async def go(s: Any) -> uuid.UUID:
        invoice = BillingInvoice(
            number=f"I-{uuid.uuid4().hex[:8]}", plan="small", fiscal_year=2026,
            period_start=date(2026, 10, 1), period_end=date(2027, 3, 31), months=6,
            subtotal_yen=180_000, tax_yen=18_000, issued_on=date(2026, 10, 1),
            due_on=date(2026, 10, 31), status="open",
        )  # fmt: skip
        s.add(invoice)
        await s.flush()
        return invoice.id

    return _in(env, slug, go)  # type: ignore[no-any-return]


def import_id(env: Env, slug: str) -> uuid.UUID:
    """An uploaded one-row file (a fictitious person), not yet checked."""

    async def go(s: Any) -> uuid.UUID:
        batch = CaseloadImport(
            id=uuid.uuid4(), filename="matrix.csv", rows_total=1, headers=["氏名", "相談日"],
            created_by=uuid.uuid4(),
        )  # fmt: skip
        rows = [[2, ["行列 試験（架空）", "2026-04-01"]]]
        batch.data_sealed = await seal(s, "caseload_imports", batch.id, "data", json.dumps(rows))
        s.add(batch)
        await s.flush()
        return batch.id

    return _in(env, slug, go)  # type: ignore[no-any-return]


ROUTES = [
    IdRoute("/billing/invoices/{id}/pdf", invoice_id, username="admin"),
    IdRoute("/admin/import/{id}", import_id, username="admin"),
    IdRoute("/admin/import/{id}/progress", import_id, username="admin"),
    # the file lacks required columns: checked up to the refusal that names them (422)
    IdRoute("/admin/import/{id}/check", import_id, method="POST", username="admin", ok_status=422),
    IdRoute("/admin/import/{id}/run", import_id, method="POST", username="admin", ok_status=422),
    IdRoute("/admin/import/{id}/undo", import_id, method="POST", username="admin", ok_status=422),
]
