"""``kasane jobs list|run|worker``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from kasane.settings import Settings


def cmd_jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    """Every job: its schedule, its last run and how it ended, its last success."""
    from sqlalchemy import select

    from kasane.core.db import Database
    from kasane.core.japan_time import JST
    from kasane.ops.jobs.definitions import JOBS
    from kasane.ops.jobs.models import JobRun

    async def run() -> dict[str, tuple[JobRun | None, JobRun | None]]:
        db = Database(settings.database_url)
        try:
            out = {}
            async with db.session() as s:
                for name in JOBS:
                    base = select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc())
                    last = (await s.execute(base.limit(1))).scalar_one_or_none()
                    ok = base.where(JobRun.status == "succeeded").limit(1)
                    out[name] = (last, (await s.execute(ok)).scalar_one_or_none())
            return out
        finally:
            await db.dispose()

    def when(at: datetime | None) -> str:
        return at.astimezone(JST).strftime("%Y-%m-%d %H:%M JST") if at else "never"

    runs = asyncio.run(run())
    print(f"{'job':<24} {'schedule':<28} {'last run':<21} {'result':<9} last success")
    for name, job in JOBS.items():
        last, ok = runs[name]
        print(
            f"{name:<24} {job.schedule:<28} {when(last.started_at if last else None):<21} "
            f"{(last.status if last else '-'):<9} {when(ok.started_at if ok else None)}"
        )
        if last and last.result:
            print(f"{'':<24} └ {last.result[:160]}")
    return 0


def cmd_jobs_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one job now in this process (recorded like a scheduled run)."""
    from kasane.ops.jobs.definitions import JOBS
    from kasane.ops.jobs.runner import JobRuntime, run_job

    job = JOBS.get(args.name)
    if job is None:
        print(f"error: no job {args.name!r}; jobs: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    at = datetime.now(UTC)
    if args.at:
        at = datetime.fromisoformat(args.at)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)

    async def run() -> object:
        runtime = JobRuntime(settings)
        try:
            return await run_job(runtime, job, at, worker="cli")
        finally:
            await runtime.close()

    try:
        result = asyncio.run(run())
    except Exception as exc:
        print(f"{job.name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{job.name}: {result.summary}")  # type: ignore[attr-defined]
    return 1 if result.alarm else 0  # type: ignore[attr-defined]


def cmd_jobs_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Work the queue until SIGTERM/SIGINT (a job in flight finishes first)."""
    from kasane.ops.jobs.runner import JobRuntime, make_job_app
    from kasane.ops.logs import configure_logging
    from kasane.ops.metrics import serve_metrics
    from kasane.ops.secrets import require_secrets

    require_secrets(settings, "kasane jobs worker")
    configure_logging()
    if not settings.is_postgres:
        print(
            "error: the worker needs PostgreSQL (KASANE_DATABASE_URL); on SQLite the app "
            "runs the jobs in its own process (kasane serve)",
            file=sys.stderr,
        )
        return 2
    serve_metrics(settings.metrics_port)

    async def run() -> None:
        runtime = JobRuntime(settings)
        app = make_job_app(settings, runtime)
        try:
            async with app.open_async():
                await app.run_worker_async(
                    name=args.name,
                    concurrency=args.concurrency,
                    shutdown_graceful_timeout=args.grace,
                    wait=not args.once,
                )
        finally:
            await runtime.close()

    asyncio.run(run())
    return 0


def add_jobs_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from kasane.ops.jobs.definitions import JOBS

    group = sub.add_parser("jobs", help="scheduled background jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    group.add_parser("list", help="each job's schedule, last run and result").set_defaults(
        func=cmd_jobs_list
    )
    run = group.add_parser("run", help="run one job now, in this process")
    run.add_argument("name", help=", ".join(JOBS))
    run.add_argument("--at", help="pretend it is this ISO date/time (UTC)")
    run.set_defaults(func=cmd_jobs_run)
    worker = group.add_parser("worker", help="work the PostgreSQL job queue (production)")
    worker.add_argument("--name", default=None, help="worker name (default: host name)")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--grace", type=float, default=50, help="seconds to finish on stop")
    worker.add_argument("--once", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(func=cmd_jobs_worker)
