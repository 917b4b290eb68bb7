"""PostgreSQL Row-Level Security: the database's own wall between tenants.

What an auditor (or a municipality's security officer) would check: every tenant table has
RLS enabled *and* forced with a tenant policy; the application's role is an ordinary role
that owns nothing and cannot bypass RLS; with no tenant set it sees nothing; with a tenant
set it sees and writes only that tenant's rows; it cannot rewrite the audit log; the tenant
setting does not outlive a transaction (safe behind PgBouncer); the ORM and RLS each refuse a
cross-tenant write on their own; and the migrations go up, down and up again.

Everything here runs against the real server, connected as ``kasane_app`` unless a test says
it uses the administrator (to see the truth behind RLS, or to create a database).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
import psycopg.errors
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from kasane.core.auth.models import StaffAccount
from kasane.core.db import CrossTenantWrite, Database, tenant_tables, utcnow, uuid7
from kasane.core.db.rls import APP_ROLE, OWNER_ROLE
from kasane.migrations import alembic_config, downgrade, upgrade
from kasane.models import metadata

if TYPE_CHECKING:
    from tests.conftest import Env

pytestmark = pytest.mark.postgres

SET_TENANT = "SELECT set_config('app.tenant_id', %s, true)"

# Every table with a tenant_id column in the public schema, with its RLS flags and policies.
TENANT_TABLES_SQL = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       coalesce(array_agg(p.policyname) FILTER (WHERE p.policyname IS NOT NULL), '{}'),
       -- permissive policies OR together: one that ignores app.tenant_id opens the table
       coalesce(bool_and(p.qual LIKE '%app.tenant_id%'
                         AND coalesce(p.with_check, p.qual) LIKE '%app.tenant_id%')
                FILTER (WHERE p.permissive = 'PERMISSIVE'), false)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity
ORDER BY c.relname
"""


@dataclass(frozen=True)
class Pg:
    """The migrated, demo-seeded database: both URLs, the env and the demo tenants' ids."""

    admin_url: str
    app_url: str
    env: Env
    usuki: uuid.UUID
    marugame: uuid.UUID


@pytest.fixture(scope="module")
def pg(pg_env: Env, pg_database: tuple[str, str]) -> Pg:
    admin_url, app_url = pg_database
    with psycopg.connect(admin_url) as conn:
        ids = dict(conn.execute("SELECT slug, id FROM tenants").fetchall())
    return Pg(admin_url, app_url, pg_env, ids["usuki"], ids["marugame"])


@contextmanager
def connect(url: str) -> Iterator[psycopg.Connection]:
    """Autocommit connection: every transaction in the tests is an explicit block."""
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


@contextmanager
def as_tenant(conn: psycopg.Connection, tenant_id: uuid.UUID | None) -> Iterator[None]:
    """A transaction with ``app.tenant_id`` set, always rolled back (shared demo data)."""
    with conn.transaction(force_rollback=True):
        if tenant_id is not None:
            conn.execute(SET_TENANT, (str(tenant_id),))
        yield


def count(conn: psycopg.Connection, sql: str, params: tuple = ()) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def admin_count(pg: Pg, table: str, tenant_id: uuid.UUID | None = None) -> int:
    with connect(pg.admin_url) as conn:
        if tenant_id is None:
            return count(conn, f"SELECT count(*) FROM {table}")
        return count(conn, f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (tenant_id,))


def staff_values(tenant_id: uuid.UUID, username: str) -> dict:
    return {
        "tenant_id": tenant_id,
        "id": uuid7(),
        "username": username,
        "display_name": "侵入者",
        "password_hash": "x",
        "is_active": True,
        "created_at": utcnow(),
    }


INSERT_STAFF = (
    "INSERT INTO staff_accounts (tenant_id, id, username, display_name, password_hash,"
    " is_active, created_at) VALUES (%(tenant_id)s, %(id)s, %(username)s, %(display_name)s,"
    " %(password_hash)s, %(is_active)s, %(created_at)s)"
)


# ------------------------------------------------------------------ catalog and roles


def test_every_tenant_table_has_forced_rls_and_a_tenant_policy(pg: Pg) -> None:
    # given: the migrated database, read through the app role's view of the catalog
    with connect(pg.app_url) as conn:
        # when: every public table with a tenant_id column is listed with its RLS state
        rows = conn.execute(TENANT_TABLES_SQL).fetchall()

    # then: each one has RLS enabled and forced, and policies that all bind to app.tenant_id
    problems = [
        f"{name}: rls={enabled} forced={forced} policies={policies} tenant_bound={bound}"
        for name, enabled, forced, policies, bound in rows
        if not (enabled and forced and policies and bound)
    ]
    assert not problems, "tenant tables without working RLS:\n" + "\n".join(problems)
    # and: the list is exactly the models' tenant tables, so a new one cannot slip through
    in_db = sorted(name for name, *_ in rows)
    assert in_db == tenant_tables(metadata)
    assert {"staff_accounts", "staff_sessions", "audit_events"} <= set(in_db)


def test_app_role_is_ordinary_and_owns_nothing(pg: Pg) -> None:
    # given: the app role's own connection
    with connect(pg.app_url) as conn:
        # when: its attributes and the owners of the database's tables are read
        me, superuser, bypass = conn.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owners = dict(
            conn.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        )
        owned_by_app = count(
            conn,
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s)",
            (APP_ROLE,),
        )

    # then: it is kasane_app, neither superuser nor BYPASSRLS
    assert (me, superuser, bypass) == (APP_ROLE, False, False)
    # and: it owns no table (nor index or sequence); the owner role owns every table
    assert all(owner != APP_ROLE for owner in owners.values()), owners
    assert owned_by_app == 0
    assert set(tenant_tables(metadata)) | {"tenants", "alembic_version"} <= set(owners)
    assert set(owners.values()) == {OWNER_ROLE}, owners


# ------------------------------------------------------------------ reads


def test_no_tenant_set_sees_no_rows(pg: Pg) -> None:
    # given: the administrator (superuser: RLS does not apply) sees both tenants' rows
    assert admin_count(pg, "staff_accounts") >= 6
    assert admin_count(pg, "audit_events") >= 6

    with connect(pg.app_url) as conn:
        # when: the app role reads without setting app.tenant_id (never set on this connection)
        accounts = count(conn, "SELECT count(*) FROM staff_accounts")
        events = count(conn, "SELECT count(*) FROM audit_events")
        # and: with the setting present but empty (what a finished transaction leaves behind)
        with as_tenant(conn, None):
            conn.execute("SELECT set_config('app.tenant_id', '', true)")
            empty = count(conn, "SELECT count(*) FROM staff_accounts")

    # then: nothing is visible
    assert (accounts, events, empty) == (0, 0, 0)


def test_tenant_set_sees_only_its_own_rows(pg: Pg) -> None:
    # given: a marugame account's id, fetched by the administrator
    with connect(pg.admin_url) as conn:
        marugame_account = conn.execute(
            "SELECT id FROM staff_accounts WHERE tenant_id = %s LIMIT 1", (pg.marugame,)
        ).fetchone()[0]
    expected = admin_count(pg, "staff_accounts", pg.usuki)

    with connect(pg.app_url) as conn, as_tenant(conn, pg.usuki):
        # when: the app role reads with app.tenant_id = usuki
        account_tenants = [r[0] for r in conn.execute("SELECT tenant_id FROM staff_accounts")]
        event_tenants = {r[0] for r in conn.execute("SELECT tenant_id FROM audit_events")}
        by_id = conn.execute(
            "SELECT * FROM staff_accounts WHERE id = %s", (marugame_account,)
        ).fetchall()
        by_tenant = count(
            conn, "SELECT count(*) FROM staff_accounts WHERE tenant_id = %s", (pg.marugame,)
        )

    # then: only usuki's rows come back, all of them
    assert set(account_tenants) == {pg.usuki}
    assert len(account_tenants) == expected >= 3
    assert event_tenants == {pg.usuki}
    # and: asking for marugame's rows by id or by tenant finds nothing
    assert by_id == []
    assert by_tenant == 0


def test_malformed_tenant_setting_fails_closed(pg: Pg) -> None:
    # given: app.tenant_id set to something that is not a UUID
    with connect(pg.app_url) as conn:
        # when: a tenant table is read
        # then: the policy's cast fails and the statement errors instead of matching rows
        with (
            pytest.raises(psycopg.errors.InvalidTextRepresentation),
            conn.transaction(force_rollback=True),
        ):
            conn.execute(SET_TENANT, ("usuki' OR true --",))
            conn.execute("SELECT count(*) FROM staff_accounts")


# ------------------------------------------------------------------ writes


def test_insert_for_another_tenant_is_refused(pg: Pg) -> None:
    # given: a connection working for usuki
    with connect(pg.app_url) as conn:
        # when: it inserts a staff account carrying marugame's tenant_id
        # then: the policy's WITH CHECK refuses the row
        with (
            pytest.raises(
                psycopg.errors.InsufficientPrivilege,
                match="new row violates row-level security policy",
            ),
            as_tenant(conn, pg.usuki),
        ):
            conn.execute(INSERT_STAFF, staff_values(pg.marugame, "rls-intruder"))

    # and: marugame has no such account
    with connect(pg.admin_url) as conn:
        assert (
            count(
                conn, "SELECT count(*) FROM staff_accounts WHERE username = %s", ("rls-intruder",)
            )
            == 0
        )


def test_update_and_delete_of_another_tenants_rows_touch_nothing(pg: Pg) -> None:
    # given: marugame's accounts as the administrator sees them
    with connect(pg.admin_url) as conn:
        before = conn.execute(
            "SELECT id, display_name FROM staff_accounts WHERE tenant_id = %s ORDER BY id",
            (pg.marugame,),
        ).fetchall()
    assert before

    with connect(pg.app_url) as conn, as_tenant(conn, pg.usuki):
        # when: usuki's connection updates and deletes marugame's rows
        updated = conn.execute(
            "UPDATE staff_accounts SET display_name = 'hijacked' WHERE tenant_id = %s",
            (pg.marugame,),
        ).rowcount
        deleted = conn.execute("DELETE FROM staff_accounts WHERE id = %s", (before[0][0],)).rowcount

    # then: no row was visible to change
    assert (updated, deleted) == (0, 0)
    with connect(pg.admin_url) as conn:
        after = conn.execute(
            "SELECT id, display_name FROM staff_accounts WHERE tenant_id = %s ORDER BY id",
            (pg.marugame,),
        ).fetchall()
    assert after == before


def test_moving_a_row_to_another_tenant_is_refused(pg: Pg) -> None:
    # given: a connection working for usuki, which can see (and update) its own rows
    with connect(pg.app_url) as conn:
        with as_tenant(conn, pg.usuki):
            own = conn.execute(
                "UPDATE staff_accounts SET display_name = display_name WHERE tenant_id = %s",
                (pg.usuki,),
            ).rowcount
        assert own >= 3

        # when: it moves one of usuki's rows to marugame's tenant_id
        # then: the new row fails WITH CHECK
        with (
            pytest.raises(
                psycopg.errors.InsufficientPrivilege,
                match="new row violates row-level security policy",
            ),
            as_tenant(conn, pg.usuki),
        ):
            conn.execute(
                "UPDATE staff_accounts SET tenant_id = %s WHERE username = 'caseworker'",
                (pg.marugame,),
            )

    # and: usuki still has its accounts
    assert admin_count(pg, "staff_accounts", pg.usuki) == own


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        # the reads waiting for the fold (decision 0024) are as append-only
        "UPDATE audit_reads SET actor = 'forged'",
        "DELETE FROM audit_reads",
        "TRUNCATE audit_reads",
    ],
)
def test_audit_log_is_append_only_for_the_app_role(pg: Pg, statement: str) -> None:
    # given: usuki's connection, which can see usuki's own audit events
    table = "audit_reads" if "audit_reads" in statement else "audit_events"
    before = admin_count(pg, table)
    with connect(pg.app_url) as conn:
        with as_tenant(conn, pg.usuki):
            assert count(conn, "SELECT count(*) FROM audit_events") > 0

        # when: it tries to change or remove them
        # then: the privilege is missing altogether (not merely filtered by RLS)
        with (
            pytest.raises(
                psycopg.errors.InsufficientPrivilege,
                match=f"permission denied for table {table}",
            ),
            as_tenant(conn, pg.usuki),
        ):
            conn.execute(statement)

    assert admin_count(pg, table) == before


# ------------------------------------------------------------------ transaction scope


def test_tenant_setting_ends_with_the_transaction(pg: Pg) -> None:
    # given: one app-role connection (one server backend, as behind PgBouncer)
    with connect(pg.app_url) as conn:
        pid = conn.info.backend_pid

        # when: a transaction sets usuki and commits
        with conn.transaction():
            conn.execute(SET_TENANT, (str(pg.usuki),))
            inside = count(conn, "SELECT count(*) FROM staff_accounts")
        # and: the next transaction on the same connection sets nothing
        with conn.transaction():
            after_commit = count(conn, "SELECT count(*) FROM staff_accounts")
            setting = conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        # and: the same after a rollback
        with conn.transaction(force_rollback=True):
            conn.execute(SET_TENANT, (str(pg.usuki),))
        after_rollback = count(conn, "SELECT count(*) FROM staff_accounts")

        assert conn.info.backend_pid == pid

    # then: the tenant was visible only inside its own transaction
    assert inside >= 3
    assert (after_commit, after_rollback) == (0, 0)
    assert setting == ""


# ------------------------------------------------------------------ the ORM on top


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of ``kind`` in the chain (DBAPIError → .orig → __cause__ ...)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, kind):
            return e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return None


class WriteAcceptedError(AssertionError):
    """Raised after a write that should have been refused (rolls the session back)."""


def test_orm_and_rls_each_refuse_other_tenants(pg: Pg) -> None:
    usuki, marugame = pg.usuki, pg.marugame
    marugame_before = admin_count(pg, "staff_accounts", marugame)
    usuki_expected = admin_count(pg, "staff_accounts", usuki)

    async def scenario(db: Database) -> dict:
        out: dict = {}
        # given: the app's Database on the app-role URL
        assert db.url.startswith("postgresql+asyncpg://kasane_app@")

        # when: a usuki session selects staff accounts
        async with db.session(usuki) as s:
            out["usuki"] = list((await s.execute(select(StaffAccount))).scalars())
            out["setting"] = (
                await s.execute(text("SELECT current_setting('app.tenant_id', true)"))
            ).scalar_one()
        # and: a session without a tenant does the same
        async with db.session(None) as s:
            out["none"] = list((await s.execute(select(StaffAccount))).scalars())
        # and: the ORM criteria are switched off (platform-job option): RLS alone decides
        async with db.session(None, all_tenants=True) as s:
            out["rls_only_none"] = (
                await s.execute(select(func.count()).select_from(StaffAccount))
            ).scalar_one()
        async with db.session(usuki, all_tenants=True) as s:
            out["rls_only_usuki"] = set((await s.execute(select(StaffAccount.tenant_id))).scalars())

        # when: a usuki session adds an account carrying marugame's tenant_id
        # then: the ORM refuses the flush before any SQL is sent
        with pytest.raises(CrossTenantWrite):
            async with db.session(usuki) as s:
                s.add(StaffAccount(**staff_values(marugame, "orm-intruder")))
                await s.flush()
                raise WriteAcceptedError("the ORM flushed a marugame row in a usuki session")

        # when: the ORM guard is bypassed with a Core INSERT (no flush, no criteria)
        # then: PostgreSQL refuses it (RLS is the second wall)
        with pytest.raises(DBAPIError) as refused:
            async with db.session(usuki) as s:
                await s.execute(
                    insert(StaffAccount.__table__).values(**staff_values(marugame, "core-intruder"))
                )
                raise WriteAcceptedError("PostgreSQL accepted a marugame row for usuki")
        out["refused"] = refused.value

        # when: after a usuki session, a plain connection from the same pool (no session
        # events, so nothing sets app.tenant_id) asks what is left on the server connection
        async with db.session(usuki) as s:
            pid = (await s.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with db.engine.connect() as conn:
            out["same_backend"] = (await conn.scalar(text("SELECT pg_backend_pid()"))) == pid
            out["leftover"] = await conn.scalar(
                text("SELECT current_setting('app.tenant_id', true)")
            )
            out["leftover_rows"] = await conn.scalar(text("SELECT count(*) FROM staff_accounts"))

        # when: the same ORM runs as the administrator, whom RLS does not restrict
        admin = Database(pg.env.settings.migration_database_url)
        try:
            async with admin.session(usuki) as s:
                out["orm_only_usuki"] = set(
                    (await s.execute(select(StaffAccount.tenant_id))).scalars()
                )
            async with admin.session(None) as s:
                out["orm_only_none"] = list((await s.execute(select(StaffAccount))).scalars())
        finally:
            await admin.dispose()
        return out

    out = pg.env.run(scenario)

    # then: the usuki session saw exactly usuki's accounts, with app.tenant_id set to usuki
    assert {a.tenant_id for a in out["usuki"]} == {usuki}
    assert len(out["usuki"]) == usuki_expected >= 3
    assert {"admin", "supervisor", "caseworker"} <= {a.username for a in out["usuki"]}
    assert out["setting"] == str(usuki)
    # and: no tenant → no rows, through the ORM and through RLS alone
    assert out["none"] == []
    assert out["rls_only_none"] == 0
    assert out["rls_only_usuki"] == {usuki}
    # and: the Core insert failed on the row-level security policy
    cause = _find(out["refused"], asyncpg.exceptions.InsufficientPrivilegeError)
    assert cause is not None, repr(out["refused"])
    assert "row-level security" in str(cause)
    # and: marugame gained no account
    assert admin_count(pg, "staff_accounts", marugame) == marugame_before
    # and: the ORM's tenant setting did not outlive its transaction on the pooled connection
    assert out["same_backend"]
    assert (out["leftover"] or "", out["leftover_rows"]) == ("", 0)
    # and: the ORM criteria alone (RLS bypassed by the superuser) also confine each session
    assert out["orm_only_usuki"] == {usuki}
    assert out["orm_only_none"] == []


# ------------------------------------------------------------------ migrations


def _other_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _rls_state(conn: psycopg.Connection) -> dict[str, tuple[bool, bool, int]]:
    return {
        name: (enabled, forced, len(policies))
        for name, enabled, forced, policies, _bound in conn.execute(TENANT_TABLES_SQL)
    }


def test_migrations_upgrade_downgrade_upgrade(pg_admin_url: str) -> None:
    # given: a second, empty database (created and dropped here, as the administrator)
    name = f"kasane_rt_{uuid.uuid4().hex[:10]}"
    url = _other_db(pg_admin_url, name)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    protected = {t: (True, True, 1) for t in tenant_tables(metadata)}
    with connect(pg_admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        # when: upgrade, downgrade to base, upgrade again
        upgrade(url)
        with connect(url) as conn:
            first = (
                _rls_state(conn),
                conn.execute("SELECT version_num FROM alembic_version").fetchall(),
            )
        downgrade(url, "base")
        with connect(url) as conn:
            left = {
                r[0]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
        upgrade(url)
        with connect(url) as conn:
            second = (
                _rls_state(conn),
                conn.execute("SELECT version_num FROM alembic_version").fetchall(),
            )

        # then: each upgrade reaches head with every tenant table protected
        assert first == (protected, [(head,)])
        assert second == first
        # and: the downgrade removed every table but Alembic's own
        assert left <= {"alembic_version"}
    finally:
        with connect(pg_admin_url) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# ------------------------------------------------------------------ the tenants table


@pytest.mark.parametrize(
    "column, value",
    [
        ("slug", "hijacked"),
        ("plugin", "tests.plugins.broken_plugin"),
        ("municipality_code", "000000"),
        ("prefecture", "東京都"),
        ("deletion_marked_at", "2000-01-01T00:00:00Z"),
        ("id", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_the_app_role_cannot_reroute_or_rebind_a_tenant(pg: Pg, column: str, value: str) -> None:
    # given a connection serving usuki (the only row it may update at all)
    with connect(pg.app_url) as conn, as_tenant(conn, pg.usuki):
        # when it tries to change a routing or lifecycle column, even of its own row
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"UPDATE tenants SET {column} = %s WHERE id = %s", (value, pg.usuki))


def test_the_app_role_changes_only_the_tenant_it_serves(pg: Pg) -> None:
    with connect(pg.app_url) as conn:
        with as_tenant(conn, pg.usuki):
            # another town's status and billing columns are out of reach (no row visible)
            other = conn.execute(
                "UPDATE tenants SET status = 'cancelled', delete_after = now() WHERE id = %s",
                (pg.marugame,),
            ).rowcount
            # its own billing state is the app's to keep (webhooks, the sweep)
            own = conn.execute(
                "UPDATE tenants SET status = status, plan = plan WHERE id = %s", (pg.usuki,)
            ).rowcount
        with as_tenant(conn, None):
            unbound = conn.execute("UPDATE tenants SET status = status").rowcount
            # every tenant stays readable: the host → tenant lookup needs it
            visible = count(conn, "SELECT count(*) FROM tenants")
        with (
            conn.transaction(force_rollback=True),
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute("DELETE FROM tenants WHERE id = %s", (pg.usuki,))
    assert (other, own, unbound) == (0, 1, 0)
    assert visible >= 2
    with connect(pg.admin_url) as conn:
        status = conn.execute("SELECT status FROM tenants WHERE id = %s", (pg.marugame,))
        assert status.fetchone()[0] != "cancelled"  # type: ignore[index]
