"""Export → import → deletion on PostgreSQL, with the roles production uses.

The export and the import run as the app role ``kasane_app`` (under RLS); the comparison
reads both databases as the administrator, so RLS hides nothing from it; the deletion needs
the administrator (the app role may not delete audit rows or tenants) and is refused as the
app role without changing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from kasane.settings import async_url
from kasane.tenants.portability.deletion import do_delete_tenant
from tests.conftest import Env, _with_db
from tests.integration.test_portability import (
    SLUGS,
    a_note,
    assert_same_records,
    chain_ok,
    counts,
    export_all,
    fresh_env,
    import_all,
    open_note,
    tenant_row,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def throwaway(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """An empty database of its own: (admin URL, app-role URL); dropped afterwards."""
    name = f"kasane_port_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(pg_admin_url, name), _with_db(pg_admin_url, name, user="kasane_app")
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_export_import_and_deletion_as_the_production_roles(
    pg_env: Env,
    pg_database: tuple[str, str],
    throwaway: tuple[str, str],
    tmp_path: Path,
) -> None:
    source_admin = async_url(pg_database[0])
    target_admin, target_app = throwaway
    # given both towns exported as the app role and imported, as the app role, into a
    # fresh database migrated by the administrator
    exports = export_all(pg_env, tmp_path / "exports")
    target = fresh_env(tmp_path / "target", database_url=target_app, admin_url=target_admin)
    assert target.settings.database_url.startswith("postgresql+asyncpg://kasane_app@")
    left_out = import_all(target, exports)
    admin = async_url(target_admin)
    # then every tenant table matches record by record, sealed fields open, chains verify
    ids = {slug: pg_env.tenant_id(slug) for slug in SLUGS}
    for slug, tenant_id in ids.items():
        assert assert_same_records(source_admin, admin, tenant_id, exports[slug], left_out) > 1000
        note, token = a_note(admin, tenant_id)
        assert open_note(target.settings.database_url, tenant_id, note, token)
        assert chain_ok(target.settings.database_url, tenant_id)
    usuki, marugame = ids["usuki"], ids["marugame"]
    usuki_before, marugame_before = counts(admin, usuki), counts(admin, marugame)
    # the app role cannot delete a tenant: the database refuses, nothing changes
    with pytest.raises(DBAPIError):
        target.run(do_delete_tenant, usuki)
    assert counts(admin, usuki) == usuki_before
    # the administrator deletes usuki: nothing of it remains, marugame is whole
    admin_env = Env(replace(target.settings, database_url=admin), "postgres")
    admin_env.run(do_delete_tenant, usuki, ledger=tmp_path / "offboarding.jsonl")
    assert set(counts(admin, usuki).values()) == {0}
    assert tenant_row(admin, usuki) is None
    assert counts(admin, marugame) == marugame_before
    assert chain_ok(target.settings.database_url, marugame)
