"""The caseload import at a moving town's scale: 50,000 rows from an Excel file.

A fresh tenant on the standard plugin (the national defaults, as after signup) takes a
fictitious 50,000-row file (:mod:`kasane.core.caseload.sample`, the same generator as the
demo file) through what the admin does: upload (read the .xlsx, seal it), check (the dry
run, with duplicate search), import (one transaction), then undo. The import must stay
under five minutes (the issue's bound); every step's seconds are printed:

``bench caseload_import rows=50000 upload_s=… check_s=… import_s=… undo_s=… total_s=…``
"""

from __future__ import annotations

import io
import time

from sqlalchemy import select

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.caseload.fields import guess_mapping
from kasane.core.caseload.sample import HEADERS, sample_rows
from kasane.core.caseload.services import do_check, do_import, do_undo_import, do_upload, get_import
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.tenants.services import do_create_tenant, tenant_info

ROWS = 50_000
LIMIT_SECONDS = 300.0
CODE = "362018"  # 徳島市: not one of the bench's other tenants


def _xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("相談記録")
    sheet.append(HEADERS)
    for row in sample_rows(rows, seed=50):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def measure_caseload_import(db: Database, scale: float = 1.0) -> str:
    """Upload, check, import and undo ``50,000 × scale`` rows; the line."""
    rows = max(10, round(ROWS * scale))
    tenant = await do_create_tenant(
        db,
        slug="iju-bench",
        name="徳島市",
        municipality_code=CODE,
        prefecture="徳島県",
        plugin="kasane.tenants.standard_plugin",
        status="active",
        actor="bench",
    )
    config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
    async with db.session(tenant.id) as s:
        account = await do_create_account(
            s, username="iju-admin", display_name="移行", password="bench-password", role="admin",
            actor="bench",
        )  # fmt: skip
    async with db.session(tenant.id) as s:
        found = await s.execute(select(StaffAccount).where(StaffAccount.id == account.id))
        actor = ActorInfo.of(found.scalar_one())
    raw = _xlsx(rows)
    times: dict[str, float] = {}

    started = time.perf_counter()
    async with db.session(tenant.id) as s:
        batch = await do_upload(s, actor, "bench.xlsx", raw)
        batch_id = batch.id
    times["upload"] = time.perf_counter() - started

    started = time.perf_counter()
    async with db.session(tenant.id) as s:
        batch = await get_import(s, batch_id)
        report = await do_check(s, actor, config, batch, guess_mapping(list(HEADERS)), today_jst())
    times["check"] = time.perf_counter() - started
    if not report.checked.ok:
        return f"bench caseload_import FAILED: {len(report.checked.problems)} problems"

    started = time.perf_counter()
    async with db.session(tenant.id) as s:
        made = await do_import(s, actor, config, await get_import(s, batch_id), today_jst())
    times["import"] = time.perf_counter() - started

    started = time.perf_counter()
    async with db.session(tenant.id) as s:
        await do_undo_import(s, actor, await get_import(s, batch_id))
    times["undo"] = time.perf_counter() - started
    total = times["upload"] + times["check"] + times["import"]
    verdict = "" if total < LIMIT_SECONDS else f" OVER_LIMIT({LIMIT_SECONDS:.0f}s)"
    return (
        f"bench caseload_import rows={rows} "
        + " ".join(f"{k}_s={v:.1f}" for k, v in times.items())
        + f" total_s={total:.1f} cases={made['cases']}{verdict}"
    )
