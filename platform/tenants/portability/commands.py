"""``kasane tenants export|import|delete`` and ``kasane billing offboard``.

Export and import use the app's connection (``KASANE_DATABASE_URL``; on PostgreSQL the app
role, under RLS). Deletion uses the migration connection (``KASANE_MIGRATION_DATABASE_URL``):
the app role may not delete audit rows or tenants, by design.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from kasane.settings import Settings

T = TypeVar("T")
KEY_ENV = "KASANE_EXPORT_KEY"


def _run(url: str, settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from kasane.core.db import Database
    from kasane.core.protection.crypto import set_master_secret

    set_master_secret(settings.master_key)

    async def go() -> T:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


async def _tenant_id(db: Any, slug: str) -> Any:
    from kasane.tenants.services import find_tenant_by_slug

    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, slug)
    return tenant.id if tenant else None


def cmd_tenants_export(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.portability.export import (
        ExportTargetInvalid,
        do_export_tenant,
        do_export_tenant_zip,
    )

    target = Path(args.target)
    as_zip = target.suffix == ".zip"
    if as_zip and target.exists():
        print(f"error: {target} exists; an export never overwrites", file=sys.stderr)
        return 2

    async def work(db: Any) -> Any:
        tenant_id = await _tenant_id(db, args.slug)
        if tenant_id is None:
            return None
        export = do_export_tenant_zip if as_zip else do_export_tenant
        return await export(db, tenant_id, target, "cli")

    try:
        result = _run(settings.database_url, settings, work)
    except ExportTargetInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result is None:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    print(
        f"exported {args.slug} to {target}: {len(result.manifest['tables'])} tables, "
        f"{result.rows} rows, schema {result.manifest['schema_version']}"
    )
    print("export key (shown once, not stored; the import needs it):")
    print(result.export_key)
    return 0


def _export_key(args: argparse.Namespace) -> str:
    if args.key:
        return str(args.key)
    if key := os.environ.get(KEY_ENV):
        return key
    if sys.stdin.isatty():
        return getpass.getpass("export key: ")
    return ""


def cmd_tenants_import(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.portability.importing import ImportRefused, do_import_tenant

    key = _export_key(args)
    if not key:
        print(f"error: give the export key with --key or ${KEY_ENV}", file=sys.stderr)
        return 2

    async def work(db: Any) -> Any:
        return await do_import_tenant(db, Path(args.source), key, status=args.status)

    try:
        result = _run(settings.database_url, settings, work)
    except ImportRefused as exc:
        print(f"error: nothing imported: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {result.slug} ({result.tenant_id}): {result.rows} rows")
    return 0


def cmd_tenants_delete(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.portability.deletion import LEDGER, do_delete_tenant

    if not args.yes:
        print(
            f"error: deleting {args.slug} removes all its data for good; add --yes to do it",
            file=sys.stderr,
        )
        return 2

    async def work(db: Any) -> Any:
        tenant_id = await _tenant_id(db, args.slug)
        if tenant_id is None:
            return None
        return await do_delete_tenant(db, tenant_id, via="cli", ledger=settings.var_dir / LEDGER)

    report = _run(settings.migration_database_url, settings, work)
    if report is None:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    print(f"deleted {report.slug} ({report.tenant_id}): {report.rows} rows")
    return 0


def cmd_billing_offboard(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.portability.deletion import LEDGER, do_offboard

    now = None
    if args.as_of:
        now = datetime.fromisoformat(args.as_of)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)

    async def work(db: Any) -> list[str]:
        return await do_offboard(db, settings.var_dir / LEDGER, now, dry_run=args.dry_run)

    lines = _run(settings.migration_database_url, settings, work)
    for line in lines:
        print(line)
    print(f"offboarding: {len(lines)} tenant(s)")
    return 0


def add_tenant_commands(tenants: Any) -> None:
    """``export``, ``import`` and ``delete`` under ``kasane tenants``."""
    export = tenants.add_parser("export", help="full export: a directory, or DIR.zip")
    export.add_argument("slug")
    export.add_argument("target", help="a new directory, or a path ending in .zip")
    export.set_defaults(func=cmd_tenants_export)
    imp = tenants.add_parser("import", help="import an export (directory or zip)")
    imp.add_argument("source")
    imp.add_argument("--key", help=f"the export key (or ${KEY_ENV}, or asked for)")
    imp.add_argument("--status", default="trial", help="the tenant's status here (trial)")
    imp.set_defaults(func=cmd_tenants_import)
    delete = tenants.add_parser("delete", help="delete a tenant and all its data")
    delete.add_argument("slug")
    delete.add_argument("--yes", action="store_true", help="yes, delete it for good")
    delete.set_defaults(func=cmd_tenants_delete)


def add_billing_commands(billing: Any) -> None:
    """``offboard`` under ``kasane billing``."""
    offboard = billing.add_parser(
        "offboard",
        help="delete the tenants the sweep marked for deletion (KASANE_MIGRATION_DATABASE_URL)",
    )
    offboard.add_argument("--as-of", help="pretend it is this ISO date/time (UTC)")
    offboard.add_argument("--dry-run", action="store_true", help="only list them")
    offboard.set_defaults(func=cmd_billing_offboard)
