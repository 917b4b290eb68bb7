"""SQLite through aiosqlite in one thread hop per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's worker thread for every
statement (make a cursor, execute, fetch all rows, close), each a hand-off through a queue
and a wake-up of the event loop. On this machine the trips cost more than the statements:
a case page's 17 reads took ~70 hand-offs. Here the cursor is made, executed, read and
closed in the worker thread in one function, so a statement is one trip.

Only the plain (buffered) cursor changes; server-side cursors, transactions, errors and the
pool are SQLAlchemy's own. Passed to ``create_async_engine(module=…)``, so URLs stay
``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


class _Finished:
    """What a closed sqlite3 cursor leaves for SQLAlchemy to read (its result metadata)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor else None
        self.rowcount = cursor.rowcount if cursor else -1
        self.lastrowid = cursor.lastrowid if cursor else None
        self.arraysize = 1
        self.rows: list[Any] = []

    def close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the worker thread."""


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Finished:
    """In aiosqlite's worker thread: the whole life of one cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        finished = _Finished(cursor)
        if cursor.description:
            finished.rows = cursor.fetchall()
        return finished
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs start to finish in one worker-thread call."""

    __slots__ = ()
    _awaitable_cursor_close = False  # close() is synchronous: nothing is left open

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's own way to run a function in its thread (untyped there)
            finished: _Finished = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, operation, parameters, many
            )
        self._cursor = finished  # type: ignore[assignment]  # read as a cursor: same attributes
        self._rows = collections.deque(finished.rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, True)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's DBAPI module, with the one-hop cursor."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
