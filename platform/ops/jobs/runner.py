"""Running the jobs on procrastinate, and recording every run in ``job_runs``.

One procrastinate ``App`` holds the jobs of :mod:`.definitions` as periodic tasks:

- PostgreSQL: procrastinate's own queue (``PsycopgConnector``, the schema from migration
  0023), worked by ``kasane jobs worker`` (the Helm worker Deployment) or in-process. Each
  schedule tick is deferred once however many workers run (procrastinate's periodic defers
  are unique per task and time), failed jobs are retried with exponential backoff.
- SQLite (the embedded default): ``InMemoryConnector`` in the app's own process, the same
  task definitions, started and stopped with the app (``make run``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from sqlalchemy import update

from kasane.core.db import Database, utcnow
from kasane.ops.jobs.definitions import JOBS, JobDef, JobEnv, JobResult
from kasane.ops.jobs.models import JobRun
from kasane.settings import Settings

log = logging.getLogger("kasane.jobs")
# Up to 5 retries (procrastinate's max_attempts counts retries: 6 runs in all), each after
# 30 s plus 2**n s: 32, 34, 38, 46, 62 s (tests/integration/test_jobs.py).
RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=30, exponential_wait=2)
RESULT_MAX = 1000


def plain_url(url: str) -> str:
    """``postgresql+asyncpg://…`` → ``postgresql://…`` (what psycopg reads)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class JobRuntime:
    """The databases the jobs use (one engine each, for the worker's lifetime)."""

    def __init__(self, settings: Settings) -> None:
        from kasane.core.protection.crypto import set_master_secret

        if settings.master_key:
            set_master_secret(settings.master_key)
        self.settings = settings
        self.db = Database(settings.database_url)
        separate = settings.migration_database_url != settings.database_url
        self.operator_db = Database(settings.migration_database_url) if separate else None

    async def close(self) -> None:
        await self.db.dispose()
        if self.operator_db is not None:
            await self.operator_db.dispose()


async def run_job(
    runtime: JobRuntime,
    job: JobDef,
    scheduled_for: datetime,
    *,
    attempt: int = 1,
    worker: str = "",
) -> JobResult:
    """Run ``job`` as scheduled for ``scheduled_for``; its run is recorded (status, summary)
    and counted in the metrics. An exception is recorded and raised again (for a retry)."""
    from kasane.ops.metrics import JOB_DURATION, JOB_RUNS

    async with runtime.db.session() as s:
        run = JobRun(
            job=job.name,
            scheduled_for=scheduled_for,
            attempt=attempt,
            status="running",
            result="",
            worker=worker or socket.gethostname(),
        )
        s.add(run)
        await s.flush()
        run_id = run.id
    started = asyncio.get_running_loop().time()
    env = JobEnv(runtime.settings, runtime.db, scheduled_for, runtime.operator_db)
    try:
        result = await job.fn(env)
    except Exception as exc:
        status, summary = "failed", f"{type(exc).__name__}: {exc}"[:RESULT_MAX]
        log.exception("job failed", extra={"job": job.name, "attempt": attempt})
        raise
    else:
        status, summary = ("alarm" if result.alarm else "succeeded"), result.summary[:RESULT_MAX]
        log.info("job done", extra={"job": job.name, "status": status, "summary": summary})
        return result
    finally:
        JOB_RUNS.labels(job=job.name, status=status).inc()
        JOB_DURATION.labels(job=job.name).observe(asyncio.get_running_loop().time() - started)
        async with runtime.db.session() as s:
            await s.execute(
                update(JobRun)
                .where(JobRun.id == run_id)
                .values(status=status, result=summary, finished_at=utcnow())
            )


def make_job_app(settings: Settings, runtime: JobRuntime) -> procrastinate.App:
    """The procrastinate app with every job as a periodic task (PostgreSQL queue, or in
    memory on SQLite)."""
    connector: Any
    if settings.is_postgres:
        connector = procrastinate.PsycopgConnector(
            conninfo=plain_url(settings.database_url), min_size=1, max_size=4
        )
    else:
        connector = InMemoryConnector()
    app = procrastinate.App(connector=connector)
    for job in JOBS.values():
        _register(app, runtime, job)
    return app


def _register(app: procrastinate.App, runtime: JobRuntime, job: JobDef) -> None:
    async def task(context: procrastinate.JobContext, timestamp: int) -> str:
        when = datetime.fromtimestamp(timestamp, UTC)
        attempt = (context.job.attempts or 0) + 1
        result = await run_job(runtime, job, when, attempt=attempt, worker=context.worker_name)
        return result.summary

    task.__name__ = job.name
    registered = app.task(name=job.name, pass_context=True, retry=RETRY)(task)
    app.periodic(cron=job.cron, periodic_id=job.name)(registered)


async def defer_tick(app: procrastinate.App, name: str, when: datetime) -> None:
    """Defer ``name`` for the schedule tick ``when``, as a worker's periodic deferrer does
    at that moment (a second deferral of the same tick is a no-op)."""
    from procrastinate.periodic import PeriodicDeferrer

    deferrer = PeriodicDeferrer(registry=app.periodic_registry)
    periodic = next(
        p for (task, _), p in app.periodic_registry.periodic_tasks.items() if task == name
    )
    await deferrer.defer_jobs([(periodic, int(when.timestamp()))])


class InProcessJobs:
    """The jobs worked inside the app process (``KASANE_JOBS=inprocess``): started on the
    app's startup, stopped (a job in flight finishes) on its shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime: JobRuntime | None = None
        self.app: procrastinate.App | None = None
        self.task: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> None:
        self.runtime = JobRuntime(self.settings)
        self.app = make_job_app(self.settings, self.runtime)
        await self._stack.enter_async_context(self.app.open_async())
        self.task = asyncio.create_task(
            self.app.run_worker_async(
                name="inprocess",
                install_signal_handlers=False,
                listen_notify=self.settings.is_postgres,
                shutdown_graceful_timeout=20,
            )
        )

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self._stack.aclose()
        if self.runtime is not None:
            await self.runtime.close()
