"""The job queue on PostgreSQL, as the app role: two workers, one schedule tick, one
suspension.

The clock is advanced by scheduling the sweep 30 days after usuki fell past due (the grace
period is 7): both workers' periodic deferrers fire for the same tick, then both work the
queue at once — and, separately, two ticks are worked in parallel by the two workers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from filelock import FileLock
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.db import Database
from kasane.ops.jobs.runner import JobRuntime, defer_tick, make_job_app
from kasane.settings import Settings, load_settings
from kasane.tenants.billing.services import _set_status
from kasane.tenants.models import Tenant
from tests.conftest import (
    TEST_DOMAIN,
    TEST_MASTER_KEY,
    Env,
    _drop_pg_database,
    _pg_template,
    _with_db,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def env(pg_admin_url: str, _shared_root: Path, tmp_path: Path) -> Iterator[Env]:
    """A database of this test's own (a copy of the run's seeded template)."""
    template = _pg_template(pg_admin_url, _shared_root)
    name = f"kasane_jobs_{uuid.uuid4().hex[:10]}"
    with (
        FileLock(str(_shared_root / "pg.lock")),
        psycopg.connect(pg_admin_url, autocommit=True) as conn,
    ):
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    settings = load_settings(
        database_url=_with_db(pg_admin_url, name, user="kasane_app"),
        migration_database_url=_with_db(pg_admin_url, name),
        var_dir=tmp_path,
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    try:
        yield Env(settings, "postgres")
    finally:
        _drop_pg_database(pg_admin_url, name)


def fall_past_due(env: Env, slug: str, since: datetime) -> uuid.UUID:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            row = (await s.execute(select(Tenant).where(Tenant.id == tenant_id))).scalar_one()
            await _set_status(s, row, "past_due", since, env.settings, via="test")

    env.run(go)
    return tenant_id


async def two_workers(settings: Settings, ticks: list[datetime], per_worker: bool) -> None:
    """Two workers, each with its own connections: each defers ``ticks`` (all of them, or
    one each), then both work the queue until it is empty, at the same time."""
    runtimes = [JobRuntime(settings), JobRuntime(settings)]
    apps = [make_job_app(settings, r) for r in runtimes]
    try:
        async with apps[0].open_async(), apps[1].open_async():
            if per_worker:
                await asyncio.gather(
                    *(defer_tick(a, "billing_sweep", t) for a, t in zip(apps, ticks, strict=True))
                )
            else:
                await asyncio.gather(
                    *(defer_tick(a, "billing_sweep", t) for a in apps for t in ticks)
                )
            await asyncio.gather(
                *(
                    a.run_worker_async(
                        name=f"w{i}",
                        wait=False,
                        install_signal_handlers=False,
                        listen_notify=False,
                        concurrency=1,
                    )
                    for i, a in enumerate(apps)
                )
            )
    finally:
        for r in runtimes:
            await r.close()


def status_events(env: Env, tenant_id: uuid.UUID) -> list[str]:
    async def go(db: Database) -> list[str]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "tenant.status")
                .order_by(AuditEvent.seq)
            )
            return [json.loads(d).get("new") for (d,) in rows.all()]

    return env.run(go)


def admin_rows(env: Env, sql: str) -> list[tuple]:
    url = env.settings.migration_database_url.replace("+asyncpg", "")
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


@pytest.mark.parametrize("per_worker", [False, True], ids=["same-tick", "two-ticks"])
def test_two_workers_suspend_a_town_past_its_grace_period_exactly_once(
    env: Env, per_worker: bool
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    usuki = fall_past_due(env, "usuki", now)
    marugame = env.tenant_id("marugame")
    # when the sweep's schedule comes round 30 days later (grace: 7 days), on two workers
    later = now + timedelta(days=30)
    ticks = [later, later + timedelta(minutes=1)] if per_worker else [later]
    env.run(lambda _db: two_workers(env.settings, ticks, per_worker))
    # then the queue held one job per tick (the second deferral of a tick was a no-op)
    jobs = admin_rows(
        env,
        "SELECT status, count(*) FROM procrastinate_jobs "
        "WHERE task_name = 'billing_sweep' GROUP BY status",
    )
    assert jobs == [("succeeded", len(ticks))], jobs
    # and usuki was suspended once — one audited change — and marugame not at all
    assert status_events(env, usuki) == ["past_due", "suspended"]
    assert "suspended" not in status_events(env, marugame)
    runs = admin_rows(
        env, "SELECT status, result, worker FROM job_runs WHERE job = 'billing_sweep'"
    )
    assert sorted(r[0] for r in runs) == ["succeeded"] * len(ticks)
    assert sum(r[1].startswith("1 suspended") for r in runs) == 1, runs
