"""PostgreSQL: the central site's role ``kasane_central`` reads the released tables and the
budget ledger and nothing else; the app role appends to them and never rewrites them.

Run against the migrated, demo-seeded database (the demo released last fiscal year and last
month), connected as each role for real.
"""

from __future__ import annotations

import psycopg
import psycopg.errors
import pytest
from litestar.testing import TestClient

from kasane.app import create_app
from kasane.core.db import tenant_tables
from kasane.core.db.rls import APP_ROLE, CENTRAL_ROLE, RELEASED_TABLES
from kasane.models import metadata
from tests.conftest import Env, login
from tests.integration.test_central_site import DEMO_FY

pytestmark = pytest.mark.postgres


def _as(url: str, role: str) -> str:
    return url.replace(f"{APP_ROLE}@", f"{role}@")


@pytest.fixture(scope="module")
def urls(pg_env: Env, pg_database: tuple[str, str]) -> tuple[str, str, str]:
    admin, app = pg_database
    return admin, app, _as(app, CENTRAL_ROLE)


def _refused(url: str, sql: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute(sql)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def test_the_central_role_is_refused_on_every_tenant_table(urls: tuple[str, str, str]) -> None:
    _admin, _app, central = urls
    # given the central role's own connection: an ordinary role
    with psycopg.connect(central, autocommit=True) as conn:
        me, superuser, bypass = conn.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()  # type: ignore[misc]
        owned = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ).fetchone()
    assert (me, superuser, bypass, owned) == (CENTRAL_ROLE, False, False, (0,))
    # when it reads cases, people, or any other tenant table — or the tenants themselves
    tables = [*tenant_tables(metadata), "tenants"]
    assert {"cases", "people", "consultations", "audit_events"} <= set(tables)
    refused = {t: _refused(central, f"SELECT * FROM {t} LIMIT 1") for t in tables}
    # then every one is refused by the database: no privilege at all (not merely no rows)
    assert [t for t, ok in refused.items() if not ok] == []


def test_the_central_role_reads_only_and_the_app_role_only_appends(
    urls: tuple[str, str, str],
) -> None:
    _admin, app, central = urls
    # the central role reads the released tables and the ledger, with the demo's releases
    with psycopg.connect(central, autocommit=True) as conn:
        for table in RELEASED_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0  # type: ignore[index]
    for sql in (
        "UPDATE central_released_cells SET value = 99",
        "DELETE FROM central_budget_ledger",
        "INSERT INTO central_budget_ledger (id) VALUES (gen_random_uuid())",
        "TRUNCATE central_releases",
    ):
        # it changes nothing
        assert _refused(central, sql), sql
        # and the app role, which appends releases, cannot rewrite or remove one either
        if not sql.startswith("INSERT"):
            assert _refused(app, sql), sql


def test_the_central_site_works_through_its_own_role(pg_env: Env) -> None:
    # given the central site connected as kasane_central (the pg_env's central URL)
    assert CENTRAL_ROLE in pg_env.settings.central_url
    with TestClient(
        create_app(pg_env.settings), base_url=f"http://central.{pg_env.settings.base_domain}"
    ) as client:
        # when the prefecture analyst signs in and compares the fiscal year the demo
        # released (last fiscal year, as the demo chooses it), downloads the CSV, sees the budget
        assert login(client, "kagawa").status_code == 302
        page = client.get(f"/compare?release={DEMO_FY.slug()}")
        csv = client.get(f"/compare.csv?release={DEMO_FY.slug()}")
        budget = client.get("/budget")
    # then all of it is served from the released tables alone
    assert page.status_code == csv.status_code == budget.status_code == 200
    assert "丸亀市" in page.text and "臼杵市" not in page.text
