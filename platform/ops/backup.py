"""``kasane backup dump`` and ``kasane backup restore-drill``: a PostgreSQL backup that is
known to restore.

``dump`` writes ``pg_dump --format=custom`` of the database (the admin URL) and beside it
``<file>.counts.json``: every tenant table's row count per tenant at that moment.
``restore-drill`` restores that file into a fresh database on the same server, then checks
what an operator needs after a disaster: every tenant's audit chain verifies, every
tenant's row counts equal the ones recorded at dump time, and a sealed field of each tenant
opens with ``KASANE_MASTER_KEY``. The fresh database is dropped afterwards (``--keep``
keeps it). See ``infra/backup.md`` for continuous archiving (pgBackRest, PITR).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kasane.settings import Settings


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_db(url: str, name: str) -> str:
    base, _, rest = _plain(url).rpartition("/")
    query = ("?" + rest.split("?", 1)[1]) if "?" in rest else ""
    return f"{base}/{name}{query}"


async def tenant_counts(url: str) -> dict[str, dict[str, int]]:
    """{tenant slug: {table: rows}} over every tenant table (as the admin: all tenants)."""
    import kasane.models  # noqa: F401  (every table)
    from kasane.core.db import Base, Database
    from kasane.core.db.model import tenant_tables
    from kasane.tenants.models import Tenant

    db = Database(url)
    try:
        out: dict[str, dict[str, int]] = {}
        async with db.session(all_tenants=True) as s:
            slugs = dict((await s.execute(select(Tenant.id, Tenant.slug))).all())
            for table_name in sorted(tenant_tables(Base.metadata)):
                table = Base.metadata.tables[table_name]
                rows = await s.execute(
                    select(table.c.tenant_id, func.count()).group_by(table.c.tenant_id)
                )
                for tenant_id, n in rows.all():
                    out.setdefault(slugs.get(tenant_id, str(tenant_id)), {})[table_name] = n
        return out
    finally:
        await db.dispose()


def cmd_backup_dump(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out)
    if out.exists():
        print(f"error: {out} exists; a dump never overwrites", file=sys.stderr)
        return 2
    url = _plain(settings.migration_database_url)
    counts = asyncio.run(tenant_counts(settings.migration_database_url))
    subprocess.run(["pg_dump", "--format=custom", f"--file={out}", url], check=True)
    Path(f"{out}.counts.json").write_text(json.dumps(counts, ensure_ascii=False, indent=1))
    total = sum(sum(t.values()) for t in counts.values())
    print(f"wrote {out} and {out}.counts.json: {len(counts)} tenant(s), {total} tenant rows")
    return 0


async def _check_restored(url: str, expected: dict[str, dict[str, int]]) -> list[str]:
    """The problems found in the restored database (none: the drill passed)."""
    from kasane.core.audit.services import verify_chain
    from kasane.core.cases.models import ProgressNote
    from kasane.core.db import Database
    from kasane.core.protection.aead import SealedDataError
    from kasane.core.protection.sealing import unseal
    from kasane.tenants.models import Tenant

    problems: list[str] = []
    restored = await tenant_counts(url)
    for slug in sorted(set(expected) | set(restored)):
        if expected.get(slug, {}) != restored.get(slug, {}):
            differ = {
                t
                for t in set(expected.get(slug, {})) | set(restored.get(slug, {}))
                if expected.get(slug, {}).get(t) != restored.get(slug, {}).get(t)
            }
            problems.append(f"{slug}: row counts differ in {', '.join(sorted(differ))}")
    db = Database(url)
    try:
        async with db.session(all_tenants=True) as s:
            tenants = (await s.execute(select(Tenant.id, Tenant.slug).order_by(Tenant.slug))).all()
        for tenant_id, slug in tenants:
            async with db.session(tenant_id) as s:
                report = await verify_chain(s)
                if not report.ok:
                    problems.append(f"{slug}: audit chain broken at seq {report.broken_at}")
                note = (await s.execute(select(ProgressNote).limit(1))).scalar_one_or_none()
                if note is not None:
                    try:
                        await unseal(s, "progress_notes", note.id, "body", note.body_sealed)
                    except SealedDataError:
                        problems.append(f"{slug}: a sealed field does not open (master key?)")
            print(
                f"{slug}: audit chain {'ok' if report.ok else 'BROKEN'} ({report.events} events), "
                f"{sum(restored.get(slug, {}).values())} rows, "
                f"sealed field {'opened' if note is not None else 'none to open'}"
            )
    finally:
        await db.dispose()
    return problems


def cmd_backup_restore_drill(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.protection.crypto import set_master_secret

    dump = Path(args.dump)
    counts_file = Path(f"{dump}.counts.json")
    if not dump.exists() or not counts_file.exists():
        print(f"error: {dump} and {counts_file} are needed", file=sys.stderr)
        return 2
    if not settings.master_key:
        print("error: KASANE_MASTER_KEY is needed to open sealed fields", file=sys.stderr)
        return 2
    set_master_secret(settings.master_key)
    admin = _plain(settings.migration_database_url)
    name = f"kasane_drill_{uuid.uuid4().hex[:10]}"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = _with_db(admin, name)
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-password", f"--dbname={target}", str(dump)],
            check=True,
        )
        print(f"restored {dump} into {name}")
        problems = asyncio.run(
            _check_restored(
                target.replace("postgresql://", "postgresql+asyncpg://", 1),
                json.loads(counts_file.read_text()),
            )
        )
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print("restore drill: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


def add_backup_commands(sub: Any) -> None:
    group = sub.add_parser("backup", help="PostgreSQL backup and restore drill").add_subparsers(
        dest="backup_command", required=True
    )
    dump = group.add_parser(
        "dump", help="pg_dump the database (KASANE_MIGRATION_DATABASE_URL) with row counts"
    )
    dump.add_argument("out", help="the dump file (never overwritten)")
    dump.set_defaults(func=cmd_backup_dump)
    drill = group.add_parser(
        "restore-drill",
        help="restore a dump into a fresh database; check audit chains, row counts, a sealed field",
    )
    drill.add_argument("dump")
    drill.add_argument("--keep", action="store_true", help="keep the restored database")
    drill.set_defaults(func=cmd_backup_restore_drill)
