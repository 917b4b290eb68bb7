"""``python -m tests.bench`` (``make bench``): case list, case page and report server times.

Builds a fresh database (SQLite under a temp dir, or ``--postgres ADMIN_URL``: a new database
on that server, migrated as the administrator and queried as the app role), creates two
tenants — usuki with 50,000 cases, marugame with 5,000 — bulk-seeds them, then drives the
real app (``kasane.app.create_app``) in-process over httpx's ASGI transport as the demo
caseworker (the fiscal-year report as the supervisor, who may read figures), interleaving
each request with the same request to the bare baseline app.

Ends with one line per measure for the big tenant:
``bench NAME p50_ms=… p95_ms=… baseline_p50_ms=… ratio=…`` (ratio = p50 / baseline p50);
then the central comparison's release job for one month over 1,741 towns — the two seeded
tenants counted from their records, 1,739 synthetic towns (every other municipality of
the bundled list, with made-up populations and figures) — as
``bench metrics_release towns=1741 seconds=…`` (it must stay under 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, text

from kasane.app import create_app
from kasane.core import plugins
from kasane.core.auth.services import do_create_account
from kasane.core.cases.models import CaseAgency
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.protection.crypto import set_master_secret
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.reports.report import clear_report_cache
from kasane.migrations import upgrade
from kasane.settings import Settings, async_url, load_settings
from kasane.tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_accounts
from kasane.tenants.services import do_create_tenant, tenant_info
from tests.bench.baseline import create_baseline_app
from tests.bench.caseload_import import measure_caseload_import
from tests.bench.central import measure_release
from tests.bench.seed import bulk_seed

DOMAIN = "kasane.test"
SIZES = {"usuki": 50_000, "marugame": 5_000}
FILTER_STAGE = "support"
MEASURES = ("case_list", "case_list_filtered", "case_page", "fy_report", "fy_report_cold")


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench: FAILED: {message}")


@dataclass
class Result:
    name: str
    times: list[float]
    baseline: list[float]

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    def line(self) -> str:
        p50, p95 = self.pct(self.times, 0.5), self.pct(self.times, 0.95)
        base = self.pct(self.baseline, 0.5)
        return (
            f"bench {self.name} p50_ms={p50:.2f} p95_ms={p95:.2f} "
            f"baseline_p50_ms={base:.2f} ratio={p50 / base:.1f}"
        )


def _with_db(url: str, dbname: str, user: str | None = None) -> str:
    """The same server URL pointing at another database (and optionally another user)."""
    base = re.sub(r"/[^/?]*(\?|$)", f"/{dbname}\\1", url.split("://", 1)[1], count=1)
    if user:
        base = re.sub(r"^[^@/]*@", f"{user}@", base) if "@" in base else f"{user}@{base}"
    return "postgresql://" + base


def _psql(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+asyncpg", ""), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


async def seed(
    db: Database, admin_url: str, sizes: dict[str, int]
) -> dict[str, tuple[uuid.UUID, str]]:
    """Create the tenants and their demo accounts; bulk-seed the cases. Returns, per tenant
    slug, (tenant id, the caseworker's agency)."""
    out = {}
    for spec in DEMO_TENANTS:
        slug = spec["slug"]
        started = time.perf_counter()
        tenant = await do_create_tenant(db, **{**spec, "status": "active"}, actor="bench")  # type: ignore[arg-type]
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        staff = {}
        async with db.session(tenant.id) as s:
            agency_of: dict[str, str] = {}
            for username, display, role, agency in demo_accounts(config):
                account = await do_create_account(
                    s,
                    username=username,
                    display_name=display,
                    password=DEMO_PASSWORD,
                    role=role,
                    agency_key=agency,
                    actor="bench",
                )
                staff[username] = account
                agency_of[username] = agency or ""
        caseworker = staff["caseworker"]
        async with db.session(tenant.id) as s:
            counts = await bulk_seed(
                s,
                config,
                sizes[str(slug)],
                caseworker_agency=agency_of["caseworker"],
                staff_id=caseworker.id,
                rng=random.Random(str(slug)),
            )
        tables = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        print(
            f"seeded {slug}: {sizes[str(slug)]:,} cases, {sum(counts.values()):,} rows in "
            f"{time.perf_counter() - started:.1f} s ({tables})"
        )
        out[str(slug)] = (tenant.id, agency_of["caseworker"])
    started = time.perf_counter()
    if admin_url.startswith("sqlite"):
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    else:
        _psql(admin_url, "ANALYZE")
    print(f"ANALYZE in {time.perf_counter() - started:.1f} s")
    return out


async def login(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or token is None:
        raise BenchFailed(f"the login page did not render ({page.status_code})")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "_csrf_token": token.group(1),
            "next": "/",
        },
    )
    if response.status_code not in (200, 302, 303) or "kasane_session" not in client.cookies:
        raise BenchFailed(f"could not log in as {username} ({response.status_code})")


async def get_ok(client: httpx.AsyncClient, path: str, what: str) -> httpx.Response:
    response = await client.get(path)
    if response.status_code == 404 and what != "baseline":
        raise BenchFailed(
            f"{path} answered 404: the {what} route does not exist yet (the case controllers "
            "are not in this checkout), or the caseworker cannot see the case"
        )
    if response.status_code != 200:
        raise BenchFailed(f"{what} {path} answered {response.status_code}: {response.text[:300]}")
    return response


async def measure(
    app: httpx.AsyncClient,
    base: httpx.AsyncClient,
    name: str,
    path: Callable[[int], str],
    args: argparse.Namespace,
) -> Result:
    """Time up to ``--requests`` requests to the app, each followed by the same request to
    the baseline (so both see the same machine load); stop early after ``--budget`` seconds
    once 20 are in."""
    for i in range(args.warmup):
        await get_ok(app, path(i), name)
        await get_ok(base, path(i), "baseline")
    times: list[float] = []
    baseline: list[float] = []
    deadline = time.perf_counter() + args.budget
    for i in range(args.requests):
        if len(times) >= 20 and time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        await get_ok(app, path(args.warmup + i), name)
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        await get_ok(base, path(args.warmup + i), "baseline")
        baseline.append(time.perf_counter() - started)
    return Result(name, times, baseline)


async def measure_report(
    app_client: httpx.AsyncClient, base: httpx.AsyncClient, fy: int, args: argparse.Namespace
) -> list[Result]:
    """The fiscal-year report (every indicator, its breakdowns and the first section's
    charts), as the supervisor in a client of its own; the baseline counts the year's
    consultations by day in one statement. ``fy_report`` is the page as staff see it (the
    figures counted once per change of the records, see ``kasane.core.reports.report``);
    ``fy_report_cold`` counts everything again on every request, as after each change."""
    path = f"/reports?view=fy&fy={fy}"
    async with httpx.AsyncClient(
        transport=app_client._transport, base_url=app_client.base_url
    ) as supervisor:
        await login(supervisor, "supervisor")
        warm = await measure(supervisor, base, "fy_report", lambda i: path, args)
        cold = Result("fy_report_cold", [], [])
        for _ in range(min(args.requests, 10)):
            clear_report_cache()
            started = time.perf_counter()
            await get_ok(supervisor, path, "fy_report_cold")
            cold.times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await get_ok(base, path, "baseline")
            cold.baseline.append(time.perf_counter() - started)
        return [warm, cold]


async def measure_tenant(
    settings_db: Database,
    app_client: httpx.AsyncClient,
    baseline_url: str,
    tenant_id: uuid.UUID,
    agency: str,
    args: argparse.Namespace,
) -> list[Result]:
    await login(app_client, "caseworker")
    await get_ok(app_client, "/cases", "case list (/cases)")
    fy = fiscal_year_of(today_jst())
    async with settings_db.session(tenant_id) as s:
        visible = list(
            (
                await s.execute(
                    select(CaseAgency.case_id).where(
                        CaseAgency.agency_key == agency, CaseAgency.ended_on.is_(None)
                    )
                )
            ).scalars()
        )
    rng = random.Random(str(tenant_id))
    sample = rng.sample(visible, min(len(visible), args.requests + args.warmup))
    app, engine = create_baseline_app(baseline_url, tenant_id, agency)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://baseline"
        ) as base:
            return [
                await measure(app_client, base, "case_list", lambda i: "/cases", args),
                await measure(
                    app_client,
                    base,
                    "case_list_filtered",
                    lambda i: f"/cases?stage={FILTER_STAGE}",
                    args,
                ),
                await measure(
                    app_client,
                    base,
                    "case_page",
                    lambda i: f"/cases/{sample[i % len(sample)]}",
                    args,
                ),
                *await measure_report(app_client, base, fy, args),
            ]
    finally:
        await engine.dispose()


async def run(
    args: argparse.Namespace, settings: Settings, admin_url: str
) -> tuple[dict[str, list[Result]], str]:
    """Seed, then measure every tenant and the release job; returns the results by tenant
    slug and the release job's line."""
    set_master_secret(settings.master_key)
    db = Database(settings.database_url)
    try:
        started = time.perf_counter()
        sizes = {slug: max(50, round(n * args.scale)) for slug, n in SIZES.items()}
        tenants = await seed(db, settings.migration_database_url, sizes)
        print(f"seeding: {time.perf_counter() - started:.1f} s for {sum(sizes.values()):,} cases")
        kasane = create_app(settings)
        results: dict[str, list[Result]] = {}
        try:
            for slug, (tenant_id, agency) in tenants.items():
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=kasane), base_url=f"http://{slug}.{DOMAIN}"
                ) as client:
                    results[slug] = await measure_tenant(
                        db, client, async_url(admin_url), tenant_id, agency, args
                    )
        finally:
            await kasane.state.db.dispose()
            await kasane.state.central.state.db.dispose()
        release = await measure_release(db)
        return results, f"{release}\n{await measure_caseload_import(db, args.scale)}"
    finally:
        await db.dispose()


def report(
    args: argparse.Namespace, results: dict[str, list[Result]], release: str, seconds: float
) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n{backend}: up to {args.requests} requests per measure ({args.budget:.0f} s budget) "
        f"after {args.warmup} warm-up"
    )
    print(f"{'tenant':<10} {'measure':<19} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'base':>7} ratio")
    for slug, rows in results.items():
        for r in rows:
            p50, p95, b = r.pct(r.times, 0.5), r.pct(r.times, 0.95), r.pct(r.baseline, 0.5)
            print(
                f"{slug:<10} {r.name:<19} {len(r.times):4} {p50:8.2f} {p95:8.2f} {b:7.2f} "
                f"{p50 / b:5.1f}"
            )
    print(f"total run time {seconds:.0f} s\n")
    for r in results["usuki"]:
        print(r.line())
    print(release)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run against PostgreSQL")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measure")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds per measure before stopping early"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the tenant sizes (0.05: a smoke run)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    started = time.perf_counter()
    var = Path(tempfile.mkdtemp(prefix="kasane-bench-"))
    pg_name = None
    if args.postgres:
        pg_name = f"kasane_bench_{uuid.uuid4().hex[:10]}"
        _psql(args.postgres, f'CREATE DATABASE "{pg_name}"')
        admin_url = _with_db(args.postgres, pg_name)
        app_url = _with_db(args.postgres, pg_name, user="kasane_app")
    else:
        admin_url = app_url = f"sqlite:///{var / 'bench.db'}"
    settings = load_settings(
        database_url=app_url,
        migration_database_url=admin_url,
        var_dir=var,
        base_domain=DOMAIN,
        master_key="kasane-bench-master-key",
        demo=False,
        secure_cookies=False,  # the bench's client speaks plain HTTP to the app in-process
    )
    try:
        upgrade(settings.migration_database_url)  # runs its own event loop: not inside run()
        results, release = asyncio.run(run(args, settings, admin_url))
    finally:
        if pg_name and not args.keep:
            _psql(
                args.postgres,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{pg_name}' AND pid <> pg_backend_pid()",
                f'DROP DATABASE IF EXISTS "{pg_name}"',
            )
        if args.keep:
            print(f"kept: {admin_url} ({var})")
        else:
            shutil.rmtree(var, ignore_errors=True)
    report(args, results, release, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
