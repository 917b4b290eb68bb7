"""``is_outage``: which failures are "the database or Redis is out of reach" (503, try again)
and which are bugs (500) — decision 0022.

The errors are the drivers' own, raised for real where a test can make them happen without
a server (a refused port, a server that hangs up, a locked SQLite file, a pool with no
connection left), else built the way the driver and SQLAlchemy build them.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import QueuePool, create_engine, text
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.exc import DBAPIError

from kasane.core.db import Database
from kasane.core.ephemeral import REDIS_ANSWER_SECONDS, REDIS_CONNECT_SECONDS, RedisStore
from kasane.core.web.outage import is_outage
from tests.billing_fixtures import free_port

# ------------------------------------------------------------------ servers that fail


@pytest.fixture
def hangup_port() -> Iterator[int]:
    """A server that reads the first message and closes the connection: a server (or a
    proxy in front of it) going away mid-conversation."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                conn.recv(1024)
            except OSError:
                pass
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


def raised(make: Callable[[], object]) -> Exception:
    """The exception ``make()`` raises (it must raise)."""
    try:
        make()
    except Exception as exc:  # whatever the driver raises is the subject
        return exc
    raise AssertionError("expected an exception")


def query(url: str) -> Exception:
    """The exception the app's own ``Database`` raises running ``SELECT 1`` at ``url``."""

    async def go() -> None:
        db = Database(url)
        try:
            async with db.session() as s:
                await s.execute(text("SELECT 1"))
        finally:
            await db.dispose()

    return raised(lambda: asyncio.run(go()))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers (a Redis stuck or a proxy
    holding the line): the client's answer timeout is what ends the wait."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


def redis_get(port: int, timeout: float = 5) -> Exception:
    """The exception redis-py raises for one GET (no retries: one attempt is the subject)."""

    async def go() -> None:
        client = aioredis.Redis(port=port, retry=Retry(NoBackoff(), 0), socket_timeout=timeout)
        try:
            await client.get("k")
        finally:
            await client.aclose()

    return raised(lambda: asyncio.run(go()))


def as_sqlalchemy_wraps_asyncpg(error: Exception) -> DBAPIError:
    """``error`` as the asyncpg dialect translates it and SQLAlchemy wraps it."""
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    with pytest.raises(dbapi.Error) as translated:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    return DBAPIError.instance(
        "SELECT 1", {}, translated.value, dbapi.Error, hide_parameters=True, ismulti=False
    )


# ------------------------------------------------------------------ outages


def test_postgresql_refusing_the_connection_is_an_outage() -> None:
    # (a free port: nothing listens on it, as on a stopped server)
    # asyncpg (the app's driver): the socket's own ConnectionRefusedError
    assert is_outage(query(f"postgresql+asyncpg://kasane:x@127.0.0.1:{free_port()}/kasane"))
    # psycopg (the job runner's), as SQLAlchemy wraps it: "Connection refused"
    exc = query(f"postgresql+psycopg://kasane:x@127.0.0.1:{free_port()}/kasane")
    assert isinstance(exc, DBAPIError) and "Connection refused" in str(exc)
    assert is_outage(exc)


def test_postgresql_hanging_up_mid_operation_is_an_outage(hangup_port: int) -> None:
    exc = query(f"postgresql+asyncpg://kasane:x@127.0.0.1:{hangup_port}/kasane?ssl=disable")
    assert "connection was closed in the middle of operation" in str(exc)
    assert is_outage(exc)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        ),
        # what asyncpg's protocol raises on a connection reused after a cut mid-query
        asyncpg.exceptions.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
        asyncpg.exceptions.InterfaceError("cannot perform operation: connection is closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError(
            "terminating connection due to administrator command"
        ),
    ],
    ids=["does-not-exist", "cannot-switch-state", "interface-closed", "starting-up", "shutdown"],
)
def test_asyncpg_connection_errors_are_outages_raw_and_as_sqlalchemy_wraps_them(
    error: Exception,
) -> None:
    assert is_outage(error)
    wrapped = as_sqlalchemy_wraps_asyncpg(error)
    assert is_outage(wrapped), str(wrapped)


def test_a_locked_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(url, connect_args={"timeout": 0})
    try:
        with engine.begin() as conn:
            exc = raised(lambda: conn.execute(text("INSERT INTO t VALUES (1)")))
    finally:
        engine.dispose()
        holder.close()
    assert "database is locked" in str(exc)
    assert is_outage(exc)


def test_a_pool_with_no_connection_left_is_an_outage(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}",
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.05,
    )
    try:
        with engine.connect():
            exc = raised(engine.connect)
    finally:
        engine.dispose()
    assert "QueuePool limit" in str(exc)
    assert is_outage(exc)


def test_redis_refusing_the_connection_is_an_outage() -> None:
    exc = redis_get(free_port())
    assert isinstance(exc, redis.exceptions.ConnectionError)
    assert is_outage(exc)


def test_redis_hanging_up_is_an_outage(hangup_port: int) -> None:
    exc = redis_get(hangup_port)
    assert str(exc) == "Connection closed by server."
    assert is_outage(exc)


def test_a_redis_that_never_answers_is_an_outage_once_the_client_gives_up(
    silent_port: int,
) -> None:
    exc = redis_get(silent_port, timeout=0.3)
    assert type(exc).__module__.startswith("redis") and "Timeout" in type(exc).__name__
    assert is_outage(exc)


def test_the_app_asks_redis_with_timeouts() -> None:
    """Without them a Redis that stops answering would hang every login instead of a 503."""

    async def client_kwargs() -> dict[str, object]:
        store = RedisStore("redis://127.0.0.1:1/0", "kasane")
        return dict(store._redis().connection_pool.connection_kwargs)

    kwargs = asyncio.run(client_kwargs())
    assert kwargs["socket_connect_timeout"] == REDIS_CONNECT_SECONDS
    assert kwargs["socket_timeout"] == REDIS_ANSWER_SECONDS


@pytest.mark.parametrize(
    "error",
    [
        # a host that is down or a network that is cut: OSErrors, not ConnectionErrors
        OSError(errno.EHOSTUNREACH, "Connect call failed ('10.0.0.5', 5432)"),
        OSError(errno.ENETUNREACH, "Connect call failed ('10.0.0.5', 6379)"),
    ],
    ids=["host-unreachable", "network-unreachable"],
)
def test_an_unreachable_host_is_an_outage(error: OSError) -> None:
    assert not isinstance(error, ConnectionError)
    assert is_outage(error)


def test_an_outage_wrapped_by_the_code_that_met_it_is_still_an_outage() -> None:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as cut:
            raise ValueError("could not load the case") from cut
    except ValueError as exc:
        assert is_outage(exc)


# ------------------------------------------------------------------ bugs (500, not 503)


def test_a_missing_table_or_a_broken_constraint_is_a_bug_not_an_outage(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'bugs.db'}")
    try:
        with engine.begin() as conn:
            missing = raised(lambda: conn.execute(text("SELECT * FROM no_such_table")))
            conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            duplicate = raised(lambda: conn.execute(text("INSERT INTO t VALUES (1)")))
    finally:
        engine.dispose()
    # the same OperationalError class as "database is locked": the wording decides
    assert "no such table" in str(missing) and not is_outage(missing)
    assert "UNIQUE constraint failed" in str(duplicate) and not is_outage(duplicate)
    unique = asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique")
    assert not is_outage(as_sqlalchemy_wraps_asyncpg(unique))


@pytest.mark.parametrize(
    "error",
    [
        ValueError("connection refused"),  # the words in a bug's message are not a driver's
        KeyError("connection was closed"),
        RuntimeError("aclose(): asynchronous generator is already running"),
        FileNotFoundError(2, "No such file or directory"),  # an OSError that is not network
        PermissionError(13, "Permission denied"),
        redis.exceptions.ResponseError("WRONGTYPE Operation against a key"),
    ],
    ids=["value", "key", "runtime", "no-file", "permission", "redis-wrongtype"],
)
def test_a_bug_is_not_an_outage(error: Exception) -> None:
    assert not is_outage(error)
