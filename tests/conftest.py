"""Shared fixtures. Every fixture set has two tenants (usuki, marugame).

Backends: ``sqlite_env`` (always) and ``pg_env`` (PostgreSQL; skipped when unreachable,
a failure when ``CI=true``). Each is thrown away afterwards.

Speed (``make test`` runs ``pytest -n 2 --dist loadfile``): the demo database is migrated
and seeded once — a SQLite file every environment copies, a PostgreSQL template every
worker's database is created from (one worker builds each, under a file lock), both kept
for the next run while the code and the day are the same (see "the seed cache");
passwords are hashed at Argon2's minimal cost (tests only); every client of one
environment talks to one app (see :func:`tenant_client`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.pool import NullPool

from kasane.app import KasaneApp, create_app
from kasane.core.auth.passwords import use_fast_hashing_for_tests
from kasane.core.db import Database
from kasane.core.protection.crypto import set_master_secret
from kasane.migrations import upgrade
from kasane.settings import Settings, load_settings
from kasane.tenants.demo import DEMO_PASSWORD, seed_demo
from kasane.tenants.services import TenantResolver

REPO = Path(__file__).resolve().parent.parent
# Python clients cannot resolve *.localhost here and httpx keeps no cookies for dotless
# hosts, so the in-process tests use their own base domain (the browser tests use localhost).
TEST_DOMAIN = "kasane.test"
# One master key for every test environment: the process-wide key cache must agree with
# whichever app or Env a test uses.
TEST_MASTER_KEY = "kasane-test-master-key"
set_master_secret(TEST_MASTER_KEY)
# Argon2 at its minimal cost: the suite hashes and checks passwords thousands of times.
use_fast_hashing_for_tests()
PG_URL = os.environ.get("KASANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Env:
    """A migrated, demo-seeded database and the settings that point at it."""

    settings: Settings
    backend: str

    def run(self, coro_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run ``coro_fn(db, *args)`` on a fresh Database (own event loop), with this
        environment's master secret (process-wide: an app made by an earlier test may have
        set its own)."""
        set_master_secret(self.settings.master_key)
        return self.run_with_current_secret(coro_fn, *args, **kwargs)

    def run_with_current_secret(self, coro_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """:meth:`run` without touching the master secret (tests of the secret itself)."""

        async def go():  # type: ignore[no-untyped-def]
            db = Database(self.settings.database_url)
            try:
                return await coro_fn(db, *args, **kwargs)
            finally:
                await db.dispose()

        return asyncio.run(go())

    def tenant_id(self, slug: str) -> uuid.UUID:
        from kasane.tenants.services import find_tenant_by_slug

        async def go(db: Database) -> uuid.UUID:
            async with db.session() as s:
                t = await find_tenant_by_slug(s, slug)
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


def _sqlite_settings(path: Path) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{path / 'kasane.db'}",
        var_dir=path,
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )


def _seed_sqlite(path: Path) -> Env:
    """Migrate and seed a new SQLite database under ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    settings = _sqlite_settings(path)
    upgrade(settings.migration_database_url)
    env = Env(settings, "sqlite")
    env.run(seed_all, settings)
    return env


# The run's seeded SQLite file (set by the session fixture ``_shared_root``; every worker
# of one run shares it).
SEEDED_SQLITE: list[Path] = []


# ------------------------------------------------------------------ the seed cache
#
# The seeded databases depend only on the code and the day (the demo dates its records from
# today), so a run keeps them for the next one: `var/test-seeds/<key>/kasane.db` and a
# PostgreSQL database `kasane_seed_<key>`, where the key hashes every source file of the app,
# the plugins and themes, this file and pyproject.toml, and today's date in UTC and in Japan.
# Any change to those makes a new key, and the previous seeds are removed. The browser tests'
# run in `make test` reuses what the run before it built. KASANE_TEST_FRESH_SEED=1 ignores it.
SEED_CACHE = REPO / "var" / "test-seeds"
SEED_INPUTS = ("platform", "plugins", "themes")


@functools.cache  # once per process: a run that crosses midnight keeps the key it began with
def _seed_key() -> str:
    """What the seeded databases are built from, hashed (see above)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    digest = hashlib.sha256()
    now = datetime.now(UTC)
    digest.update(f"{now.date()} {now.astimezone(ZoneInfo('Asia/Tokyo')).date()}".encode())
    files = [REPO / "pyproject.toml", Path(__file__)]
    for top in SEED_INPUTS:
        files += (
            f
            for f in (REPO / top).rglob("*")
            if f.is_file() and "__pycache__" not in f.parts and "static" not in f.parts
        )
    for f in sorted(files):
        digest.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache  # once per process, like the key
def _seed_cache_dir() -> Path | None:
    """This code's and day's folder in the cache (older ones removed), or None when a
    fresh seed is asked for."""
    if os.environ.get("KASANE_TEST_FRESH_SEED") == "1":
        return None
    key = _seed_key()
    SEED_CACHE.mkdir(parents=True, exist_ok=True)
    for old in SEED_CACHE.iterdir():
        if old.is_dir() and old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    (SEED_CACHE / key).mkdir(exist_ok=True)
    return SEED_CACHE / key


def _seeded_sqlite_file(root: Path) -> Path:
    """The run's migrated, demo-seeded SQLite file: the cache's when it has one for this
    code and day, else built by the first worker that asks (under a lock) and kept in the
    cache; copied by every environment."""
    from filelock import FileLock

    cache = _seed_cache_dir()
    home = cache or root
    done = home / "seeded" / "kasane.db"
    with FileLock(str(home / "seeded.lock")):
        if not done.exists():
            env = _seed_sqlite(root / "seeding")
            with sqlite3.connect(env.settings.var_dir / "kasane.db") as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
            done.parent.mkdir(exist_ok=True)
            shutil.copyfile(env.settings.var_dir / "kasane.db", done.with_suffix(".part"))
            done.with_suffix(".part").rename(done)  # whole or absent, even if killed here
    return done


def _make_sqlite_env(path: Path) -> Env:
    """A migrated, demo-seeded SQLite environment of its own under ``path`` (a copy of the
    run's seeded file: same data, its own file)."""
    path.mkdir(parents=True, exist_ok=True)
    if not SEEDED_SQLITE:
        return _seed_sqlite(path)
    shutil.copyfile(SEEDED_SQLITE[0], path / "kasane.db")
    return Env(_sqlite_settings(path), "sqlite")


PG_FIXTURES = frozenset({"pg_env", "pg_database", "pg_admin_url", "any_env"})


@pytest.fixture(scope="session", autouse=True)
def _shared_root(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The temporary folder every worker of this run shares (xdist gives each worker its
    own base folder under it), and the seeded SQLite file in it.

    The two seeded databases take ~20 s each to build: the first worker builds the SQLite
    file while the second builds the PostgreSQL template (when this run has tests that use
    it), instead of one waiting for the other."""
    base = tmp_path_factory.getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    root = base.parent if worker else base
    wants_pg = any(PG_FIXTURES & set(item.fixturenames) for item in request.session.items)
    if worker not in (None, "gw0") and wants_pg and _pg_reachable() is None:
        _pg_template(PG_URL, root)
    SEEDED_SQLITE[:] = [_seeded_sqlite_file(root)]
    return root


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


PG_TEMPLATE_MARK = "pg-template"


def _pg_template(admin_url: str, root: Path) -> str:
    """The migrated, demo-seeded PostgreSQL database that every worker's database is copied
    from (``CREATE DATABASE … TEMPLATE``). Built once, under a lock: kept for later runs as
    ``kasane_seed_<key>`` (see the seed cache above), or, with a fresh seed asked for, made
    for this run alone and dropped by :func:`pytest_sessionfinish` at its end."""
    import psycopg
    from filelock import FileLock

    cache = _seed_cache_dir()
    home = cache or root
    mark = home / PG_TEMPLATE_MARK
    with FileLock(str(home / "pg.lock")), psycopg.connect(admin_url, autocommit=True) as conn:
        if (
            mark.exists()
            and conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (mark.read_text(),)
            ).fetchone()
        ):
            return mark.read_text()
        if cache is None:
            name = f"kasane_tmpl_{uuid.uuid4().hex[:10]}"
            mark.write_text(name)  # written first: a failed build is still dropped at the end
        else:
            name = f"kasane_seed_{cache.name}"
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", ("kasane_seed_%",)
            ).fetchall()
            for (old,) in stale:  # other code or another day, or this one half built
                _drop_pg_database(admin_url, old)
        conn.execute(f'CREATE DATABASE "{name}"')
        admin = _with_db(admin_url, name)
        # in a thread of its own: under the browser tests Playwright's loop runs on this one,
        # and the migration and the seed call asyncio.run()
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(_build_pg_template, admin_url, name, admin, root).result()
        mark.write_text(name)
        return name


def _build_pg_template(admin_url: str, name: str, admin: str, root: Path) -> None:
    upgrade(admin)  # as the administrator: objects owned by kasane_owner
    settings = load_settings(
        database_url=_with_db(admin_url, name, user="kasane_app"),
        migration_database_url=admin,
        central_database_url=_with_db(admin_url, name, user="kasane_central"),
        var_dir=root / "pg-seeding",
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    Env(settings, "postgres").run(seed_all, settings)  # as the app role, like the app


def _drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's PostgreSQL template goes when the run ends (the controller, or the only
    process without xdist; a worker's session ends before the others are done)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    mark = factory.getbasetemp() / PG_TEMPLATE_MARK if factory else None
    if mark is not None and mark.exists() and _pg_reachable() is None:
        _drop_pg_database(PG_URL, mark.read_text())


@pytest.fixture(scope="session")
def pg_database(pg_admin_url: str, _shared_root: Path) -> Iterator[tuple[str, str]]:
    """This worker's database, a copy of the run's seeded template: (admin URL, app-role
    URL). Dropped at the end of the session (the central role's URL is the app's with the
    user ``kasane_central``)."""
    import psycopg
    from filelock import FileLock

    template = _pg_template(pg_admin_url, _shared_root)
    name = f"kasane_test_{uuid.uuid4().hex[:10]}"
    with (
        FileLock(str((_seed_cache_dir() or _shared_root) / "pg.lock")),
        psycopg.connect(pg_admin_url, autocommit=True) as conn,
    ):  # one copy at a time: PostgreSQL refuses a template in use
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin = _with_db(pg_admin_url, name)
    try:
        yield admin, _with_db(pg_admin_url, name, user="kasane_app")
    finally:
        _drop_pg_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def pg_env(pg_database: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Env:
    """Migrated as the admin (objects owned by kasane_owner), seeded and used as the app
    role (a copy of the run's template)."""
    admin, app = pg_database
    settings = load_settings(
        database_url=app,
        migration_database_url=admin,
        central_database_url=app.replace("kasane_app@", "kasane_central@"),
        var_dir=tmp_path_factory.mktemp("pg"),
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    return Env(settings, "postgres")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_env(request: pytest.FixtureRequest) -> Env:
    """Both backends: the same test runs on SQLite and on PostgreSQL as the app role."""
    return request.getfixturevalue("sqlite_env" if request.param == "sqlite" else "pg_env")


# ------------------------------------------------------------------ web clients


class _OwnClient:
    """One client's view of an environment's shared app: its requests come from an address
    of its own, so the login throttle and other per-client limits of one test never meet
    another test's (every request of the Litestar test client says ``testclient``)."""

    _count = itertools.count(1)

    def __init__(self, app: KasaneApp) -> None:
        n = next(self._count)
        self.app, self.address = app, f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # The shared app outlives every client: its start and end are not theirs (its
            # one shutdown hook would only close what the next client needs).
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        scope = {**scope, "client": (self.address, 50000)}
        await self.app(scope, receive, send)


_APPS: dict[int, tuple[Settings, KasaneApp]] = {}


def shared_app(settings: Settings) -> KasaneApp:
    """One app per environment for the whole session (building one costs ~0.3 s).

    Each test client runs the app on an event loop of its own, so the shared app gets a
    database without a connection pool (a pooled connection belongs to the loop that made
    it). The host → tenant cache is emptied for every new client, so a status a test just
    changed in the database is what the next client sees.
    """
    found = _APPS.get(id(settings))
    if found is None or found[0] is not settings:
        app = create_app(settings)
        db = Database(settings.database_url, poolclass=NullPool)
        app.state.db = db
        app.state.resolver = TenantResolver(db, settings.base_domain)
        app.state.central.state.db = Database(settings.central_url, poolclass=NullPool)
        found = _APPS[id(settings)] = (settings, app)
    return found[1]


def tenant_client(env: Env, slug: str | None) -> TestClient:
    """A client whose requests carry the tenant's Host (``usuki.kasane.test``), on the
    environment's shared app, from an address of its own."""
    domain = env.settings.base_domain
    host = f"{slug}.{domain}" if slug else domain
    app = shared_app(env.settings)
    app.state.resolver = TenantResolver(app.state.db, domain)
    set_master_secret(env.settings.master_key)  # as create_app would (it is process-wide)
    return TestClient(_OwnClient(app), base_url=f"http://{host}")  # type: ignore[arg-type]  # an ASGI app


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
