"""``python -m tests.bench`` (``make bench``): case list, case page and report server times.

Runs once per backend: SQLite (a temp dir), then PostgreSQL whenever it is reachable (a new
database on ``--postgres ADMIN_URL``, default ``KASANE_BENCH_POSTGRES`` or the local server;
migrated as the administrator and queried as the app role). Each run creates two tenants —
usuki with 50,000 cases, marugame with 5,000 — bulk-seeds them, then drives the real app
(``kasane.app.create_app``) in-process over httpx's ASGI transport as the demo caseworker
(the fiscal-year report as the supervisor, who may read figures), interleaving each
request with the same request to the bare baseline app.

Every line ends with ``backend=sqlite`` or ``backend=postgresql``:

* ``bench NAME p50_ms=… p95_ms=… baseline_p50_ms=… ratio=… statements=…`` per measure of
  the big tenant (ratio = p50 / baseline p50; statements = SQL statements the app sent for
  one request, median);
* ``bench concurrency8 kasane_scaling=… baseline_scaling=… lock_wait_share=…``: case pages
  per second with 8 concurrent clients (8 staff members) over 1 client, for the app and for
  the baseline; on PostgreSQL ``pg_stat_activity`` is sampled meanwhile and the share of
  the app's active connections waiting on a lock is printed (``na`` on SQLite);
* ``bench case_list_200k p50_ms=… p50_5k_ms=… growth=…``: usuki topped up to 200,000 cases,
  its list against marugame's (5,000), interleaved;
* ``bench metrics_release towns=1741 seconds=…``: the central comparison's release job for
  one month over 1,741 towns — the two seeded tenants counted from their records, 1,739
  synthetic towns (it must stay under 60 s);
* ``bench tenants1741 tenants=… rss_mb=… rss_growth_mb=… cold_p50_ms=… cold_p95_ms=…``:
  1,741 tenants in the one database (every municipality of the bundled list), the first
  request to each (its login page: the tenant looked up, its plugin configuration built,
  its templates loaded), and this process's memory after touching each once.

``--quick`` divides the sizes by 10 (and the 1,741 tenants by 5) for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, select, text

from kasane.app import create_app
from kasane.core import plugins
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.protection.crypto import set_master_secret
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.reports.report import clear_report_cache
from kasane.migrations import upgrade
from kasane.settings import Settings, async_url, load_settings
from kasane.tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_accounts
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.services import do_create_tenant, tenant_info
from tests.bench.baseline import create_baseline_app
from tests.bench.caseload_import import measure_caseload_import
from tests.bench.central import measure_release
from tests.bench.seed import bulk_seed

DOMAIN = "kasane.test"
SIZES = {"usuki": 50_000, "marugame": 5_000}
BIG = 200_000  # usuki is topped up to this many cases for the growth line
TENANTS = 1_741  # every municipality (the many-tenants line)
CLIENTS = 8  # the concurrency line's clients
ROUNDS = 3  # the concurrency line's rounds of its four phases
FILTER_STAGE = "support"
MEASURES = ("case_list", "case_list_filtered", "case_page", "fy_report", "fy_report_cold")
DEFAULT_PG = os.environ.get(
    "KASANE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench: FAILED: {message}")


@dataclass
class Result:
    name: str
    times: list[float]
    baseline: list[float]
    statements: list[int] | None = None

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    def line(self, backend: str) -> str:
        p50, p95 = self.pct(self.times, 0.5), self.pct(self.times, 0.95)
        base = self.pct(self.baseline, 0.5)
        statements = sorted(self.statements or [0])[len(self.statements or [0]) // 2]
        return (
            f"bench {self.name} p50_ms={p50:.2f} p95_ms={p95:.2f} "
            f"baseline_p50_ms={base:.2f} ratio={p50 / base:.1f} statements={statements} "
            f"backend={backend}"
        )


class StatementCounter:
    """Counts the SQL statements the app's engine sends (each cursor execute)."""

    def __init__(self, engine: Any) -> None:
        self.n = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.n += 1


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
    db: Database, loader: Database, admin_url: str, sizes: dict[str, int]
) -> dict[str, tuple[uuid.UUID, str]]:
    """Create the tenants and their demo accounts; bulk-seed the cases through ``loader``
    (on PostgreSQL the administrator: see ``tests.bench.seed``). Returns, per tenant slug,
    (tenant id, the caseworker's agency)."""
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
        async with loader.session(tenant.id) as s:
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
    await _analyze(db, admin_url)
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


COUNTER: StatementCounter | None = None  # the app's engine, while a backend runs


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
    result = Result(name, [], [], [])
    deadline = time.perf_counter() + args.budget
    for i in range(args.requests):
        if len(result.times) >= 20 and time.perf_counter() > deadline:
            break
        sent = COUNTER.n if COUNTER else 0
        started = time.perf_counter()
        await get_ok(app, path(args.warmup + i), name)
        result.times.append(time.perf_counter() - started)
        result.statements.append((COUNTER.n if COUNTER else 0) - sent)  # type: ignore[union-attr]
        started = time.perf_counter()
        await get_ok(base, path(args.warmup + i), "baseline")
        result.baseline.append(time.perf_counter() - started)
    return result


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
        cold = Result("fy_report_cold", [], [], [])
        for _ in range(min(args.requests, 10)):
            clear_report_cache()
            sent = COUNTER.n if COUNTER else 0
            started = time.perf_counter()
            await get_ok(supervisor, path, "fy_report_cold")
            cold.times.append(time.perf_counter() - started)
            cold.statements.append((COUNTER.n if COUNTER else 0) - sent)  # type: ignore[union-attr]
            started = time.perf_counter()
            await get_ok(base, path, "baseline")
            cold.baseline.append(time.perf_counter() - started)
        return [warm, cold]


async def visible_cases(db: Database, tenant_id: uuid.UUID, agency: str) -> list[uuid.UUID]:
    async with db.session(tenant_id) as s:
        return list(
            (
                await s.execute(
                    select(CaseAgency.case_id).where(
                        CaseAgency.agency_key == agency, CaseAgency.ended_on.is_(None)
                    )
                )
            ).scalars()
        )


async def measure_tenant(
    settings_db: Database,
    app_client: httpx.AsyncClient,
    base: httpx.AsyncClient,
    tenant_id: uuid.UUID,
    agency: str,
    args: argparse.Namespace,
) -> list[Result]:
    await login(app_client, "caseworker")
    await get_ok(app_client, "/cases", "case list (/cases)")
    fy = fiscal_year_of(today_jst())
    visible = await visible_cases(settings_db, tenant_id, agency)
    rng = random.Random(str(tenant_id))
    sample = rng.sample(visible, min(len(visible), args.requests + args.warmup))
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


class LockSampler:
    """Samples ``pg_stat_activity`` in a thread: of the app role's active connections to the
    bench database, how many wait on a lock (advisory, row or relation)."""

    def __init__(self, admin_url: str, dbname: str) -> None:
        import threading

        self.url, self.dbname = admin_url.replace("+asyncpg", ""), dbname
        self.active = self.waiting = self.samples = 0
        self.on = False  # sampling only while the app's 8 clients run
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                if not self.on:
                    self.stop.wait(0.02)
                    continue
                active, waiting = conn.execute(
                    "SELECT count(*) FILTER (WHERE state <> 'idle'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock') "
                    "FROM pg_stat_activity WHERE datname = %s AND usename = 'kasane_app'",
                    (self.dbname,),
                ).fetchone()  # type: ignore[misc]
                self.active, self.waiting = self.active + active, self.waiting + waiting
                self.samples += 1
                self.stop.wait(0.02)

    def __enter__(self) -> LockSampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def share(self) -> str:
        return f"{self.waiting / self.active:.3f}" if self.active else "0.000"


async def throughput(
    clients: list[httpx.AsyncClient], paths: list[str], seconds: float, errors: list[str]
) -> float:
    """Good answers per second with every client asking in turn for the next path, for
    ``seconds``; an answer other than 200 is kept in ``errors`` (e.g. SQLite's "database
    is locked" when readers write)."""
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < deadline:
            response = await client.get(paths[i % len(paths)])
            if response.status_code == 200:
                done += 1
            else:
                errors.append(f"{response.status_code} {paths[i % len(paths)]}")
            i += len(clients)

    await asyncio.gather(*(worker(c, n) for n, c in enumerate(clients)))
    return done / (time.perf_counter() - started)


async def measure_concurrency(
    db: Database,
    kasane: Any,
    base: httpx.AsyncClient,
    slug: str,
    tenant_id: uuid.UUID,
    agency: str,
    args: argparse.Namespace,
    sampler: Callable[[], Any],
) -> str:
    """Case pages per second, 8 clients against 1, for the app and the baseline (each the
    median of three rounds)."""
    visible = await visible_cases(db, tenant_id, agency)
    paths = [f"/cases/{c}" for c in random.Random(slug).sample(visible, min(len(visible), 400))]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=kasane), base_url=f"http://{slug}.{DOMAIN}"
        )
        for _ in range(CLIENTS)
    ]
    bases = [
        httpx.AsyncClient(transport=base._transport, base_url=base.base_url) for _ in range(CLIENTS)
    ]
    try:
        for c in clients:  # eight staff members, each with a session of their own
            await login(c, "caseworker")
        errors: list[str] = []
        await throughput(clients, paths, 1.0, [])  # warm-up
        # Three rounds of the four phases, a third of the time each, the median of each
        # phase kept: a burst of load from outside (a shared machine) then spoils one
        # sample of one phase instead of a whole phase.
        rates: dict[str, list[float]] = {"app1": [], "app8": [], "base1": [], "base8": []}
        with sampler() as sampled:
            for _ in range(ROUNDS):
                phase = args.seconds / ROUNDS
                rates["app1"].append(await throughput(clients[:1], paths, phase, errors))
                sampled.on = True  # lock waits are sampled while the 8 clients run
                rates["app8"].append(await throughput(clients, paths, phase, errors))
                sampled.on = False
                rates["base1"].append(await throughput(bases[:1], paths, phase, []))
                rates["base8"].append(await throughput(bases, paths, phase, []))
        app_one, app_many, base_one, base_many = (statistics.median(v) for v in rates.values())
    finally:
        for c in [*clients, *bases]:
            await c.aclose()
    print(
        f"concurrency: app {app_one:.1f} → {app_many:.1f} req/s, "
        f"baseline {base_one:.1f} → {base_many:.1f} req/s ({CLIENTS} clients)"
    )
    if errors:
        print(f"concurrency: {len(errors)} failed answers, e.g. {errors[0]}")
    return (
        f"bench concurrency8 kasane_scaling={app_many / app_one:.2f} "
        f"baseline_scaling={base_many / base_one:.2f} lock_wait_share={sampled.share}"
        + (f" errors={len(errors)}" if errors else "")
    )


class NoSampler:
    share = "na"
    on = False

    def __enter__(self) -> NoSampler:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


async def measure_growth(
    db: Database,
    loader: Database,
    kasane: Any,
    tenants: dict[str, tuple[uuid.UUID, str]],
    admin_url: str,
    target: int,
    args: argparse.Namespace,
) -> str:
    """Top usuki up to ``target`` cases; its list against marugame's, interleaved."""
    tenant_id, agency = tenants["usuki"]
    async with db.session(tenant_id) as s:
        have = int((await s.execute(select(func.count()).select_from(Case))).scalar_one())
    config = plugins.build_config(plugins.load_plugin("usuki"), await _info(db, tenant_id))
    started = time.perf_counter()
    async with db.session(tenant_id) as s:
        staff = (
            await s.execute(select(StaffAccount.id).where(StaffAccount.username == "caseworker"))
        ).scalar_one()
    async with loader.session(tenant_id) as s:
        await bulk_seed(
            s,
            config,
            target - have,
            caseworker_agency=agency,
            staff_id=staff,
            rng=random.Random("usuki-more"),
            first_no=have + 1,
            records=False,  # the list reads cases, people and participations only
        )
    await _analyze(db, admin_url)
    print(f"topped usuki up to {target:,} cases in {time.perf_counter() - started:.1f} s")
    big, small = [], []
    clients = {}
    for slug in ("usuki", "marugame"):
        clients[slug] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=kasane), base_url=f"http://{slug}.{DOMAIN}"
        )
        await login(clients[slug], "caseworker")
    try:
        for i in range(args.warmup + args.requests):
            if i >= args.warmup + 20 and sum(big) + sum(small) > args.budget:
                break
            for slug, times in (("usuki", big), ("marugame", small)):
                started = time.perf_counter()
                await get_ok(clients[slug], "/cases", "case list")
                if i >= args.warmup:
                    times.append(time.perf_counter() - started)
    finally:
        for c in clients.values():
            await c.aclose()
    p50_big, p50_small = Result.pct(big, 0.5), Result.pct(small, 0.5)
    name = "case_list_200k" if target == BIG else f"case_list_200k size={target}"
    return (
        f"bench {name} p50_ms={p50_big:.2f} p50_5k_ms={p50_small:.2f} "
        f"growth={p50_big / p50_small:.2f}"
    )


async def _info(db: Database, tenant_id: uuid.UUID) -> Any:
    from kasane.tenants.models import Tenant

    async with db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
    return tenant_info(tenant)  # type: ignore[arg-type]


async def _analyze(db: Database, admin_url: str) -> None:
    if admin_url.startswith("sqlite"):
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    else:
        _psql(admin_url, "ANALYZE")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def measure_tenants(db: Database, kasane: Any, count: int) -> str:
    """``count`` tenants in the one database (the seeded ones and every other municipality
    of the bundled list, as ``t<code>``); the first request to each."""
    async with db.session() as s:  # the demo's towns and the central demo's pilot towns
        taken = set((await s.execute(text("SELECT municipality_code FROM tenants"))).scalars())
    have = len(taken)
    started = time.perf_counter()
    made = []
    for m in all_municipalities().values():
        if have + len(made) >= count:
            break
        if m.code in taken:
            continue
        tenant = await do_create_tenant(
            db,
            slug=f"t{m.code}",
            name=m.name,
            municipality_code=m.code,
            prefecture=m.prefecture,
            plugin="marugame",  # any bundled plugin: its configuration names the town
            status="active",
            actor="bench",
        )
        made.append(tenant.slug)
    print(f"created {len(made):,} tenants in {time.perf_counter() - started:.1f} s")
    before = _rss_mb()
    times = []
    for slug in made:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=kasane), base_url=f"http://{slug}.{DOMAIN}"
        ) as client:
            started = time.perf_counter()
            await get_ok(client, "/login", "login page of a cold tenant")
            times.append(time.perf_counter() - started)
    after = _rss_mb()
    return (
        f"bench tenants1741 tenants={have + len(made)} rss_mb={after:.0f} "
        f"rss_growth_mb={after - before:.0f} cold_p50_ms={Result.pct(times, 0.5):.2f} "
        f"cold_p95_ms={Result.pct(times, 0.95):.2f}"
    )


@dataclass
class Outcome:
    backend: str
    results: dict[str, list[Result]]
    lines: list[str]  # the other bench lines, without the backend
    seconds: float


async def run(
    args: argparse.Namespace, settings: Settings, admin_url: str, backend: str
) -> Outcome:
    """Seed, then measure every tenant, the concurrency, the growth, the release job and
    the many tenants."""
    global COUNTER
    started_run = time.perf_counter()
    set_master_secret(settings.master_key)
    db = Database(settings.database_url)
    loader = db if backend == "sqlite" else Database(settings.migration_database_url)
    lines: list[str] = []
    try:
        started = time.perf_counter()
        sizes = {slug: max(50, round(n * args.scale)) for slug, n in SIZES.items()}
        tenants = await seed(db, loader, settings.migration_database_url, sizes)
        print(f"seeding: {time.perf_counter() - started:.1f} s for {sum(sizes.values()):,} cases")
        kasane = create_app(settings)
        COUNTER = StatementCounter(kasane.state.db.engine)
        results: dict[str, list[Result]] = {}
        dbname = admin_url.rsplit("/", 1)[-1].split("?")[0]
        try:
            for slug, (tenant_id, agency) in tenants.items():
                app, engine = create_baseline_app(async_url(admin_url), tenant_id, agency)
                try:
                    async with (
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=kasane),
                            base_url=f"http://{slug}.{DOMAIN}",
                        ) as client,
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=app), base_url="http://baseline"
                        ) as base,
                    ):
                        results[slug] = await measure_tenant(
                            db, client, base, tenant_id, agency, args
                        )
                        if slug == "usuki":
                            lines.append(
                                await measure_concurrency(
                                    db,
                                    kasane,
                                    base,
                                    slug,
                                    tenant_id,
                                    agency,
                                    args,
                                    (lambda: LockSampler(admin_url, dbname))
                                    if backend == "postgresql"
                                    else NoSampler,
                                )
                            )
                finally:
                    await engine.dispose()
            lines.append(await measure_release(db))
            if backend == "sqlite":  # a town moving in: 50,000 rows into a fresh tenant
                lines.append(await measure_caseload_import(db, args.scale))
            if args.big:
                lines.append(
                    await measure_growth(
                        db, loader, kasane, tenants, admin_url, round(BIG * args.scale), args
                    )
                )
            if args.tenants:
                lines.append(await measure_tenants(db, kasane, args.tenants))
        finally:
            COUNTER = None
            await kasane.state.db.dispose()
            await kasane.state.central.state.db.dispose()
        return Outcome(backend, results, lines, time.perf_counter() - started_run)
    finally:
        await db.dispose()
        await loader.dispose()


def report(args: argparse.Namespace, outcomes: list[Outcome], seconds: float) -> None:
    for o in outcomes:
        print(
            f"\n{o.backend}: up to {args.requests} requests per measure ({args.budget:.0f} s "
            f"budget) after {args.warmup} warm-up; {o.seconds:.0f} s"
        )
        print(
            f"{'tenant':<10} {'measure':<19} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'base':>7} "
            "ratio stmts"
        )
        for slug, rows in o.results.items():
            for r in rows:
                p50, p95, b = r.pct(r.times, 0.5), r.pct(r.times, 0.95), r.pct(r.baseline, 0.5)
                st = sorted(r.statements or [0])[len(r.statements or [0]) // 2]
                print(
                    f"{slug:<10} {r.name:<19} {len(r.times):4} {p50:8.2f} {p95:8.2f} {b:7.2f} "
                    f"{p50 / b:5.1f} {st:5}"
                )
    print(f"total run time {seconds:.0f} s\n")
    for o in outcomes:
        for r in o.results["usuki"]:
            print(r.line(o.backend))
        for line in o.lines:
            print(f"{line} backend={o.backend}")


def pg_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.replace("+asyncpg", ""), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def run_backend(args: argparse.Namespace, backend: str) -> Outcome:
    var = Path(tempfile.mkdtemp(prefix="kasane-bench-"))
    pg_name = None
    if backend == "postgresql":
        pg_name = f"kasane_bench_{uuid.uuid4().hex[:10]}"
        _psql(args.postgres, f'CREATE DATABASE "{pg_name}"')
        admin_url = _with_db(args.postgres, pg_name)
        app_url = _with_db(args.postgres, pg_name, user="kasane_app")
    else:
        admin_url = app_url = f"sqlite:///{var / 'bench.db'}"
    # the central site reads as its own role, as in production (else it refuses, and says so)
    central_url = _with_db(args.postgres, pg_name, user="kasane_central") if pg_name else ""
    settings = load_settings(
        database_url=app_url,
        migration_database_url=admin_url,
        central_database_url=central_url,
        var_dir=var,
        base_domain=DOMAIN,
        master_key="kasane-bench-master-key",
        demo=False,
        secure_cookies=False,  # the bench's client speaks plain HTTP to the app in-process
    )
    print(f"--- {backend} ---")
    try:
        upgrade(settings.migration_database_url)  # runs its own event loop: not inside run()
        return asyncio.run(run(args, settings, admin_url, backend))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", default=DEFAULT_PG, help="the PostgreSQL server"
    )
    parser.add_argument(
        "--backend",
        choices=("both", "sqlite", "postgresql"),
        default="both",
        help="both: SQLite, then PostgreSQL when it is reachable",
    )
    parser.add_argument("--quick", action="store_true", help="sizes / 10, 1,741 tenants / 5")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measure")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    parser.add_argument(
        "--budget", type=float, default=8.0, help="seconds per measure before stopping early"
    )
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="seconds per phase of the concurrency line"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the tenant sizes (0.05: a smoke run)"
    )
    parser.add_argument(
        "--tenants", type=int, default=TENANTS, help="tenants for the many-tenants line (0: skip)"
    )
    parser.add_argument(
        "--no-big", dest="big", action="store_false", help="skip the 200,000-case growth line"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale = min(args.scale, 0.1)
        args.tenants = min(args.tenants, TENANTS // 5)
        args.requests, args.budget, args.seconds = min(args.requests, 60), 4.0, 3.0
    # one INFO line per request otherwise
    for name in ("httpx", "kasane.http"):
        logging.getLogger(name).setLevel(logging.WARNING)
    started = time.perf_counter()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not pg_reachable(args.postgres):
        if args.backend == "postgresql":
            raise BenchFailed(f"PostgreSQL is not reachable at {args.postgres}")
        print(f"PostgreSQL not reachable at {args.postgres}: SQLite only")
        backends.remove("postgresql")
    outcomes = [run_backend(args, b) for b in backends]
    report(args, outcomes, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
