"""Alembic environment: async engine; on PostgreSQL, roles first, then ``SET ROLE`` owner."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool

from kasane.core.db import rls
from kasane.core.db.session import make_engine
from kasane.models import metadata
from kasane.settings import async_url


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main(url: str) -> None:
    engine = make_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for sql in rls.roles_sql():
                await conn.exec_driver_sql(sql)
            # Objects created from here on are owned by the owner role, not the admin.
            await conn.exec_driver_sql(f"SET ROLE {rls.OWNER_ROLE}")
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


asyncio.run(_main(context.config.attributes["url"]))
