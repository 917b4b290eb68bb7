"""The central comparison's release job at national scale: one month for 1,741 towns.

The bench's two tenants take part (opted in, counted from their bulk-seeded records through
the reports' aggregation API); every other municipality of the bundled list is a SYNTHETIC
town with a made-up population (3,000 to 1,000,000, fixed per code) and made-up figures. The
job runs as ``kasane metrics release`` runs it: counting, noise, pooling, budget, one write.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from kasane.central.release import do_release
from kasane.central.synthetic import synthetic_town
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.reports.periods import Period
from kasane.tenants.comparison import do_set_sharing, opted_in_towns
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.services import list_tenants

LIMIT_SECONDS = 60.0


async def measure_release(db: Database) -> str:
    """Opt the bench's tenants in, release last month for every municipality; the line."""
    async with db.session() as s:
        tenants: list[Tenant] = await list_tenants(s)
    for t in tenants:
        async with db.session(t.id) as s:
            await do_set_sharing(s, t.id, opt_in=True, population=t.population or 0, actor="bench")
    real = await opted_in_towns(db)
    taken = {t.code for t in real}
    synthetic = [
        synthetic_town(
            m.code, m.name, m.prefecture, round(10 ** random.Random(m.code).uniform(3.5, 6.0))
        )
        for m in all_municipalities().values()
        if m.code not in taken
    ]
    today = today_jst()
    last = today.replace(day=1) - timedelta(days=1)
    started = time.perf_counter()
    outcome = await do_release(
        db, [*real, *synthetic], Period.month(last.year, last.month), today=today, progress=print
    )
    seconds = time.perf_counter() - started
    for line in outcome.lines():
        print(line)
    towns = len(outcome.results)
    if seconds > LIMIT_SECONDS:
        print(f"bench: metrics_release took {seconds:.1f} s, over the {LIMIT_SECONDS:.0f} s limit")
    return f"bench metrics_release towns={towns} seconds={seconds:.1f}"
