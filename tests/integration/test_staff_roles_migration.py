"""Migration 0011 turns each account's role and agency into a membership, on SQLite and on
PostgreSQL (where FORCEd RLS binds the owner the migration runs as), and back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from kasane.core.db import uuid7
from kasane.migrations import downgrade, upgrade
from tests.conftest import _with_db

TENANTS = sa.table(
    "tenants",
    sa.column("id", sa.Uuid()),
    sa.column("slug", sa.String()),
    sa.column("name", sa.String()),
    sa.column("municipality_code", sa.String()),
    sa.column("prefecture", sa.String()),
    sa.column("status", sa.String()),
    sa.column("plugin", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
ACCOUNTS = sa.table(
    "staff_accounts",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("role", sa.String()),
    sa.column("agency_key", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
MEMBERSHIPS = sa.table(
    "staff_memberships",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("agency_key", sa.String()),
)
# (username, old role, old agency) in each of two towns
STAFF = [
    ("admin", "admin", "chiikiryoku"),
    ("supervisor", "supervisor", "chiikiryoku"),
    ("caseworker", "caseworker", "hokatsu"),
    ("domain", "caseworker", None),
]


def _sync(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _seed_at_0010(url: str) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """Two towns with the old one-role accounts: (tenant id, username) → account id."""
    ids: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    engine = sa.create_engine(_sync(url))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for n, slug in enumerate(("old-a", "old-b")):
            tenant_id = uuid7()
            conn.execute(
                TENANTS.insert().values(
                    id=tenant_id,
                    slug=slug,
                    name=slug,
                    municipality_code=f"99000{n}",
                    prefecture="大分県",
                    status="active",
                    plugin="usuki",
                    created_at=now,
                )
            )
            for username, role, agency in STAFF:
                account_id = uuid7()
                ids[(tenant_id, username)] = account_id
                conn.execute(
                    ACCOUNTS.insert().values(
                        tenant_id=tenant_id,
                        id=account_id,
                        username=username,
                        display_name=username,
                        password_hash="x",
                        role=role,
                        agency_key=agency,
                        is_active=True,
                        created_at=now,
                    )
                )
    engine.dispose()
    return ids


def _check_round_trip(url: str) -> None:
    # given two towns' accounts as they were before memberships
    upgrade(url, "0010")
    ids = _seed_at_0010(url)
    # when 0011 runs
    upgrade(url, "0011")
    engine = sa.create_engine(_sync(url))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                MEMBERSHIPS.c.tenant_id,
                MEMBERSHIPS.c.account_id,
                MEMBERSHIPS.c.role,
                MEMBERSHIPS.c.agency_key,
            )
        ).fetchall()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("staff_accounts")}
    # then every account has exactly its old role in its old agency (admin → tenant_admin)
    got = {(r.tenant_id, r.account_id): (r.role, r.agency_key) for r in rows}
    assert len(rows) == len(ids) == 2 * len(STAFF)
    for (tenant_id, username), account_id in ids.items():
        _name, role, agency = next(s for s in STAFF if s[0] == username)
        expected = ("tenant_admin" if role == "admin" else role, agency)
        assert got[(tenant_id, account_id)] == expected, username
    # and the old columns are gone
    assert not {"role", "agency_key"} & columns
    # when it is undone, each account has its role and agency back
    downgrade(url, "0010")
    with engine.connect() as conn:
        back = conn.execute(
            sa.select(ACCOUNTS.c.id, ACCOUNTS.c.role, ACCOUNTS.c.agency_key)
        ).fetchall()
    engine.dispose()
    assert sorted((r.role, r.agency_key or "") for r in back) == sorted(
        (role, agency or "") for _t in range(2) for _u, role, agency in STAFF
    )


def test_0011_moves_roles_into_memberships_on_sqlite(tmp_path: Path) -> None:
    _check_round_trip(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.fixture
def empty_pg(pg_admin_url: str) -> Iterator[str]:
    name = f"kasane_roles_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(pg_admin_url, name)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.postgres
def test_0011_moves_roles_into_memberships_on_postgres_under_rls(empty_pg: str) -> None:
    _check_round_trip(empty_pg)
