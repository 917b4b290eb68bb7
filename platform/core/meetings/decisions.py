"""Decisions taken at a meeting, applied through the case state machine and audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.decisions import do_record_decision
from kasane.core.cases.models import Case
from kasane.core.cases.services import (
    CaseRuleError,
    active_agencies,
    do_add_agency,
    do_move,
    do_set_lead,
)
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.gaps.services import do_record_gap
from kasane.core.i18n import N_
from kasane.core.japan_time import JST
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.meetings.services import MeetingRuleError


async def do_meeting_decision(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    item: AgendaItem,
    *,
    kind: str,
    today: date,
    note: str = "",
    lead_agency: str | None = None,
    add_agency: str | None = None,
    gap_category: str | None = None,
    gap_area: str | None = None,
) -> None:
    """Apply one decision on an agenda item.

    支援決定 / 終結 / 中断 move the case; 継続 on a suspended case resumes it (再開); a plan
    change sends it back to the draft plan; a role assignment brings an agency in and/or
    hands it the lead; resource development becomes an entry in the gap list.
    """
    if kind not in mt.decisions:
        raise MeetingRuleError(N_("This meeting may not take that decision."))
    # A decision of the meeting is dated on the meeting's day, whenever it is typed in.
    meeting_day = meeting.starts_at.astimezone(JST).date()
    if meeting.status == "cancelled":
        raise MeetingRuleError(N_("This meeting is cancelled."))
    case = (
        await session.get(Case, (session.info["tenant_id"], item.case_id)) if item.case_id else None
    )
    await _apply_decision(
        session,
        actor,
        config,
        meeting,
        mt,
        case,
        kind=kind,
        meeting_day=meeting_day,
        today=today,
        note=note,
        lead_agency=lead_agency,
        add_agency=add_agency,
        gap_category=gap_category,
        gap_area=gap_area,
    )
    item.status = "decided"
    await do_audit(
        session,
        actor.ref,
        "meeting.decision",
        f"meeting:{meeting.id}",
        kind=kind,
        item=str(item.id),
    )


async def _apply_decision(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    case: Case | None,
    *,
    kind: str,
    meeting_day: date,
    today: date,
    note: str,
    lead_agency: str | None,
    add_agency: str | None,
    gap_category: str | None,
    gap_area: str | None,
) -> None:
    """What the decision does: a gap-list entry, a role, or a step of the case."""
    if kind == "resource_development":
        if not gap_category:
            raise MeetingRuleError(N_("Name the kind of resource that is missing."))
        await do_record_gap(
            session,
            actor,
            category=gap_category,
            area_key=gap_area or (case.area_key if case else None),
            source="meeting",
            source_id=meeting.id,
            on=today,
            description=note,
        )
    elif case is None and kind in ("information_sharing", "system_review"):
        pass  # e.g. an unnamed outreach record: what was shared is the discussion note
    elif case is None:
        raise MeetingRuleError(N_("This decision needs a case on the agenda."))
    elif kind == "role_assignment":
        if not (lead_agency or add_agency):
            raise MeetingRuleError(N_("Choose the agency that takes the role."))
        await _assign_role(
            session,
            actor,
            config,
            meeting,
            mt,
            case,
            meeting_day,
            today,
            note,
            lead_agency,
            add_agency,
        )
    else:
        await _decide_on_case(
            session, actor, config, meeting, mt, case, kind, meeting_day, today, note
        )


async def _assign_role(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    case: Case,
    meeting_day: date,
    today: date,
    note: str,
    lead_agency: str | None,
    add_agency: str | None,
) -> None:
    """A role assignment: bring the agencies into the case, hand one the lead, record it."""
    kind = "role_assignment"
    basis = None if mt.legal_basis == "consent" else mt.legal_basis
    for agency in filter(None, (add_agency, lead_agency)):
        if agency not in {a.agency_key for a in await active_agencies(session, case.id)}:
            await do_add_agency(
                session,
                actor,
                config,
                case,
                agency,
                today,
                basis=basis,
                basis_note=mt.legal_basis_note,
            )
    if lead_agency:
        await do_set_lead(session, actor, case, lead_agency)
    await do_record_decision(
        session,
        actor,
        config,
        case,
        kind=kind,
        source="meeting",
        meeting_type_key=mt.key,
        meeting_id=meeting.id,
        decided_on=meeting_day,
        note=note,
        apply=False,
    )


async def _decide_on_case(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    case: Case,
    kind: str,
    meeting_day: date,
    today: date,
    note: str,
) -> None:
    """Record a decision about the case and move the case where the decision takes it."""
    await do_record_decision(
        session,
        actor,
        config,
        case,
        kind=kind,
        source="meeting",
        meeting_type_key=mt.key,
        meeting_id=meeting.id,
        decided_on=meeting_day,
        note=note,
    )
    if kind == "support_decision" and case.stage == "decision":
        try:  # 支援決定 → 支援実施 once the person has agreed to the plan
            await do_move(session, actor, case, "support", today=today)
        except CaseRuleError:
            pass  # no agreement yet: the case waits at 支援決定
    elif kind == "continuation" and case.stage == "suspended":
        await do_move(
            session,
            actor,
            case,
            case.resume_stage or "intake",
            today=today,
            note=note or "再開",
        )
    elif kind == "plan_change" and case.stage in ("support", "monitoring"):
        await do_move(session, actor, case, "plan_draft", today=today, note=note)


__all__ = ["CaseRuleError", "do_meeting_decision"]
