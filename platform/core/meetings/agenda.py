"""Agenda proposals drawn from the state of the cases (the host then edits the agenda).

Which cases are proposed, and as what, is the town's rule (``kasane_agenda_rules``), by
default the core's (:func:`kasane.core.rules.core.agenda`): plans awaiting 支援決定,
monitoring due, evaluation and closure, new 多機関協働 cases, and for a meeting under
106条の6 (支援会議) early-detection cases. A meeting under 106条の6 also gets unnamed outreach
records. Only cases some member agency takes part in are offered to the rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Case, CaseAgency
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.outreach.models import OutreachRecord
from kasane.core.rules.apply import agenda_for, case_snapshots
from kasane.core.rules.runner import Rules
from kasane.core.rules.snapshots import MeetingSnapshot


def _no_config() -> TenantConfig:
    """A config with nothing in it: the core's agenda rule needs no counter (a case's
    ``field`` is then "other")."""
    return TenantConfig("", [], [], [], [], [], {}, {}, {}, "default")


@dataclass(frozen=True)
class Proposal:
    kind: str
    case_id: uuid.UUID | None
    outreach_id: uuid.UUID | None
    title: str


async def propose_agenda(
    session: AsyncSession,
    meeting: Meeting,
    mt: MeetingType,
    day: date,
    rules: Rules | None = None,
    config: TenantConfig | None = None,
) -> list[Proposal]:
    """What the cases' state suggests for this meeting, minus what is already on it.

    Which case goes on as what is the town's agenda rule (``kasane_agenda_rules``; the
    core's: :func:`kasane.core.rules.core.agenda`); unnamed outreach records are the core's.
    """
    if not mt.discusses_cases:
        return []
    taken = set(
        (
            await session.execute(
                select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)
            )
        ).scalars()
    )
    cases = await _open_member_cases(session, mt)
    by_ref = {str(c.id): c for c in cases}
    snapshot = MeetingSnapshot(
        ref=str(meeting.id),
        meeting_type=mt.key,
        legal_basis=mt.legal_basis,
        decisions=tuple(mt.decisions),
        members=tuple(mt.members),
        on=day,
    )
    rules = rules or Rules.core(config or _no_config())
    offered = [
        c
        for c in await case_snapshots(session, rules.config, cases, day)
        if by_ref[c.ref].id not in taken
    ]
    proposals = [
        Proposal(kind, by_ref[ref].id, None, f"No.{by_ref[ref].case_no}")
        for ref, kind in await agenda_for(rules, snapshot, offered)
    ]
    if mt.legal_basis != "consent":
        proposals += await _outreach_proposals(session, meeting, mt)
    return proposals


async def _open_member_cases(session: AsyncSession, mt: MeetingType) -> list[Case]:
    """The open cases some member agency of the meeting type takes part in."""
    members_take_part = exists().where(
        CaseAgency.case_id == Case.id,
        CaseAgency.ended_on.is_(None),
        CaseAgency.agency_key.in_(mt.members),
    )
    open_cases = select(Case).where(members_take_part, Case.stage.not_in(("closed",)))
    return list((await session.execute(open_cases)).scalars())


async def _outreach_proposals(
    session: AsyncSession, meeting: Meeting, mt: MeetingType
) -> list[Proposal]:
    """The members' open unnamed outreach records not on the agenda yet."""
    found: list[Proposal] = []
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
            found.append(Proposal("outreach", None, record.id, record.title))
    return found
