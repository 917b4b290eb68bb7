"""The ``kasane`` commands that open the tenants' database: demo seed, tenants list and
create, audit verify and fold, billing sweep, reports export."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from kasane.settings import Settings


def _db(settings: Settings):  # type: ignore[no-untyped-def]
    from kasane.core.db import Database
    from kasane.core.protection.crypto import set_master_secret

    if settings.master_key:  # else a command that opens a sealed field says so when it does
        set_master_secret(settings.master_key)
    return Database(settings.database_url)


def cmd_demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.db import Database
    from kasane.tenants.demo import seed_demo

    async def run() -> list[str]:
        db = _db(settings)
        central = Database(settings.central_url) if settings.central_database_url else None
        try:
            return await seed_demo(db, central)
        finally:
            await db.dispose()
            if central:
                await central.dispose()

    for line in asyncio.run(run()):
        print(line)
    return 0


def cmd_tenants_list(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.services import list_tenants

    async def run() -> list[object]:
        db = _db(settings)
        try:
            async with db.session() as s:
                return list(await list_tenants(s))
        finally:
            await db.dispose()

    rows = asyncio.run(run())
    print(f"{'slug':<12} {'code':<7} {'status':<10} {'plugin':<10} name")
    for t in rows:
        print(
            f"{t.slug:<12} {t.municipality_code:<7} {t.status:<10} {t.plugin:<10} "  # type: ignore[attr-defined]
            f"{t.name} ({t.prefecture})"
        )  # type: ignore[attr-defined]
    return 0


def cmd_tenants_create(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.operator import PluginRefused, check_new_tenant
    from kasane.tenants.operator_commands import print_refusal
    from kasane.tenants.services import TenantInvalid, do_create_tenant

    if "." in args.plugin and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as plugins check: a module in this checkout
    try:  # the code must be this town's, and the plugin must pass its check for it
        check_new_tenant(
            name=args.name,
            code=args.code,
            prefecture=args.prefecture,
            plugin=args.plugin,
            population=args.population,
            slug=args.slug,
        )
    except TenantInvalid as exc:
        for field, problem in exc.problems.items():
            print(f"error: {field}: {problem}", file=sys.stderr)
        return 2
    except PluginRefused as exc:
        print_refusal(exc.plugin, exc.problems)
        return 1

    async def run() -> object:
        db = _db(settings)
        try:
            return await do_create_tenant(
                db,
                slug=args.slug,
                name=args.name,
                municipality_code=args.code,
                prefecture=args.prefecture,
                plugin=args.plugin,
                population=args.population,
                status=args.status,
                theme=args.theme,
                actor="cli",
            )
        finally:
            await db.dispose()

    try:
        tenant = asyncio.run(run())
    except TenantInvalid as exc:
        for field, problem in exc.problems.items():
            print(f"error: {field}: {problem}", file=sys.stderr)
        return 2
    print(f"created tenant {tenant.slug} ({tenant.id})")  # type: ignore[attr-defined]
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.audit.services import verify_chain
    from kasane.tenants.services import find_tenant_by_slug, list_tenants

    async def run() -> int:
        db = _db(settings)
        failures = 0
        try:
            async with db.session() as s:
                tenants = (
                    [await find_tenant_by_slug(s, args.tenant)]
                    if args.tenant
                    else await list_tenants(s)
                )
            for t in tenants:
                if t is None:
                    print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
                    return 2
                async with db.session(t.id) as s:
                    report = await verify_chain(s)
                waiting = (
                    f", {report.waiting} read(s) waiting for the fold" if report.waiting else ""
                )
                if report.ok:
                    print(f"{t.slug}: ok, {report.events} events{waiting}")
                elif report.broken_at == 0:  # a read not folded yet was changed
                    failures += 1
                    print(f"{t.slug}: BROKEN: {report.reason}")
                else:
                    failures += 1
                    print(f"{t.slug}: BROKEN at seq {report.broken_at}: {report.reason}")
        finally:
            await db.dispose()
        return 1 if failures else 0

    return asyncio.run(run())


def cmd_audit_fold(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.audit.services import fold_reads
    from kasane.tenants.services import find_tenant_by_slug, list_tenants

    async def run() -> int:
        db = _db(settings)
        try:
            async with db.session() as s:
                tenants = (
                    [await find_tenant_by_slug(s, args.tenant)]
                    if args.tenant
                    else await list_tenants(s)
                )
            for t in tenants:
                if t is None:
                    print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
                    return 2
                async with db.session(t.id) as s:
                    print(f"{t.slug}: {await fold_reads(s)} read(s) folded")
        finally:
            await db.dispose()
        return 0

    return asyncio.run(run())


def cmd_billing_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from kasane.tenants.billing.services import do_billing_sweep

    now = None
    if args.as_of:
        now = datetime.fromisoformat(args.as_of)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)

    async def run() -> list[str]:
        from kasane.core.db import Database

        db = _db(settings)
        # deletion marks are the operator's: the migration URL on PostgreSQL
        operator = Database(settings.migration_database_url)
        try:
            return await do_billing_sweep(db, settings, now, operator_db=operator)
        finally:
            await db.dispose()
            await operator.dispose()

    lines = asyncio.run(run())
    for line in lines:
        print(line)
    print(f"billing sweep: {len(lines)} change(s)")
    return 0


def cmd_reports_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write a tenant's fiscal-year figures as .xlsx or CSV (counts only; audited)."""
    from pathlib import Path

    from kasane.core.audit.services import do_audit
    from kasane.core.japan_time import today_jst
    from kasane.core.reports.export import report_csv, report_xlsx
    from kasane.core.reports.periods import Period
    from kasane.core.reports.report import get_report
    from kasane.tenants.services import TenantResolver

    out = Path(args.out)
    if out.exists():
        print(f"error: {out} exists; an export never overwrites", file=sys.stderr)
        return 2

    async def run() -> bytes | None:
        db = _db(settings)
        try:
            tenant = await TenantResolver(db, settings.base_domain).resolve(args.slug)
            if tenant is None:
                return None
            period, today = Period.fiscal_year(args.fy), today_jst()
            async with db.session(tenant.id) as s:
                report = await get_report(s, tenant, period, today=today, by_month=True)
                await do_audit(
                    s, "cli", "report.export", f"report:{period.slug()}", format=args.format
                )
            return report_xlsx(report) if args.format == "xlsx" else report_csv(report)
        finally:
            await db.dispose()

    body = asyncio.run(run())
    if body is None:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    out.write_bytes(body)
    print(f"wrote {out} ({len(body):,} bytes): {args.slug} FY{args.fy}, {args.format}")
    return 0
