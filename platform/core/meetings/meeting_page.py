"""The meeting pages' read models: the calendar's rows, and one meeting's papers.

The forms they show are in :mod:`kasane.core.meetings.meeting_forms`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Case, CaseAgency, CaseDecision
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.consent.services import valid_consent
from kasane.core.defaults import UNMET_NEEDS
from kasane.core.gaps.models import ResourceGap
from kasane.core.japan_time import JST
from kasane.core.meetings.agenda import Proposal, propose_agenda
from kasane.core.meetings.meeting_forms import (
    BASIS_BADGES,
    DECISION_LABELS,
    ITEM_STATUSES,
    LEGAL_BASES,
    item_forms,
    item_prefix,
    meeting_forms,
)
from kasane.core.meetings.models import (
    AGENDA_KINDS,
    MEETING_STATUSES,
    AgendaItem,
    Attendance,
    Meeting,
)
from kasane.core.meetings.services import agenda_of
from kasane.core.outreach.models import OutreachRecord
from kasane.core.people.models import Person
from kasane.core.protection.sealing import unseal
from kasane.core.rules.runner import Rules
from kasane.core.web.templating import WEEKDAYS

UPCOMING_DAYS = 60
GENERATE_MARGIN = timedelta(weeks=3)  # generated around the shown month


# ------------------------------------------------------------------ the calendar


def month_bounds(month: str | None, today: date) -> date:
    """The first day of ``month`` ("2026-12"); this month when missing or not sensible."""
    try:
        year, mon = (int(x) for x in (month or "").split("-"))
        first = date(year, mon, 1)
    except ValueError:
        return today.replace(day=1)
    return first if abs(first.year - today.year) <= 10 else today.replace(day=1)


def add_months(first: date, n: int) -> date:
    """The first day of the month ``n`` months after (or before) ``first``."""
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def jst_start(day: date) -> datetime:
    """Midnight in Japan at the start of ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(UTC)


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as the calendar lists it (times in Japan)."""

    meeting: Meeting
    name: str
    day: date
    start: str
    end: str


def rows_of(meetings: list[Meeting], config: TenantConfig) -> list[MeetingRow]:
    """Calendar rows (type name, JST day and times) for ``meetings``."""
    rows = []
    for m in meetings:
        mt = config.meeting_type(m.meeting_type_key)
        start, end = m.starts_at.astimezone(JST), m.ends_at.astimezone(JST)
        rows.append(
            MeetingRow(
                m,
                mt.name if mt else m.meeting_type_key,
                start.date(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
            )
        )
    return rows


def by_day(rows: list[MeetingRow]) -> list[tuple[date, list[MeetingRow]]]:
    """Rows grouped by their JST day, earliest first."""
    days: dict[date, list[MeetingRow]] = {}
    for row in rows:
        days.setdefault(row.day, []).append(row)
    return sorted(days.items())


# ------------------------------------------------------------------ one meeting


@dataclass
class ItemView:
    """An agenda item with its case, unsealed discussion and this meeting's decisions."""

    item: AgendaItem
    prefix: str
    case: Case | None
    discussion: str
    decisions: list[CaseDecision] = field(default_factory=list)
    person_name: str = ""  # members see whom the item is about (decision 0006)


@dataclass(frozen=True)
class ProposalView:
    """A proposal and, for a consent-based meeting, whether consent covers it now."""

    proposal: Proposal
    consent: bool | None  # for a consent-based meeting: is there a valid consent now


async def eligible_case(
    session: AsyncSession,
    mt: MeetingType,
    *,
    case_id: uuid.UUID | None = None,
    case_no: int | None = None,
) -> Case | None:
    """An open case some member agency takes part in (what may go on this meeting's
    agenda at all), by id or number; None otherwise — the caller says "no such case"."""
    members_take_part = exists().where(
        CaseAgency.case_id == Case.id,
        CaseAgency.ended_on.is_(None),
        CaseAgency.agency_key.in_(mt.members),
    )
    query = select(Case).where(members_take_part, Case.stage != "closed")
    if case_id is not None:
        query = query.where(Case.id == case_id)
    elif case_no is not None:
        query = query.where(Case.case_no == case_no)
    else:
        return None
    return (await session.execute(query)).scalar_one_or_none()


async def eligible_outreach(
    session: AsyncSession, mt: MeetingType, outreach_id: uuid.UUID
) -> OutreachRecord | None:
    """An open, unnamed outreach record followed by a member agency."""
    return (
        await session.execute(
            select(OutreachRecord).where(
                OutreachRecord.id == outreach_id,
                OutreachRecord.person_id.is_(None),
                OutreachRecord.closed_on.is_(None),
                OutreachRecord.agency_key.in_(mt.members),
            )
        )
    ).scalar_one_or_none()


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date in Japan."""
    return meeting.starts_at.astimezone(JST).date()


async def page_context(
    session: AsyncSession,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    today: date,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Everything the meeting page shows (the caller audits the read). ``rules``: the
    town's (its agenda rule proposes the cases); by default the core's."""
    views = await _item_views(session, meeting)
    proposals = await _proposal_views(session, config, meeting, mt, today, rules)
    present = await _present_agencies(session, meeting)
    gaps = await _gaps_found(session, meeting)
    start, end = meeting.starts_at.astimezone(JST), meeting.ends_at.astimezone(JST)
    return {
        "meeting": meeting,
        "mt": mt,
        "day": start.date(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "items": views,
        "proposals": proposals,
        "present": present,
        "minutes": await unseal(session, "meetings", meeting.id, "minutes", meeting.minutes_sealed),
        "gaps": gaps,
        "forms": meeting_forms(config, mt),
        "item_forms": item_forms(config, mt),
        "agenda_kinds": AGENDA_KINDS,
        "decision_labels": DECISION_LABELS,
        "basis_badges": BASIS_BADGES,
        "legal_bases": LEGAL_BASES,
        "item_statuses": ITEM_STATUSES,
        "unmet_needs": dict(UNMET_NEEDS),
        "statuses": MEETING_STATUSES,
        "weekday": WEEKDAYS[start.weekday()],
    }


async def _item_views(session: AsyncSession, meeting: Meeting) -> list[ItemView]:
    """The agenda's items, each with its case, whom it is about, discussion and decisions."""
    items = await agenda_of(session, meeting)
    case_ids = [i.case_id for i in items if i.case_id]
    cases = (
        {
            c.id: c
            for c in (await session.execute(select(Case).where(Case.id.in_(case_ids)))).scalars()
        }
        if case_ids
        else {}
    )
    # An item on the agenda is a recorded disclosure to the meeting's members (0006): they
    # see whom it is about, not only its number.
    names: dict[uuid.UUID, str] = {}
    if cases:
        names = {
            pid: name
            for pid, name in (
                await session.execute(
                    select(Person.id, Person.name).where(
                        Person.id.in_({c.person_id for c in cases.values()})
                    )
                )
            ).all()
        }
    decisions: dict[uuid.UUID, list[CaseDecision]] = {}
    for d in (
        await session.execute(
            select(CaseDecision)
            .where(CaseDecision.meeting_id == meeting.id)
            .order_by(CaseDecision.at)
        )
    ).scalars():
        decisions.setdefault(d.case_id, []).append(d)
    return [
        ItemView(
            i,
            item_prefix(i),
            cases.get(i.case_id) if i.case_id else None,
            await unseal(session, "agenda_items", i.id, "discussion", i.discussion_sealed),
            decisions.get(i.case_id, []) if i.case_id else [],
            names.get(cases[i.case_id].person_id, "") if i.case_id in cases else "",
        )
        for i in items
    ]


async def _proposal_views(
    session: AsyncSession,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    today: date,
    rules: Rules | None,
) -> list[ProposalView]:
    """The cases the agenda rule proposes (none for a cancelled meeting), with consent."""
    proposals: list[ProposalView] = []
    if meeting.status != "cancelled":
        found = await propose_agenda(
            session, meeting, mt, meeting_day(meeting), rules or Rules.core(config)
        )
        people = {
            c.id: c.person_id
            for c in (
                await session.execute(
                    select(Case).where(Case.id.in_([p.case_id for p in found if p.case_id]))
                )
            ).scalars()
        }
        for p in found:
            consent = None
            if mt.legal_basis == "consent" and p.case_id in people:
                consent = (
                    await valid_consent(session, people[p.case_id], today, meeting_type=mt.key)
                    is not None
                )
            proposals.append(ProposalView(p, consent))
    return proposals


async def _present_agencies(session: AsyncSession, meeting: Meeting) -> set[str]:
    """The agencies marked present at the meeting."""
    return {
        a.agency_key
        for a in (
            await session.execute(
                select(Attendance).where(
                    Attendance.meeting_id == meeting.id, Attendance.present.is_(True)
                )
            )
        ).scalars()
    }


async def _gaps_found(session: AsyncSession, meeting: Meeting) -> list[ResourceGap]:
    """The resource gaps the meeting recorded, oldest first."""
    return list(
        (
            await session.execute(
                select(ResourceGap)
                .where(ResourceGap.source == "meeting", ResourceGap.source_id == meeting.id)
                .order_by(ResourceGap.created_at)
            )
        ).scalars()
    )
