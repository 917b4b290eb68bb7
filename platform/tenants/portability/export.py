"""Write a tenant's full export: every tenant table as JSON Lines, a manifest, the sealed key.

Sealed fields stay ciphertext; the tenant's data key goes into key.json sealed with a fresh
export key (see :mod:`.export_key`), which the caller shows once and nobody stores. The
export is audited (``tenant.export``) before it is read, so it contains its own record.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import Database, utcnow, uuid7

# The wrap is private to crypto on purpose; export and import are the one other place that
# must handle a raw data key (to re-wrap it for another instance).
from kasane.core.protection.crypto import _unwrap
from kasane.tenants.models import Tenant
from kasane.tenants.portability.codec import dumps, encode_row
from kasane.tenants.portability.export_key import (
    format_export_key,
    new_export_key,
    seal_key_file,
)
from kasane.tenants.portability.layout import (
    BILLING_ONLY_COLUMNS,
    FORMAT,
    FORMAT_VERSION,
    KEY_FILE,
    KEY_TABLE,
    MANIFEST,
    TABLES_DIR,
    TENANT_FILE,
    metadata,
    schema_version,
    sha256_of,
    table_file,
    table_files,
)


class ExportTargetInvalid(ValueError):
    """The export directory exists and is not empty (an export never overwrites)."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    export_key: str  # shown once to whoever exported; never stored
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(int(t["rows"]) for t in self.manifest["tables"])


def _private_file(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # the export holds personal data


async def _write_table(s: AsyncSession, table: Table, tenant_id: uuid.UUID, path: Path) -> int:
    stmt = select(table).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key.columns)
    rows = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        result = await s.stream(stmt)
        async for row in result.mappings():
            f.write(dumps(encode_row(table, row)) + "\n")
            rows += 1
    path.chmod(0o600)
    return rows


async def _key_payload(s: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The tenant_keys row without its wrapped key, and the data key itself (base64)."""
    table = metadata.tables[KEY_TABLE]
    row = (await s.execute(select(table).where(table.c.tenant_id == tenant_id))).mappings().first()
    if row is None:  # nothing was ever sealed for this tenant
        return {"row": None, "data_key": None}
    data_key = None
    if row["wrapped_key"] and row["destroyed_at"] is None:
        data_key = base64.b64encode(_unwrap(tenant_id, row["wrapped_key"])).decode("ascii")
    encoded = encode_row(table, row)
    del encoded["wrapped_key"]  # only opens under this instance's master key
    return {"row": encoded, "data_key": data_key}


def _check_target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportTargetInvalid(f"{directory} exists and is not an empty directory")


async def _snapshot(s: AsyncSession) -> None:
    """Read every table from one snapshot, so a case added meanwhile is in all files or none."""
    if s.bind.dialect.name == "postgresql":
        await s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # SQLite's driver opens no transaction for reads; a deferred one holds the snapshot
        # (WAL: writers are not blocked by it).
        await s.execute(text("BEGIN"))


async def do_export_tenant(
    db: Database,
    tenant_id: uuid.UUID,
    directory: Path,
    actor: str,
    export_key: bytes | None = None,
) -> ExportResult:
    """Export one tenant into ``directory`` (created; must not hold anything yet).

    Args:
        actor: who asked, for the audit log (``account:<id>`` or ``cli``).
        export_key: the key to seal key.json with; a fresh random one when None (the web
            page makes it first, to show it before the download).

    Raises:
        LookupError: no such tenant.
        ExportTargetInvalid: the directory is not empty.
    """
    _check_target(directory)
    export_id = uuid7()
    async with db.session(tenant_id) as s:
        if await s.get(Tenant, tenant_id) is None:
            raise LookupError(tenant_id)
        await do_audit(s, actor, "tenant.export", f"tenant:{tenant_id}", export=str(export_id))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return await _write_export(db, tenant_id, directory, actor, export_key, export_id)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # no half export left behind
        raise


async def _write_export(
    db: Database,
    tenant_id: uuid.UUID,
    directory: Path,
    actor: str,
    export_key: bytes | None,
    export_id: uuid.UUID,
) -> ExportResult:
    exported_at = utcnow()
    (directory / TABLES_DIR).mkdir(mode=0o700)
    tables: list[dict[str, Any]] = []
    async with db.session(tenant_id) as s:
        await _snapshot(s)
        tenants = metadata.tables["tenants"]
        row = (await s.execute(select(tenants).where(tenants.c.id == tenant_id))).mappings().one()
        tenant = {
            k: v for k, v in encode_row(tenants, row).items() if k not in BILLING_ONLY_COLUMNS
        }
        _private_file(directory / TENANT_FILE, dumps(tenant) + "\n")
        for table in table_files():
            path = directory / table_file(table.name)
            rows = await _write_table(s, table, tenant_id, path)
            tables.append(
                {
                    "name": table.name,
                    "file": table_file(table.name),
                    "rows": rows,
                    "sha256": sha256_of(path),
                }
            )
        key_payload = await _key_payload(s, tenant_id)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": schema_version(),
        "export_id": str(export_id),
        "exported_at": exported_at.isoformat(),
        "exported_by": actor,
        "tenant": {
            "id": tenant["id"],
            "slug": tenant["slug"],
            "name": tenant["name"],
            "municipality_code": tenant["municipality_code"],
            "file": TENANT_FILE,
            "sha256": sha256_of(directory / TENANT_FILE),
        },
        "key": {"file": KEY_FILE, "sealed_with": "the export key (not stored)"},
        "tables": tables,
    }
    _private_file(directory / MANIFEST, dumps(manifest) + "\n")
    key = export_key or new_export_key()
    key_file = seal_key_file(key, sha256_of(directory / MANIFEST), key_payload)
    _private_file(directory / KEY_FILE, dumps(key_file) + "\n")
    return ExportResult(directory, format_export_key(key), manifest)


def zip_export(directory: Path, target: Path) -> None:
    """Zip an export directory: the same files at the zip's root."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            z.write(path, path.relative_to(directory).as_posix())
    target.chmod(0o600)


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A private temporary directory, removed with everything in it afterwards."""
    path = Path(tempfile.mkdtemp(prefix="kasane-export-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def do_export_tenant_zip(
    db: Database, tenant_id: uuid.UUID, target: Path, actor: str, export_key: bytes | None = None
) -> ExportResult:
    """The same export as one zip file at ``target``."""
    with scratch_directory() as scratch:
        result = await do_export_tenant(db, tenant_id, scratch / "export", actor, export_key)
        zip_export(result.directory, target)
    return ExportResult(target, result.export_key, result.manifest)
