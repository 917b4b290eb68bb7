"""Read models for the staff UI: the case list, a case's timeline, "my tasks"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import (
    Assessment,
    Case,
    CaseAgency,
    CaseDecision,
    Evaluation,
    Monitoring,
    ProgressNote,
    StageEvent,
    SupportPlan,
)
from kasane.core.cases.records import evaluation_goals
from kasane.core.cases.services import visible_to
from kasane.core.intake.models import Consultation
from kasane.core.japan_time import JST
from kasane.core.people.models import Person
from kasane.core.protection.sealing import unseal
from kasane.core.referrals.models import Referral

PAGE_SIZE = 25


@dataclass(frozen=True)
class CaseFilters:
    stage: str | None = None
    counter: str | None = None
    area: str | None = None
    lead: str | None = None
    monitoring_due: bool = False
    page: int = 1


@dataclass(frozen=True)
class CaseRow:
    id: uuid.UUID
    case_no: int
    stage: str
    person_name: str
    lead_agency_key: str
    counter_key: str
    area_key: str | None
    next_monitoring_on: date | None
    collaboration: bool
    updated_at: datetime


async def list_cases(
    session: AsyncSession, actor: ActorInfo, filters: CaseFilters, today: date
) -> tuple[list[CaseRow], int]:
    """One page of the cases the actor may see, newest activity first, and the total."""
    conditions: list[Any] = []
    if filters.stage:
        conditions.append(Case.stage == filters.stage)
    if filters.counter:
        conditions.append(Case.counter_key == filters.counter)
    if filters.area:
        conditions.append(Case.area_key == filters.area)
    if filters.lead:
        conditions.append(Case.lead_agency_key == filters.lead)
    if filters.monitoring_due:  # as in my_tasks: only where support is under way
        conditions.append(Case.next_monitoring_on <= today)
        conditions.append(Case.stage.in_(("support", "monitoring")))
    # The total is counted from the agency's own participations (an index range), joined to
    # the cases it takes part in — not by testing need-to-know on every case of the tenant.
    total = (
        await session.execute(
            select(func.count(func.distinct(CaseAgency.case_id)))
            .select_from(CaseAgency)
            .join(Case, (Case.id == CaseAgency.case_id) & (Case.tenant_id == CaseAgency.tenant_id))
            .where(
                CaseAgency.agency_key == (actor.agency_key or ""),
                CaseAgency.ended_on.is_(None),
                *conditions,
            )
        )
    ).scalar_one()
    conditions.append(visible_to(actor))
    page = max(1, filters.page)
    rows = (
        await session.execute(
            select(
                Case.id,
                Case.case_no,
                Case.stage,
                Person.name,
                Case.lead_agency_key,
                Case.counter_key,
                Case.area_key,
                Case.next_monitoring_on,
                Case.collaboration,
                Case.updated_at,
            )
            .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
            .where(*conditions)
            .order_by(Case.updated_at.desc(), Case.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    ).all()
    return [CaseRow(*r) for r in rows], int(total)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # stage, consultation, assessment, plan, note, monitoring, decision, …
    title: str
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _at(day: date, written: datetime | None = None) -> datetime:
    """Where a dated record sorts among timestamped ones: when it was written, if that was
    on its day (a note of today's visit comes after this morning's stage move), else 09:00
    JST of its day (a note written later about an earlier day). Always in JST: the page
    shows a dated record's ``at.date()``, which must be its own day even before 09:00."""
    if written is not None and written.astimezone(JST).date() == day:
        return written.astimezone(JST)
    return datetime.combine(day, time(9, 0), tzinfo=JST)


async def timeline(session: AsyncSession, case: Case) -> list[TimelineItem]:
    """Everything that happened on the case, newest first, narratives unsealed."""
    items: list[TimelineItem] = []
    for e in (
        await session.execute(select(StageEvent).where(StageEvent.case_id == case.id))
    ).scalars():
        items.append(TimelineItem(e.at, "stage", e.to_stage, e.note, {"from": e.from_stage}))
    for c in (
        await session.execute(select(Consultation).where(Consultation.case_id == case.id))
    ).scalars():
        items.append(
            TimelineItem(
                _at(c.received_on, c.created_at),
                "consultation",
                c.counter_key,
                "",
                {"channel": c.channel, "main": c.main_category},
            )
        )
    for a in (
        await session.execute(select(Assessment).where(Assessment.case_id == case.id))
    ).scalars():
        items.append(
            TimelineItem(
                a.created_at, "assessment", str(a.version), "", {"form_version": a.form_version}
            )
        )
    for p in (
        await session.execute(select(SupportPlan).where(SupportPlan.case_id == case.id))
    ).scalars():
        items.append(
            TimelineItem(p.created_at, "plan", str(p.version), "", {"agreed_on": p.agreed_on})
        )
    for n in (
        await session.execute(select(ProgressNote).where(ProgressNote.case_id == case.id))
    ).scalars():
        body = await unseal(session, "progress_notes", n.id, "body", n.body_sealed)
        items.append(
            TimelineItem(
                _at(n.occurred_on, n.created_at), "note", n.kind, body, {"agency": n.agency_key}
            )
        )
    for m in (
        await session.execute(select(Monitoring).where(Monitoring.case_id == case.id))
    ).scalars():
        body = await unseal(session, "monitorings", m.id, "summary", m.summary_sealed)
        items.append(
            TimelineItem(
                _at(m.done_on, m.created_at),
                "monitoring",
                "",
                body,
                {"review": m.plan_review_needed, "next_on": m.next_on},
            )
        )
    for d in (
        await session.execute(select(CaseDecision).where(CaseDecision.case_id == case.id))
    ).scalars():
        items.append(
            TimelineItem(
                d.at,
                "decision",
                d.kind,
                d.note,
                {"source": d.source, "meeting_type": d.meeting_type_key},
            )
        )
    evaluations = list(
        (await session.execute(select(Evaluation).where(Evaluation.case_id == case.id))).scalars()
    )
    judged = await evaluation_goals(session, [v.id for v in evaluations])
    for v in evaluations:
        body = await unseal(session, "evaluations", v.id, "summary", v.summary_sealed)
        at = _at(v.evaluated_on, v.created_at)
        items.append(TimelineItem(at, "evaluation", v.outcome, body, {"goals": judged[v.id]}))
    for r in (await session.execute(select(Referral).where(Referral.case_id == case.id))).scalars():
        items.append(TimelineItem(r.sent_at, "referral", r.to_agency_key, "", {"status": r.status}))
    items.sort(key=lambda i: i.at, reverse=True)
    return items


@dataclass(frozen=True)
class Tasks:
    monitoring_due: list[CaseRow]
    referrals_to_acknowledge: list[Referral]
    overdue_ids: frozenset[uuid.UUID]


async def my_tasks(session: AsyncSession, actor: ActorInfo, today: date) -> Tasks:
    """Monitoring due within a week on my agency's cases; referrals my agency must answer."""
    soon = today + timedelta(days=7)
    rows = (
        await session.execute(
            select(
                Case.id,
                Case.case_no,
                Case.stage,
                Person.name,
                Case.lead_agency_key,
                Case.counter_key,
                Case.area_key,
                Case.next_monitoring_on,
                Case.collaboration,
                Case.updated_at,
            )
            .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
            .where(
                visible_to(actor),
                Case.next_monitoring_on <= soon,
                Case.stage.in_(("support", "monitoring")),
            )
            .order_by(Case.next_monitoring_on)
            .limit(50)
        )
    ).all()
    referrals = list(
        (
            await session.execute(
                select(Referral)
                .where(
                    Referral.to_agency_key == (actor.agency_key or ""), Referral.status == "sent"
                )
                .order_by(Referral.ack_due_on)
            )
        ).scalars()
    )
    overdue = frozenset(r.id for r in referrals if r.ack_due_on < today)
    return Tasks([CaseRow(*r) for r in rows], referrals, overdue)
