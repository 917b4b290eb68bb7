"""The home page's worklist ("my work"): what the signed-in staff member's agency has to do.

Everything here goes through need-to-know (``visible_to``): a case the active agency does not
take part in never shows, not even as a count. Meetings are those of the types the agency is
a member of; an agenda item names its person only when the agency may see that case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, ProgressNote, StageEvent
from kasane.core.cases.services import visible_to
from kasane.core.cases.stages import NEXT_ACTIONS
from kasane.core.config_types import TenantConfig
from kasane.core.japan_time import JST
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.meetings.services import list_meetings
from kasane.core.people.models import Person
from kasane.core.referrals.models import Referral

STALLED_DAYS = 30  # an open case with nothing recorded for this long is "stalled"
RECENT_DAYS = 14
LIST_LIMIT = 30


@dataclass(frozen=True)
class WorkCase:
    id: uuid.UUID
    case_no: int
    stage: str
    person_name: str
    lead_agency_key: str
    next_monitoring_on: date | None
    updated_at: datetime

    @property
    def next_action(self) -> str:
        return NEXT_ACTIONS.get(self.stage, "")

    @property
    def next_on(self) -> date | None:
        return self.next_monitoring_on if self.stage in ("support", "monitoring") else None


@dataclass(frozen=True)
class AgendaLine:
    case_id: uuid.UUID | None  # None: the agency does not take part (no link), or outreach
    case_no: int | None
    person_name: str | None  # None: an outreach record (unnamed)
    title: str
    kind: str


@dataclass(frozen=True)
class WorkMeeting:
    meeting: Meeting
    agenda: list[AgendaLine]


@dataclass(frozen=True)
class Activity:
    at: datetime
    case_id: uuid.UUID
    case_no: int
    person_name: str
    kind: str  # stage | note
    what: str  # the stage reached or the note's kind


@dataclass
class MyWork:
    open_cases: list[WorkCase] = field(default_factory=list)
    monitoring_due: list[WorkCase] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    overdue_ids: frozenset[uuid.UUID] = frozenset()
    meetings: list[WorkMeeting] = field(default_factory=list)
    recent: list[Activity] = field(default_factory=list)
    unassigned: list[WorkCase] = field(default_factory=list)
    stalled: list[WorkCase] = field(default_factory=list)
    supervising: bool = False

    @property
    def shown_case_ids(self) -> list[str]:
        """Every case the page names (for the audit of the read)."""
        ids = {c.id for c in (*self.open_cases, *self.monitoring_due)}
        ids |= {c.id for c in (*self.unassigned, *self.stalled)}
        ids |= {a.case_id for a in self.recent}
        return sorted(str(i) for i in ids if i)


_CASE_COLUMNS = (
    Case.id,
    Case.case_no,
    Case.stage,
    Person.name,
    Case.lead_agency_key,
    Case.next_monitoring_on,
    Case.updated_at,
)


def _cases() -> Select[uuid.UUID, int, str, str, str, date | None, datetime]:
    """The worklist's case columns, with the person's name."""
    return select(*_CASE_COLUMNS).join(
        Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id)
    )


async def _rows(session: AsyncSession, stmt) -> list[WorkCase]:  # type: ignore[no-untyped-def]
    return [WorkCase(*r) for r in (await session.execute(stmt)).all()]


def _jst_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=JST)


async def _agenda(
    session: AsyncSession, actor: ActorInfo, meetings: list[Meeting]
) -> list[WorkMeeting]:
    if not meetings:
        return []
    items = list(
        (
            await session.execute(
                select(AgendaItem)
                .where(AgendaItem.meeting_id.in_([m.id for m in meetings]))
                .order_by(AgendaItem.position)
            )
        ).scalars()
    )
    case_ids = {i.case_id for i in items if i.case_id}
    # An agenda item is a recorded disclosure to the meeting's members (0006): they see the
    # name; the case itself opens only to the agencies taking part (``visible_to``).
    about: dict[uuid.UUID, tuple[int, str]] = {}
    visible: set[uuid.UUID] = set()
    if case_ids:
        for cid, no, name in (
            await session.execute(
                select(Case.id, Case.case_no, Person.name)
                .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
                .where(Case.id.in_(case_ids))
            )
        ).all():
            about[cid] = (no, name)
        visible = set(
            (
                await session.execute(
                    select(Case.id).where(Case.id.in_(case_ids), visible_to(actor))
                )
            ).scalars()
        )
    by_meeting: dict[uuid.UUID, list[AgendaLine]] = {m.id: [] for m in meetings}
    for i in items:
        found = about.get(i.case_id) if i.case_id else None
        by_meeting[i.meeting_id].append(
            AgendaLine(
                i.case_id if i.case_id in visible else None,
                found[0] if found else None,
                found[1] if found else None,
                i.title,
                i.kind,
            )
        )
    return [WorkMeeting(m, by_meeting[m.id]) for m in meetings]


async def _my_cases(
    session: AsyncSession, actor: ActorInfo, agency: str, today: date
) -> tuple[list[WorkCase], list[WorkCase]]:
    """The open cases the agency leads, and the cases whose monitoring is due within a week."""
    open_ = Case.stage.notin_(("closed",))
    open_cases = await _rows(
        session,
        _cases()
        .where(visible_to(actor), open_, Case.lead_agency_key == agency)
        .order_by(Case.next_monitoring_on.is_(None), Case.next_monitoring_on, Case.updated_at)
        .limit(LIST_LIMIT),
    )
    monitoring_due = await _rows(
        session,
        _cases()
        .where(
            visible_to(actor),
            Case.next_monitoring_on <= today + timedelta(days=7),
            Case.stage.in_(("support", "monitoring")),
        )
        .order_by(Case.next_monitoring_on)
        .limit(LIST_LIMIT),
    )
    return open_cases, monitoring_due


async def _referrals_to_answer(
    session: AsyncSession, agency: str, today: date
) -> tuple[list[Referral], frozenset[uuid.UUID]]:
    """The referrals the agency must answer, overdue ones first, and the overdue ones' ids."""
    waiting = list(
        (
            await session.execute(
                select(Referral)
                .where(
                    Referral.to_agency_key == agency,
                    Referral.status.in_(("sent", "acknowledged")),
                )
                .order_by(Referral.ack_due_on, Referral.sent_at)
                .limit(LIST_LIMIT)
            )
        ).scalars()
    )
    overdue = [r for r in waiting if r.status == "sent" and r.ack_due_on < today]
    return overdue + [r for r in waiting if r not in overdue], frozenset(r.id for r in overdue)


async def _recent(session: AsyncSession, actor: ActorInfo, today: date) -> list[Activity]:
    """The latest stage moves and progress notes on the agency's cases (ten, newest first)."""
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), time(0, 0), tzinfo=JST)
    recent: list[Activity] = []
    for at, cid, no, name, to_stage in (
        await session.execute(
            select(StageEvent.at, Case.id, Case.case_no, Person.name, StageEvent.to_stage)
            .join(Case, (Case.id == StageEvent.case_id) & (Case.tenant_id == StageEvent.tenant_id))
            .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
            .where(visible_to(actor), StageEvent.at >= since)
            .order_by(StageEvent.at.desc())
            .limit(10)
        )
    ).all():
        recent.append(Activity(at, cid, no, name, "stage", to_stage))
    for at, cid, no, name, kind in (
        await session.execute(
            select(ProgressNote.created_at, Case.id, Case.case_no, Person.name, ProgressNote.kind)
            .join(
                Case,
                (Case.id == ProgressNote.case_id) & (Case.tenant_id == ProgressNote.tenant_id),
            )
            .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
            .where(visible_to(actor), ProgressNote.created_at >= since)
            .order_by(ProgressNote.created_at.desc())
            .limit(10)
        )
    ).all():
        recent.append(Activity(at, cid, no, name, "note", kind))
    return sorted(recent, key=lambda a: a.at, reverse=True)[:10]


async def _for_supervisors(
    session: AsyncSession, actor: ActorInfo, agency: str
) -> tuple[list[WorkCase], list[WorkCase]]:
    """The agency's cases nobody has taken up yet, and those stalled (nothing recorded for
    :data:`STALLED_DAYS`)."""
    mine = (visible_to(actor), Case.lead_agency_key == agency)
    unassigned = await _rows(
        session,
        _cases().where(*mine, Case.stage == "reception").order_by(Case.updated_at),
    )
    stalled = await _rows(
        session,
        _cases()
        .where(
            *mine,
            Case.stage.notin_(("closed", "suspended", "reception")),
            Case.updated_at < datetime.now(JST) - timedelta(days=STALLED_DAYS),
        )
        .order_by(Case.updated_at)
        .limit(LIST_LIMIT),
    )
    return unassigned, stalled


async def my_work(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, today: date
) -> MyWork:
    """The worklist of ``actor``'s active agency on ``today`` (JST)."""
    work = MyWork(supervising="supervisor" in actor.roles or "tenant_admin" in actor.roles)
    if not actor.can("case:cases:read") and not actor.can("meeting:meetings:read"):
        return work
    agency = actor.agency_key or ""
    if actor.can("case:cases:read"):
        work.open_cases, work.monitoring_due = await _my_cases(session, actor, agency, today)
        work.referrals, work.overdue_ids = await _referrals_to_answer(session, agency, today)
        work.recent = await _recent(session, actor, today)
        if work.supervising:
            work.unassigned, work.stalled = await _for_supervisors(session, actor, agency)
    if actor.can("meeting:meetings:read"):
        meetings = await list_meetings(
            session,
            actor,
            config,
            start=_jst_midnight(today),
            end=_jst_midnight(today + timedelta(days=7)),
        )
        work.meetings = await _agenda(
            session, actor, [m for m in meetings if m.status != "cancelled"]
        )
    return work
