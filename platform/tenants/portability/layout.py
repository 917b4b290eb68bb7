"""The export's layout: file names, which tables it holds and the schema version it fits.

An export is a directory (or a zip of the same files at its root)::

    manifest.json          format, versions, tenant, per table {name, file, rows, sha256}
    tenant.json            the platform ``tenants`` row (without the billing relationship)
    key.json               the tenant's data key, sealed with the export key
    tables/<table>.jsonl   one JSON object per row, ordered by primary key

The tables are every table with a ``tenant_id`` column, read from the metadata, so a new
tenant table is exported (and imported, and deleted on offboarding) without a change here.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Table

from kasane.migrations import alembic_config
from kasane.models import metadata

FORMAT = "kasane-tenant-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TENANT_FILE = "tenant.json"
KEY_FILE = "key.json"
TABLES_DIR = "tables"
# The data key's row: it travels in key.json (sealed with the export key), never as a table
# file, because its wrapped key only opens under the exporting instance's master key.
KEY_TABLE = "tenant_keys"
# The tenants row without the billing relationship with this operator: Stripe's references
# mean nothing (or the wrong customer) on another instance.
BILLING_ONLY_COLUMNS = (
    "stripe_customer_id",
    "stripe_subscription_id",
    "billing_event_at",
    "billing_method",
)


def tenant_tables() -> list[Table]:
    """Every tenant-owned table, parents before children (insert order)."""
    return [t for t in metadata.sorted_tables if "tenant_id" in t.c]


def table_files() -> list[Table]:
    """The tenant tables written to ``tables/`` (all but the key's)."""
    return [t for t in tenant_tables() if t.name != KEY_TABLE]


def table_file(name: str) -> str:
    return f"{TABLES_DIR}/{name}.jsonl"


@cache
def schema_version() -> str:
    """This instance's schema: its alembic head revision (heads joined by ``+`` if several)."""
    return "+".join(sorted(ScriptDirectory.from_config(alembic_config("")).get_heads()))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
