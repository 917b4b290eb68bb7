"""Agenda proposals drawn from the state of the cases (the host then edits the agenda).

A consent-based meeting (重層的支援会議) gets plans awaiting 支援決定, monitoring due by the
meeting date, cases awaiting evaluation and closure, and new 多機関協働 cases; a meeting
under 106条の6 (支援会議) also gets early-detection cases and unnamed outreach records.
Only cases some member agency takes part in are proposed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Case, CaseAgency, CollaborationPeriod, SupportPlan
from kasane.core.config_types import MeetingType
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.outreach.models import OutreachRecord


@dataclass(frozen=True)
class Proposal:
    kind: str
    case_id: uuid.UUID | None
    outreach_id: uuid.UUID | None
    title: str


async def propose_agenda(
    session: AsyncSession, meeting: Meeting, mt: MeetingType, day: date
) -> list[Proposal]:
    """What the cases' state suggests for this meeting, minus what is already on it."""
    if not mt.discusses_cases:
        return []
    taken = set(
        (
            await session.execute(
                select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)
            )
        ).scalars()
    )
    members_take_part = exists().where(
        CaseAgency.case_id == Case.id,
        CaseAgency.ended_on.is_(None),
        CaseAgency.agency_key.in_(mt.members),
    )
    open_cases = select(Case).where(members_take_part, Case.stage.not_in(("closed",)))
    proposals: list[Proposal] = []

    def add(kind: str, case: Case) -> None:
        if case.id not in taken:
            taken.add(case.id)
            proposals.append(Proposal(kind, case.id, None, f"No.{case.case_no}"))

    decides = set(mt.decisions)
    if "support_decision" in decides:
        has_plan = exists().where(SupportPlan.case_id == Case.id)
        for case in (
            await session.execute(open_cases.where(Case.stage == "plan_draft", has_plan))
        ).scalars():
            add("support_decision", case)
    if decides & {"plan_change", "continuation", "support_decision"}:
        for case in (
            await session.execute(
                open_cases.where(
                    Case.stage.in_(("support", "monitoring")), Case.next_monitoring_on <= day
                )
            )
        ).scalars():
            add("monitoring", case)
    if "closure" in decides:
        for case in (await session.execute(open_cases.where(Case.stage == "evaluation"))).scalars():
            add("evaluation", case)
    recent = exists().where(
        CollaborationPeriod.case_id == Case.id,
        CollaborationPeriod.ended_on.is_(None),
        CollaborationPeriod.started_on >= day - timedelta(days=60),
    )
    for case in (
        await session.execute(open_cases.where(recent, Case.stage.in_(("intake", "assessment"))))
    ).scalars():
        add("new_collaboration", case)
    if mt.legal_basis != "consent":
        for case in (
            await session.execute(open_cases.where(Case.stage.in_(("reception", "intake"))))
        ).scalars():
            add("early_detection", case)
        on_agenda = set(
            (
                await session.execute(
                    select(AgendaItem.outreach_id).where(AgendaItem.meeting_id == meeting.id)
                )
            ).scalars()
        )
        for record in (
            await session.execute(
                select(OutreachRecord).where(
                    OutreachRecord.person_id.is_(None),
                    OutreachRecord.closed_on.is_(None),
                    OutreachRecord.agency_key.in_(mt.members),
                )
            )
        ).scalars():
            if record.id not in on_agenda:
                proposals.append(Proposal("outreach", None, record.id, record.title))
    return proposals
