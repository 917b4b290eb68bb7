"""The SQLite driver (kasane.core.db.sqlite_driver): one trip to aiosqlite's worker thread
per statement, with SQLAlchemy reading the same rows, counts and errors as before."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kasane.core.db.session import make_engine


def test_each_statement_is_one_trip_and_reads_rows_counts_and_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = 0
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal trips
        trips += 1
        return await original(self, fn, *args, **kwargs)

    async def go() -> None:
        nonlocal trips
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
                await conn.execute(
                    text("INSERT INTO t (id, name) VALUES (:id, :name)"),
                    [{"id": i, "name": f"n{i}"} for i in range(1, 6)],
                )
            async with engine.connect() as conn:
                trips = 0
                rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
                assert trips == 1
                assert [tuple(r) for r in rows] == [(i, f"n{i}") for i in range(1, 6)]
                updated = await conn.execute(text("UPDATE t SET name = 'x' WHERE id > 3"))
                assert updated.rowcount == 2
                with pytest.raises(IntegrityError):
                    await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'again')"))
                await conn.rollback()
                names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars()
                assert list(names) == ["n1", "n2", "n3", "n4", "n5"]  # the update rolled back
        finally:
            await engine.dispose()

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    asyncio.run(go())
