"""Candidates for participation: the town's menus and its own active registry services,
ranked for a case by its unmet needs, its area, the next opening, accessibility and free
places (full ones last; a menu or service already proposed or started is left out).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Assessment, Case
from kasane.core.cases.plan_needs import latest_plan_needs
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import N_
from kasane.core.participation.models import ParticipationMatch
from kasane.core.registry.graph import load_graph
from kasane.core.registry.models import Service
from kasane.core.registry.schedules import describe, occurs_on

# Unmet needs (assessment checkboxes) → participation menu categories.
NEED_CATEGORIES: dict[str, set[str]] = {
    "ibasho": {"ibasho"},
    "work_trial": {"work_trial"},
    "housing": {"housing_watch"},
    "watch": {"housing_watch"},
}
# Registry taxonomy term codes → participation menu categories.
TERM_CATEGORIES: dict[str, str] = {
    "ibasho": "ibasho",
    "shuro": "work_trial",
    "volunteer": "volunteer",
    "sumai": "housing_watch",
    "mimamori": "housing_watch",
    "manabi": "learning",
}
ACTIVE = ("proposed", "started")  # a match that takes a place


@dataclass
class Candidate:
    """One thing the person could take part in, with its score and the reasons for it."""

    kind: str  # "menu" | "service"
    ref: str  # menu key or service id
    name: str
    category: str
    area_key: str | None
    organization_id: uuid.UUID | None = None
    schedule: str = ""
    capacity: int | None = None
    free: int | None = None  # places left (None: no limit)
    score: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.free is not None and self.free <= 0


async def unmet_needs(session: AsyncSession, case: Case) -> list[str]:
    """The unmet needs of the case's latest assessment and of its latest plan."""
    latest = (
        await session.execute(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    found = list(latest.unmet_needs) if latest else []
    for need in await latest_plan_needs(session, case.id):
        if need.category not in found:
            found.append(need.category)
    return found


def nearby_areas(config: TenantConfig, area_key: str | None) -> tuple[set[str], set[str]]:
    """(the area itself, its parent and children) — empty when the case has no area."""
    if not area_key:
        return set(), set()
    area = config.area(area_key)
    near = {a.key for a in config.areas if a.parent == area_key}
    if area and area.parent:
        near.add(area.parent)
    return {area_key}, near


async def started_counts(session: AsyncSession) -> Counter[str]:
    rows = (
        await session.execute(
            select(ParticipationMatch.menu_key).where(
                ParticipationMatch.status == "started", ParticipationMatch.menu_key.is_not(None)
            )
        )
    ).scalars()
    return Counter(r for r in rows if r)


def _rank(c: Candidate, wanted: set[str], own: set[str], near: set[str]) -> bool:
    """Score ``c``; False when its area rules it out."""
    if c.category in wanted:
        c.score += 4
        c.reasons.append(N_("Meets an unmet need"))
    if own:
        if c.area_key in own:
            c.score += 3
            c.reasons.append(N_("In the person's area"))
        elif c.area_key in near:
            c.score += 2
            c.reasons.append(N_("In a neighbouring area"))
        elif c.area_key is None:
            c.score += 1
            c.reasons.append(N_("Serves the whole town"))
        else:
            return False
    if c.schedule:
        c.score += 1
        c.reasons.append(N_("Has regular openings"))
    if c.full:
        c.score -= 10
        c.reasons.append(N_("Full"))
    elif c.free is not None:
        c.score += 1
        c.reasons.append(N_("Has free places"))
    return True


def _opens_soon(schedules: Sequence[object], today: date) -> bool:
    return any(occurs_on(s, today + timedelta(days=d)) for s in schedules for d in range(28))


async def candidates(
    session: AsyncSession, config: TenantConfig, case: Case, today: date
) -> list[Candidate]:
    """Menus and registry services for the case, ranked best first (full ones last)."""
    wanted = {c for n in await unmet_needs(session, case) for c in NEED_CATEGORIES.get(n, set())}
    own, near = nearby_areas(config, case.area_key)
    taken = {
        (m.menu_key or str(m.service_id))
        for m in (
            await session.execute(
                select(ParticipationMatch).where(
                    ParticipationMatch.case_id == case.id, ParticipationMatch.status.in_(ACTIVE)
                )
            )
        ).scalars()
    }
    found = [
        *await _menu_candidates(session, config),
        *await _service_candidates(session, wanted, today),
    ]
    ranked = [c for c in found if c.ref not in taken and _rank(c, wanted, own, near)]
    return sorted(ranked, key=lambda c: (-c.score, c.name))


async def _menu_candidates(session: AsyncSession, config: TenantConfig) -> list[Candidate]:
    """The town's participation menus, with their free places."""
    started = await started_counts(session)
    return [
        Candidate(
            "menu",
            menu.key,
            menu.name,
            menu.category,
            menu.area,
            schedule=menu.schedule,
            capacity=menu.capacity,
            free=None if menu.capacity is None else menu.capacity - started[menu.key],
        )
        for menu in config.participation_menus
    ]


async def _service_candidates(
    session: AsyncSession, wanted: set[str], today: date
) -> list[Candidate]:
    """Active registry services whose terms map to a participation category (the wanted
    one when they have several), with their next opening and accessibility."""
    ids = list(
        (await session.execute(select(Service.id).where(Service.status == "active"))).scalars()
    )
    graph = await load_graph(session, ids)
    found = []
    for sid in ids:
        service = graph.services.get(sid)
        if service is None:
            continue
        codes = [t.code or "" for t in graph.service_terms(sid)]
        cats = [TERM_CATEGORIES[c] for c in codes if c in TERM_CATEGORIES]
        if not cats:
            continue
        schedules = graph.service_schedules(sid)
        c = Candidate(
            "service",
            str(sid),
            service.name,
            next((c for c in cats if c in wanted), cats[0]),
            service.area_key,
            organization_id=service.organization_id,
            schedule=describe(schedules[0]) if _opens_soon(schedules, today) else "",
        )
        if any(
            graph.children("accessibility", "location_id", loc.id)
            for loc in graph.service_locations(sid)
        ):
            c.score += 1
            c.reasons.append(N_("Accessibility noted"))
        found.append(c)
    return found
