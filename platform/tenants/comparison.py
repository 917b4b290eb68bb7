"""A tenant's part in the central comparison: its opt-in and population, and the towns the
release job counts.

The tenant admin turns the comparison on or off and states the population the rates use
(``/admin/sharing``); both changes are audited in the tenant's own chain. The release job
(:func:`opted_in_towns`) counts only the tenants that are on, each through the reports'
exact aggregation API in a session bound to that tenant; a tenant that is off is simply not
given to the job, so it is absent from every new release (what was released before stays).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.central.cells import Exact
from kasane.central.release_types import Grouping, Town
from kasane.core.audit.services import do_audit
from kasane.core.db import Database
from kasane.core.i18n import N_
from kasane.core.reports.counting import get_figures
from kasane.core.reports.periods import Period
from kasane.tenants.models import Tenant
from kasane.tenants.services import TenantResolver

MAX_POPULATION = 20_000_000  # no municipality comes near; a typo with extra digits does


def check_population(raw: str) -> tuple[int | None, str | None]:
    """The population as a whole number, or what is wrong with it (English msgid)."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_POPULATION:
        return None, N_("Enter the population as a whole number")
    return int(text), None


async def do_set_sharing(
    session: AsyncSession, tenant_id: uuid.UUID, *, opt_in: bool, population: int, actor: str
) -> list[str]:
    """Set the tenant's opt-in and population in a session bound to that tenant; each
    change is audited. Returns the names of what changed."""
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None or session.info.get("tenant_id") != tenant_id:
        raise LookupError(tenant_id)
    changed = []
    if tenant.population != population:
        old, tenant.population = tenant.population, population
        await do_audit(
            session, actor, "tenant.population", f"tenant:{tenant_id}", old=old, new=population
        )
        changed.append("population")
    if tenant.comparison_opt_in != opt_in:
        tenant.comparison_opt_in = opt_in
        await do_audit(session, actor, "tenant.comparison", f"tenant:{tenant_id}", opt_in=opt_in)
        changed.append("comparison_opt_in")
    return changed


async def get_sharing(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise LookupError(tenant_id)
    return tenant


async def opted_in_towns(db: Database) -> list[Town]:
    """Every tenant that takes part (on, and not cancelled), as a town the job counts."""
    resolver = TenantResolver(db, "")  # resolving a slug needs no domain
    async with db.session() as s:
        rows = (
            await s.execute(
                select(Tenant)
                .where(Tenant.comparison_opt_in.is_(True), Tenant.status != "cancelled")
                .order_by(Tenant.municipality_code)
            )
        ).scalars()
        tenants = list(rows)
    towns = []
    for t in tenants:
        context = await resolver.resolve(t.slug)
        if context is None:
            continue
        towns.append(
            Town(
                t.municipality_code,
                t.name,
                t.prefecture,
                t.population,
                _counter(db, context.id, context.config),
                audit=_auditor(db, t.id),
            )
        )
    return towns


def _counter(db: Database, tenant_id: uuid.UUID, config: Any) -> Any:
    async def count(
        period: Period, keys: Sequence[str], groupings: Sequence[Grouping], today: date
    ) -> Mapping[str, Exact]:
        async with db.session(tenant_id) as s:
            return await get_figures(s, config, keys, period, groupings, today=today)

    return count


def _auditor(db: Database, tenant_id: uuid.UUID) -> Any:
    async def audit(release_key: str, detail: dict[str, Any]) -> None:
        async with db.session(tenant_id) as s:
            await do_audit(
                s, "metrics-release", "central.release", f"release:{release_key}", **detail
            )

    return audit
