"""/healthz and /readyz on every host, readiness that follows the database (PostgreSQL
stopped and back, through a TCP proxy the test cuts), Redis and pending migrations; the
request latency histograms on the internal metrics port after a crawl."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from kasane.app import create_app
from kasane.core.db import Database
from kasane.settings import Settings
from tests.conftest import Env, _make_sqlite_env, login
from tests.integration.test_ephemeral_store import redis_url  # noqa: F401  (skips without Redis)

HOSTS = [
    "usuki.kasane.test",
    "marugame.kasane.test",
    "kasane.test",
    "central.kasane.test",
    "nowhere.kasane.test",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(settings: Settings, host: str) -> TestClient:
    return TestClient(create_app(settings), base_url=f"http://{host}")


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_and_readyz_answer_on_every_host(sqlite_env: Env, host: str) -> None:
    with client(sqlite_env.settings, host) as c:
        live = c.get("/healthz")
        assert live.status_code == 200 and live.text == "ok"
        ready = c.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
        assert ready.headers["cache-control"] == "no-store" and ready.headers["x-request-id"]


def test_readyz_fails_while_a_migration_is_pending_and_names_redis(tmp_path: Path) -> None:
    env = _make_sqlite_env(tmp_path / "db")

    async def step_back(db: Database) -> None:
        async with db.session() as s:
            await s.execute(text("UPDATE alembic_version SET version_num = '0020'"))

    env.run(step_back)
    with client(env.settings, "usuki.kasane.test") as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"] == "pending"
        assert c.get("/healthz").status_code == 200  # alive all the same
    closed = replace(env.settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with client(closed, "usuki.kasane.test") as c:
        assert c.get("/readyz").json()["checks"]["redis"] == "unreachable"


@pytest.mark.redis
def test_readyz_checks_redis_when_configured(sqlite_env: Env, redis_url: str) -> None:  # noqa: F811
    settings = replace(sqlite_env.settings, redis_url=redis_url)
    with client(settings, "usuki.kasane.test") as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "ok"


class Proxy:
    """A TCP proxy to PostgreSQL that the test stops (every connection cut, the port
    refusing) and starts again: PostgreSQL down and back, as the app sees it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.port = upstream, free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def start(self) -> None:
        async def go() -> None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

        self._call(go())

    def stop(self) -> None:
        async def go() -> None:
            assert self.server is not None
            self.server.close()
            for w in self.writers:
                w.close()
            self.writers.clear()

        self._call(go())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def proxy(pg_admin_url: str) -> Iterator[Proxy]:
    p = Proxy(("127.0.0.1", 5432))
    p.start()
    yield p
    p.close()


@pytest.mark.postgres
def test_readyz_fails_while_postgresql_is_down_and_recovers_when_it_is_back(
    pg_env: Env, proxy: Proxy
) -> None:
    url = pg_env.settings.database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != pg_env.settings.database_url
    settings = replace(pg_env.settings, database_url=url)
    with client(settings, "usuki.kasane.test") as c:
        assert c.get("/readyz").json()["checks"] == {"database": "ok", "migrations": "ok"}
        # when PostgreSQL goes away
        proxy.stop()
        down = c.get("/readyz")
        assert down.status_code == 503
        assert down.json() == {"status": "unavailable", "checks": {"database": "unreachable"}}
        assert c.get("/healthz").status_code == 200  # the process is alive: not restarted
        # and when it is back, readiness returns without a restart
        proxy.start()
        deadline = time.monotonic() + 15
        while (status := c.get("/readyz").status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200


def test_the_metrics_port_shows_latency_by_route_and_status_after_a_crawl(
    sqlite_env: Env,
) -> None:
    port = free_port()
    settings = replace(sqlite_env.settings, metrics_port=port)
    with client(settings, "usuki.kasane.test") as c:
        login(c, "caseworker")
        for path in ("/", "/cases", "/tasks", "/referrals", "/registry", "/no-such-page"):
            c.get(path)
        # the tenant's host does not serve the metrics
        assert c.get("/metrics").status_code == 404
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
        body = page.read().decode()
    assert (
        'kasane_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/cases",status="200"}'
        in body
    )
    assert 'route="/tasks",status="200"' in body
    assert 'route="(unmatched)",status="404"' in body
    assert re.search(r"kasane_db_pool_checked_out\{pool=\"app\"\} \d", body)
    assert re.search(r"kasane_db_pool_size\{pool=\"app\"\} \d", body)
    assert "kasane_job_runs_total" in body or "kasane_job_runs" in body
    assert "caseworker" not in body and "/cases/" not in body.replace('route="/cases/{', "")
