"""Places, activities and the 地域づくり indicators; the gap list (社会資源の充足状況).

Indicators per area and month: 拠点数 (places with at least one activity that month),
参加者数 (participants summed over every age band) and 参加機関数 (distinct agencies).
The gap list adds to the recorded resource gaps (meetings, failed matches, support plans)
the unmet needs of each open case's latest assessment, counted by category and the case's
area; a need the case's plan already put on the list (same category and area) counts once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Assessment, Case, SupportPlan
from kasane.core.cases.services import CaseRuleError
from kasane.core.community.models import PLACE_KINDS, CommunityActivity, CommunityPlace
from kasane.core.defaults import UNMET_NEEDS
from kasane.core.errors import NotFound
from kasane.core.gaps.models import ResourceGap
from kasane.core.gaps.services import gap_list
from kasane.core.i18n import N_
from kasane.core.participation.services import CATEGORY_LABELS

PLACE_KIND_LABELS: dict[str, str] = {
    "ibasho": N_("Place to belong (居場所)"),
    "salon": N_("Salon (サロン)"),
    "kodomo_shokudo": N_("Children's cafeteria (子ども食堂)"),
    "cafe": N_("Community café"),
    "other": N_("Other"),
}
MAX_PARTICIPANTS = 10000
# What a gap is missing (participation categories and the assessment's unmet needs) and
# where it was found: the gap list's and the reports' labels.
GAP_LABELS: dict[str, str] = {**CATEGORY_LABELS, **dict(UNMET_NEEDS)}
SOURCE_LABELS: dict[str, str] = {
    "meeting": N_("Meeting decisions"),
    "match": N_("Failed matches"),
    "assessment": N_("Assessments of open cases"),
    "plan": N_("Support plans"),
}


async def list_places(session: AsyncSession) -> list[CommunityPlace]:
    return list(
        (await session.execute(select(CommunityPlace).order_by(CommunityPlace.name))).scalars()
    )


async def recent_activities(session: AsyncSession, limit: int = 50) -> list[CommunityActivity]:
    return list(
        (
            await session.execute(
                select(CommunityActivity)
                .order_by(CommunityActivity.held_on.desc(), CommunityActivity.id.desc())
                .limit(limit)
            )
        ).scalars()
    )


async def do_add_place(
    session: AsyncSession,
    actor: ActorInfo,
    *,
    name: str,
    kind: str,
    area_key: str | None,
    service_id: uuid.UUID | None = None,
) -> CommunityPlace:
    if not name.strip():
        raise CaseRuleError(N_("Enter the place's name."))
    if kind not in PLACE_KINDS:
        raise CaseRuleError(N_("Choose the kind of place."))
    place = CommunityPlace(
        name=name.strip()[:200], kind=kind, area_key=area_key or None, service_id=service_id
    )
    session.add(place)
    await session.flush()
    await do_audit(session, actor.ref, "community.place.add", f"community_place:{place.id}")
    return place


async def do_record_activity(
    session: AsyncSession,
    actor: ActorInfo,
    *,
    place_id: uuid.UUID,
    held_on: date,
    counts: dict[str, int],
    agencies: list[str],
) -> CommunityActivity:
    place = (
        await session.execute(select(CommunityPlace).where(CommunityPlace.id == place_id))
    ).scalar_one_or_none()
    if place is None:
        raise NotFound("community_place")
    if any(n < 0 or n > MAX_PARTICIPANTS for n in counts.values()):
        raise CaseRuleError(N_("Participant numbers must be between 0 and 10000."))
    activity = CommunityActivity(
        place_id=place.id,
        held_on=held_on,
        agencies=sorted(set(agencies)),
        created_by=actor.id,
        **counts,
    )
    session.add(activity)
    await session.flush()
    await do_audit(
        session, actor.ref, "community.activity.record", f"community_activity:{activity.id}"
    )
    return activity


@dataclass
class Indicator:
    area_key: str | None
    month: str  # YYYY-MM
    places: set[uuid.UUID] = field(default_factory=set)
    participants: int = 0
    agencies: set[str] = field(default_factory=set)

    @property
    def place_count(self) -> int:  # 拠点数
        return len(self.places)

    @property
    def agency_count(self) -> int:  # 参加機関数
        return len(self.agencies)


async def indicators(session: AsyncSession, since: date | None = None) -> list[Indicator]:
    """拠点数, 参加者数, 参加機関数 per area and month, latest month first; from the month of
    ``since`` on when given (the page's recent months), else every month."""
    stmt = select(CommunityActivity, CommunityPlace.area_key).join(
        CommunityPlace,
        (CommunityPlace.tenant_id == CommunityActivity.tenant_id)
        & (CommunityPlace.id == CommunityActivity.place_id),
    )
    if since is not None:
        stmt = stmt.where(CommunityActivity.held_on >= since.replace(day=1))
    rows = (await session.execute(stmt)).all()
    out: dict[tuple[str | None, str], Indicator] = {}
    for activity, area_key in rows:
        month = activity.held_on.strftime("%Y-%m")
        ind = out.setdefault((area_key, month), Indicator(area_key, month))
        ind.places.add(activity.place_id)
        ind.participants += activity.participants
        ind.agencies.update(activity.agencies or [])
    return sorted(out.values(), key=lambda i: (i.month, i.area_key or ""), reverse=True)


@dataclass
class GapLine:
    category: str
    area_key: str | None
    recorded: int = 0  # resource gaps recorded (meetings, failed matches, plans)
    sources: set[str] = field(default_factory=set)
    assessed: int = 0  # open cases whose latest assessment names the need

    @property
    def total(self) -> int:
        return self.recorded + self.assessed


async def _planned_gaps(session: AsyncSession) -> set[tuple[uuid.UUID, str, str | None]]:
    """(case, category, area) of every open gap a support plan recorded."""
    rows = await session.execute(
        select(SupportPlan.case_id, ResourceGap.category, ResourceGap.area_key)
        .join(
            SupportPlan,
            (SupportPlan.tenant_id == ResourceGap.tenant_id)
            & (SupportPlan.id == ResourceGap.source_id),
        )
        .where(ResourceGap.source == "plan", ResourceGap.resolved_on.is_(None))
    )
    return {(c, cat, area) for c, cat, area in rows.all()}


async def gap_overview(session: AsyncSession) -> list[GapLine]:
    """The gap list by category and area, most frequent first."""
    lines: dict[tuple[str, str | None], GapLine] = {}

    def line(category: str, area_key: str | None) -> GapLine:
        return lines.setdefault((category, area_key), GapLine(category, area_key))

    for row in await gap_list(session):
        g = line(row.category, row.area_key)
        g.recorded += row.count
        g.sources.update(s for s in row.sources if s)
    latest: dict[uuid.UUID, tuple[int, list[str], str | None]] = {}
    rows = (
        await session.execute(
            select(Assessment.case_id, Assessment.version, Assessment.unmet_needs, Case.area_key)
            .join(Case, (Case.tenant_id == Assessment.tenant_id) & (Case.id == Assessment.case_id))
            .where(Case.stage != "closed")
        )
    ).all()
    for case_id, version, needs, area_key in rows:
        if case_id not in latest or latest[case_id][0] < version:
            latest[case_id] = (version, list(needs or []), area_key)
    planned = await _planned_gaps(session)
    counts: dict[tuple[str, str | None], int] = defaultdict(int)
    for case_id, (_version, needs, area_key) in latest.items():
        for need in set(needs):
            if (case_id, need, area_key) not in planned:
                counts[(need, area_key)] += 1
    for (need, area_key), n in counts.items():
        g = line(need, area_key)
        g.assessed += n
        g.sources.add("assessment")
    return sorted(lines.values(), key=lambda g: (-g.total, g.category, g.area_key or ""))
