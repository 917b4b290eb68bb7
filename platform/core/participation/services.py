"""Matching a person to participation: candidates ranked by need, area, schedule,
accessibility and free capacity; a match goes proposed → started → 定着支援 → ended.

The person's needs are the unmet needs of the case's latest assessment and latest plan.
Candidates are the plugin's participation menus and the tenant's own active registry
services (a neighbour's shared entries are only read, never matched). A failed match whose
reason is "no place fits" is recorded as a resource gap (source "match").
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Assessment, Case
from kasane.core.cases.plan_needs import latest_plan_needs
from kasane.core.cases.services import CaseRuleError
from kasane.core.config_types import TenantConfig
from kasane.core.db import uuid7
from kasane.core.errors import NotFound
from kasane.core.gaps.services import do_record_gap
from kasane.core.i18n import N_
from kasane.core.participation.models import ParticipationMatch, RetentionContact
from kasane.core.protection.sealing import seal, unseal
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
CATEGORY_LABELS: dict[str, str] = {
    "work_trial": N_("Work experience"),
    "ibasho": N_("A place to belong"),
    "volunteer": N_("Volunteering"),
    "housing_watch": N_("Housing with watching over"),
    "learning": N_("Learning"),
    "other": N_("Other"),
}
NO_PLACE_FITS = "no_place_fits"
END_REASONS = ("goal_reached", "person_withdrew", NO_PLACE_FITS, "other")
END_REASON_LABELS: dict[str, str] = {
    "goal_reached": N_("Taking part as hoped"),
    "person_withdrew": N_("The person withdrew"),
    NO_PLACE_FITS: N_("No place fits"),
    "other": N_("Other"),
}
ACTIVE = ("proposed", "started")


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


async def _started_counts(session: AsyncSession) -> Counter[str]:
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
    started = await _started_counts(session)
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


async def case_matches(session: AsyncSession, case_id: uuid.UUID) -> list[ParticipationMatch]:
    return list(
        (
            await session.execute(
                select(ParticipationMatch)
                .where(ParticipationMatch.case_id == case_id)
                .order_by(ParticipationMatch.id)
            )
        ).scalars()
    )


async def get_match(session: AsyncSession, case: Case, match_id: uuid.UUID) -> ParticipationMatch:
    row = (
        await session.execute(
            select(ParticipationMatch).where(
                ParticipationMatch.id == match_id, ParticipationMatch.case_id == case.id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("participation_match")
    return row


async def retention_contacts(
    session: AsyncSession, match_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[date, str]]]:
    """The contacts of each match, oldest first, notes unsealed."""
    out: dict[uuid.UUID, list[tuple[date, str]]] = {m: [] for m in match_ids}
    rows = (
        await session.execute(
            select(RetentionContact)
            .where(RetentionContact.match_id.in_(match_ids))
            .order_by(RetentionContact.occurred_on, RetentionContact.id)
        )
    ).scalars()
    for r in rows:
        note = await unseal(session, "retention_contacts", r.id, "note", r.note_sealed)
        out[r.match_id].append((r.occurred_on, note))
    return out


async def do_propose_match(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    *,
    kind: str,
    ref: str,
    today: date,
) -> ParticipationMatch:
    """Propose one of the case's current candidates; a full menu or an unknown one is refused."""
    found = next(
        (
            c
            for c in await candidates(session, config, case, today)
            if c.kind == kind and c.ref == ref
        ),
        None,
    )
    if found is None:
        raise CaseRuleError(N_("This is not a candidate for the person."))
    if found.full:
        raise CaseRuleError(N_("This menu has no free places."))
    match = ParticipationMatch(
        case_id=case.id,
        person_id=case.person_id,
        menu_key=ref if kind == "menu" else None,
        service_id=uuid.UUID(ref) if kind == "service" else None,
        host_organization_id=found.organization_id,
        name=found.name[:200],
        category=found.category,
        status="proposed",
        proposed_on=today,
        created_by=actor.id,
    )
    session.add(match)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "match.propose",
        f"participation_match:{match.id}",
        case=str(case.id),
        kind=kind,
        ref=ref,
    )
    return match


async def do_start_match(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    match: ParticipationMatch,
    *,
    on: date,
) -> None:
    if match.status != "proposed":
        raise CaseRuleError(N_("Only a proposed match can start."))
    if match.menu_key:
        menu = config.menu(match.menu_key)
        started = await _started_counts(session)
        if menu and menu.capacity is not None and started[menu.key] >= menu.capacity:
            raise CaseRuleError(N_("This menu has no free places."))
    match.status, match.started_on = "started", on
    await do_audit(session, actor.ref, "match.start", f"participation_match:{match.id}")


async def do_log_retention(
    session: AsyncSession, actor: ActorInfo, match: ParticipationMatch, *, on: date, note: str
) -> RetentionContact:
    if match.status != "started":
        raise CaseRuleError(N_("Retention contacts are for a started match."))
    if not note.strip():
        raise CaseRuleError(N_("Write what the contact was about."))
    row_id = uuid7()
    contact = RetentionContact(
        id=row_id,
        match_id=match.id,
        occurred_on=on,
        note_sealed=await seal(session, "retention_contacts", row_id, "note", note.strip()),
        created_by=actor.id,
    )
    session.add(contact)
    await do_audit(session, actor.ref, "match.retention", f"participation_match:{match.id}")
    return contact


async def do_end_match(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    match: ParticipationMatch,
    *,
    reason: str,
    on: date,
) -> None:
    """End a proposed or started match; "no place fits" records a resource gap."""
    if match.status == "ended":
        raise CaseRuleError(N_("This match has already ended."))
    if reason not in END_REASONS:
        raise CaseRuleError(N_("Choose why the match ends."))
    match.status, match.ended_on = "ended", on
    match.ended_reason = reason
    await do_audit(
        session, actor.ref, "match.end", f"participation_match:{match.id}", reason=reason
    )
    if reason == NO_PLACE_FITS:
        await do_record_gap(
            session,
            actor,
            category=match.category,
            area_key=case.area_key,
            source="match",
            source_id=match.id,
            on=on,
            description=match.name,
        )
