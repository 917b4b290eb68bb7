"""Demo 地域づくり for ``make run``: places across each demo town's areas and six months of
activities, and a few unmet needs in the plans of open cases (so the gap list has content).

EVERYTHING HERE IS FICTITIOUS. The places are the demo registry's 居場所・交流 entries (a
サロン in every area, the town's 居場所 and cafés, linked by ``service_id``) plus a few
子ども食堂 and 多世代交流 places of the areas' own; every name ends in （架空）. Activities
follow each kind's rhythm (a サロン monthly, a 子ども食堂 twice a month …) with participants
by age band in plausible ranges and the agencies that would take part.

Idempotent: places are added when missing (by name) and only new places get activities;
plan needs are seeded once (not when the tenant has any).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Assessment, Case, PlanUnmetNeed, SupportPlan
from kasane.core.cases.plan_needs import NEED_LABELS, PlanNeedInput, do_save_plan_needs
from kasane.core.community.models import CommunityPlace
from kasane.core.community.services import do_add_place, do_record_activity
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.core.japan_time import JST, today_jst
from kasane.core.registry.models import Attribute, Service, TaxonomyTerm
from kasane.tenants.models import Tenant

MONTHS = 6
Place = tuple[str, str | None, uuid.UUID | None]  # name, area, registry service
# kind → (activities a month, (min, max) participants per age band, agency fields)
RHYTHM: dict[str, tuple[int, dict[str, tuple[int, int]], tuple[str, ...]]] = {
    "salon": (
        1,
        {"children": (0, 0), "youth": (0, 0), "working_age": (0, 3), "older": (8, 20)},
        ("elderly", "general"),
    ),
    "kodomo_shokudo": (
        2,
        {"children": (12, 30), "youth": (0, 6), "working_age": (4, 12), "older": (2, 6)},
        ("children", "poverty"),
    ),
    "cafe": (
        2,
        {"children": (0, 2), "youth": (0, 3), "working_age": (3, 8), "older": (5, 12)},
        ("elderly", "health"),
    ),
    "ibasho": (
        3,
        {"children": (0, 4), "youth": (2, 8), "working_age": (2, 6), "older": (1, 5)},
        ("general", "poverty", "health"),
    ),
}
# Notes for the seeded plan needs, one per category (fictitious, no person in them).
NEED_NOTES: dict[str, str] = {
    "ibasho": "歩いて通える居場所が近くにない（架空）",
    "work_trial": "体力に合う短時間の就労体験先がない（架空）",
    "housing": "保証人なしで入れる住まいが見つからない（架空）",
    "watch": "夜間の見守りの担い手がいない（架空）",
    "transport": "通院・買い物の移動手段がない（架空）",
    "childcare": "夕方以降に預けられる先がない（架空）",
    "care_service": "短期入所の空きがない（架空）",
    "other": "制度の狭間で合う支援がない（架空）",
}
EXTRA_NEEDS = ("transport", "childcare", "watch", "ibasho")
PLANNED_CASES = 6


def _kind(name: str) -> str:
    if "サロン" in name:
        return "salon"
    if "食堂" in name:
        return "kodomo_shokudo"
    if "カフェ" in name:
        return "cafe"
    return "ibasho"


async def _registry_places(s: AsyncSession) -> list[Place]:
    """(name, area, service id) of the registry's active 居場所・交流 entries."""
    rows = await s.execute(
        select(Service.name, Service.area_key, Service.id)
        .join(Attribute, Attribute.link_id == Service.id)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
        .where(TaxonomyTerm.code == "ibasho", Service.status == "active")
        .order_by(Service.name)
    )
    return [(n, a, i) for n, a, i in rows.all()]


def _own_places(config: TenantConfig) -> list[Place]:
    """A 子ども食堂 in every third area and a 多世代 café in every fourth (not in the registry)."""
    out: list[Place] = []
    for i, area in enumerate(config.areas):
        short = area.name.replace("（", "").replace("）", "")[:12]
        if i % 3 == 1:
            out.append((f"{short} こども食堂（架空）", area.key, None))
        if i % 4 == 2:
            out.append((f"{short} 多世代交流カフェ（架空）", area.key, None))
    return out


def _months(today: date) -> list[date]:
    """The first day of each of the last ``MONTHS`` months, this one included."""
    first, out = today.replace(day=1), []
    for _ in range(MONTHS):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out


def _agencies(config: TenantConfig, fields: tuple[str, ...], rng: random.Random) -> list[str]:
    pool = [a.key for a in config.agencies if a.field in fields]
    return rng.sample(pool, k=rng.randint(0, min(2, len(pool)))) if pool else []


async def _seed_places(
    s: AsyncSession, config: TenantConfig, actor: ActorInfo, rng: random.Random
) -> tuple[int, int]:
    have = set((await s.execute(select(CommunityPlace.name))).scalars())
    today = today_jst()
    places = activities = 0
    for name, area, service_id in await _registry_places(s) + _own_places(config):
        if name in have:
            continue
        have.add(name)
        kind = _kind(name)
        place = await do_add_place(
            s, actor, name=name, kind=kind, area_key=area, service_id=service_id
        )
        places += 1
        for month in _months(today):
            activities += await gatherings(
                s, config, actor, place, month, today + timedelta(days=1), rng
            )
    return places, activities


async def gatherings(
    s: AsyncSession,
    config: TenantConfig,
    actor: ActorInfo,
    place: CommunityPlace,
    month: date,
    until: date,
    rng: random.Random,
) -> int:
    """A place's gatherings in the month starting ``month``, in its kind's rhythm, before
    ``until``; some months have none (weather, holidays). Returns how many."""
    per_month, bands, fields = RHYTHM[_kind(place.name)]
    if rng.random() < 0.15:
        return 0
    held = 0
    for day in sorted(rng.sample(range(28), k=per_month)):
        held_on = month + timedelta(days=day)
        if held_on >= until:
            continue
        await do_record_activity(
            s,
            actor,
            place_id=place.id,
            held_on=held_on,
            counts={b: rng.randint(lo, hi) for b, (lo, hi) in bands.items()},
            agencies=_agencies(config, fields, rng),
        )
        held += 1
    return held


async def _seed_plan_needs(s: AsyncSession, actor: ActorInfo) -> int:
    """Unmet needs in the latest plans of a few open cases: what their assessment found
    missing, and for some a need the planning itself brought up."""
    if (await s.execute(select(PlanUnmetNeed.id).limit(1))).first():
        return 0
    cases = (
        await s.execute(
            select(Case)
            .where(Case.stage.in_(("plan_draft", "decision", "support", "monitoring")))
            .order_by(Case.case_no)
        )
    ).scalars()
    seeded = 0
    for case in cases:
        plan = (
            await s.execute(
                select(SupportPlan)
                .where(SupportPlan.case_id == case.id)
                .order_by(SupportPlan.version.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if plan is None:
            continue
        assessed = (
            await s.execute(
                select(Assessment.unmet_needs)
                .where(Assessment.case_id == case.id)
                .order_by(Assessment.version.desc())
                .limit(1)
            )
        ).scalar_one_or_none() or []
        wanted = [n for n in assessed if n in NEED_LABELS][:1]
        if seeded % 2 == 0:
            wanted.append(EXTRA_NEEDS[seeded // 2 % len(EXTRA_NEEDS)])
        needs = [
            PlanNeedInput(n, case.area_key, NEED_NOTES.get(n, "")) for n in dict.fromkeys(wanted)
        ]
        if not needs:
            continue
        on = plan.created_at.astimezone(JST).date()
        await do_save_plan_needs(s, actor, case, plan, needs, on=on)
        seeded += 1
        if seeded == PLANNED_CASES:
            break
    return seeded


async def seed_community(
    db: Database, tenant: Tenant, config: TenantConfig, accounts: Mapping[str, StaffAccount]
) -> list[str]:
    """Seed the tenant's demo places, activities and plan needs where missing.

    Args:
        accounts: the demo accounts by username; the supervisor records it all.
    Returns:
        What was created, one line (empty when nothing was).
    """
    rng = random.Random(f"community:{tenant.slug}")
    actor = ActorInfo.of(accounts["supervisor"])
    async with db.session(tenant.id) as s:
        places, activities = await _seed_places(s, config, actor, rng)
        planned = await _seed_plan_needs(s, actor)
    if not (places or planned):
        return []
    return [
        f"community {tenant.slug}: {places} places, {activities} activities, "
        f"unmet needs in {planned} plans"
    ]
