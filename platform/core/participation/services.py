"""Matching a person to participation: candidates ranked by need, area, schedule,
accessibility and free capacity; a match goes proposed → started → 定着支援 → ended.

The person's needs are the unmet needs of the case's latest assessment and latest plan.
Candidates are the plugin's participation menus and the tenant's own active registry
services (a neighbour's shared entries are only read, never matched). A failed match whose
reason is "no place fits" is recorded as a resource gap (source "match").
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import CaseRuleError
from kasane.core.config_types import TenantConfig
from kasane.core.db import uuid7
from kasane.core.errors import NotFound
from kasane.core.gaps.services import do_record_gap
from kasane.core.i18n import N_
from kasane.core.participation.candidates import candidates, started_counts
from kasane.core.participation.models import ParticipationMatch, RetentionContact
from kasane.core.protection.sealing import seal, unseal

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
        started = await started_counts(session)
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
