"""Migrations and models agree; the same migrations run on SQLite (and PostgreSQL)."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kasane.core.db.session import make_engine
from kasane.migrations import downgrade, upgrade
from kasane.models import metadata
from kasane.settings import async_url


def _diff(url: str) -> list:  # type: ignore[type-arg]
    async def go() -> list:  # type: ignore[type-arg]
        engine = make_engine(async_url(url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
        await engine.dispose()
        return diff

    return asyncio.run(go())


def test_migrations_match_the_models_and_reverse_cleanly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert _diff(url) == []
    downgrade(url, "base")
    upgrade(url)
    assert _diff(url) == []
