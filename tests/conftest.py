"""Shared fixtures. Every fixture set has two tenants (usuki, marugame).

Backends: ``sqlite_env`` (always) and ``pg_env`` (PostgreSQL; skipped when unreachable,
a failure when ``CI=true``). Each environment is migrated from scratch by the tests and
thrown away afterwards.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import TestClient

from kasane.app import create_app
from kasane.core.db import Database
from kasane.core.protection.crypto import set_master_secret
from kasane.migrations import upgrade
from kasane.settings import Settings, load_settings
from kasane.tenants.demo import DEMO_PASSWORD, seed_demo

REPO = Path(__file__).resolve().parent.parent
# Python clients cannot resolve *.localhost here and httpx keeps no cookies for dotless
# hosts, so the in-process tests use their own base domain (the browser tests use localhost).
TEST_DOMAIN = "kasane.test"
# One master key for every test environment: the process-wide key cache must agree with
# whichever app or Env a test uses.
TEST_MASTER_KEY = "kasane-test-master-key"
set_master_secret(TEST_MASTER_KEY)
PG_URL = os.environ.get("KASANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Env:
    """A migrated, demo-seeded database and the settings that point at it."""

    settings: Settings
    backend: str

    def run(self, coro_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run ``coro_fn(db, *args)`` on a fresh Database (own event loop)."""

        async def go():  # type: ignore[no-untyped-def]
            db = Database(self.settings.database_url)
            try:
                return await coro_fn(db, *args, **kwargs)
            finally:
                await db.dispose()

        return asyncio.run(go())

    def tenant_id(self, slug: str) -> uuid.UUID:
        from kasane.tenants.services import get_tenant_by_slug

        async def go(db: Database) -> uuid.UUID:
            async with db.session() as s:
                t = await get_tenant_by_slug(s, slug)
                assert t is not None
                return t.id

        return self.run(go)


async def seed_all(db: Database, settings: Settings) -> list[str]:
    """The demo, with the central accounts in the central site's database when it has one
    (PostgreSQL: the role kasane_central)."""
    central = Database(settings.central_url) if settings.central_database_url else None
    try:
        return await seed_demo(db, central)
    finally:
        if central is not None:
            await central.dispose()


def _make_sqlite_env(path: Path) -> Env:
    path.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        database_url=f"sqlite:///{path / 'kasane.db'}",
        var_dir=path,
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    upgrade(settings.migration_database_url)
    env = Env(settings, "sqlite")
    env.run(seed_all, settings)
    return env


@pytest.fixture(scope="session")
def sqlite_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("sqlite"))


# ------------------------------------------------------------------ PostgreSQL


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not reachable" for the skip decision
        return str(exc)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at {PG_URL} under CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {problem}")
    return PG_URL


def _with_db(url: str, dbname: str, user: str | None = None) -> str:
    base = re.sub(r"/[^/?]*(\?|$)", f"/{dbname}\\1", url.split("://", 1)[1], count=1)
    if user:
        base = re.sub(r"^[^@/]*@", f"{user}@", base) if "@" in base else f"{user}@{base}"
    return "postgresql://" + base


@pytest.fixture(scope="session")
def pg_database(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """A fresh database: (admin URL, app-role URL). Dropped at the end of the session (the
    central role's URL is the app's with the user ``kasane_central``)."""
    import psycopg

    name = f"kasane_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = _with_db(pg_admin_url, name)
    try:
        yield admin, _with_db(pg_admin_url, name, user="kasane_app")
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def pg_env(pg_database: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Env:
    """Migrated as the admin (objects owned by kasane_owner), used as the app role."""
    admin, app = pg_database
    var = tmp_path_factory.mktemp("pg")
    upgrade(admin)
    settings = load_settings(
        database_url=app,
        migration_database_url=admin,
        central_database_url=app.replace("kasane_app@", "kasane_central@"),
        var_dir=var,
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    env = Env(settings, "postgres")
    env.run(seed_all, settings)
    return env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_env(request: pytest.FixtureRequest) -> Env:
    """Both backends: the same test runs on SQLite and on PostgreSQL as the app role."""
    return request.getfixturevalue("sqlite_env" if request.param == "sqlite" else "pg_env")


# ------------------------------------------------------------------ web clients


def tenant_client(env: Env, slug: str | None) -> TestClient:
    """A client whose requests carry the tenant's Host (``usuki.kasane.test``)."""
    domain = env.settings.base_domain
    host = f"{slug}.{domain}" if slug else domain
    return TestClient(create_app(env.settings), base_url=f"http://{host}")


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    """Log in through the real form (CSRF included); returns the POST response."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "_csrf_token": csrf_of(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )


@pytest.fixture
def usuki(sqlite_env: Env) -> Iterator[TestClient]:
    with tenant_client(sqlite_env, "usuki") as c:
        yield c


@pytest.fixture
def marugame(sqlite_env: Env) -> Iterator[TestClient]:
    with tenant_client(sqlite_env, "marugame") as c:
        yield c
