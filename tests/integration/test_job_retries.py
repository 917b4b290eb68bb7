"""A scheduled job that fails is retried with backoff (procrastinate's retry strategy,
``kasane.ops.jobs.runner.RETRY``), and each attempt is a ``job_runs`` row the operator sees.

The jobs run on the embedded default's in-memory queue, worked until nothing is due; the
clock "advances" by moving a waiting retry's time to now. The failure is a real one: the
digests' mail server is down (nothing listens on its port), then back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from aiosmtpd.controller import Controller
from procrastinate.testing import InMemoryConnector

from kasane.ops.jobs.runner import JobRuntime, defer_tick, make_job_app
from kasane.settings import Settings
from tests.conftest import Env
from tests.integration.test_jobs import (
    Inbox,
    free_port,
    runs,
    town,  # noqa: F401  (the fixture)
)


def queued(app: procrastinate.App, task: str) -> list[dict[str, Any]]:
    """The in-memory queue's jobs of ``task`` (what the worker will run, and when)."""
    connector = app.connector
    assert isinstance(connector, InMemoryConnector)
    return [job for job in connector.jobs.values() if job["task_name"] == task]


async def work_until_nothing_is_due(app: procrastinate.App) -> None:
    await app.run_worker_async(
        name="test", wait=False, install_signal_handlers=False, listen_notify=False
    )


def let_the_wait_pass(job: dict[str, Any]) -> float:
    """Move a retry's time to now (the clock advanced past the backoff); its wait in s."""
    wait = (job["scheduled_at"] - datetime.now(UTC)).total_seconds()
    job["scheduled_at"] = datetime.now(UTC) - timedelta(seconds=1)
    return wait


@asynccontextmanager
async def digests_failed_once(
    settings: Settings, tick: datetime
) -> AsyncIterator[tuple[procrastinate.App, dict[str, Any]]]:
    """The digests' tick worked once while the mail server is down: the job app and the
    job, waiting for its retry."""
    runtime = JobRuntime(settings)
    app = make_job_app(settings, runtime)
    try:
        async with app.open_async():
            await defer_tick(app, "digests", tick)
            await work_until_nothing_is_due(app)
            [job] = queued(app, "digests")
            yield app, job
    finally:
        await runtime.close()


def runs_of(env: Env, tick: datetime) -> list[Any]:
    """The operator's rows (``kasane jobs list``) of the digests' runs for ``tick``."""
    return [r for r in runs(env, "digests") if r.scheduled_for == tick]


def test_a_job_that_fails_is_retried_after_a_backoff_and_then_succeeds(
    town: Env,  # noqa: F811
) -> None:
    box, port = Inbox(), free_port()
    settings = replace(town.settings, smtp_url=f"smtp://127.0.0.1:{port}")  # nobody listens yet
    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    mail_server = Controller(box, hostname="127.0.0.1", port=port)

    async def go() -> float:
        # given the digests' tick while the mail server is down: the run fails
        async with digests_failed_once(settings, tick) as (app, job):
            assert job["status"] == "todo" and job["attempts"] == 1  # waiting to retry
            wait = let_the_wait_pass(job)
            # when the mail server is back by the time the backoff has passed
            mail_server.start()
            await work_until_nothing_is_due(app)
            assert job["status"] == "succeeded"
            return wait

    try:
        wait = asyncio.run(go())
    finally:
        mail_server.stop()
    # then the retry waited 30 s plus the first exponential step (2 s) …
    assert 30 < wait <= 32, wait
    # … and the operator sees the failed attempt, then the one that succeeded
    done = runs_of(town, tick)
    assert [(r.attempt, r.status) for r in done] == [(1, "failed"), (2, "succeeded")]
    assert "Connect" in done[0].result and "digest(s) sent" in done[1].result
    # the retry sent every agency's mail (the failed run marked none as sent), once each
    assert box.mails and done[1].result.startswith(f"{len(box.mails)} digest(s) sent")


def test_a_job_that_keeps_failing_is_retried_with_growing_waits_then_given_up(
    town: Env,  # noqa: F811
) -> None:
    settings = replace(town.settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # down
    tick = datetime.now(UTC).replace(second=0, microsecond=0)

    async def go() -> tuple[list[float], str]:
        waits: list[float] = []
        async with digests_failed_once(settings, tick) as (app, job):
            while job["status"] == "todo":
                waits.append(let_the_wait_pass(job))
                await work_until_nothing_is_due(app)
            return waits, job["status"]

    waits, status = asyncio.run(go())
    # 30 s plus 2, 4, 8, 16, 32 s: procrastinate's max_attempts=5 counts the retries
    expected = [32, 34, 38, 46, 62]
    assert len(waits) == len(expected), waits
    assert all(e - 2 < w <= e for w, e in zip(waits, expected, strict=True)), waits
    assert status == "failed"
    done = runs_of(town, tick)
    assert [(r.attempt, r.status) for r in done] == [(n, "failed") for n in range(1, 7)]
