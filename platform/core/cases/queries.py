"""Read models for the staff UI: the case list, a case's timeline, "my tasks"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.versions import data_version_of
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.list_total import TOTAL_CAP, count_capped
from kasane.core.cases.models import (
    Case,
)
from kasane.core.cases.record_reads import CaseRecords, case_records
from kasane.core.cases.records import evaluation_goals
from kasane.core.cases.services import visible_to
from kasane.core.japan_time import JST
from kasane.core.people.models import Person
from kasane.core.protection.sealing import unseal
from kasane.core.referrals.models import Referral

PAGE_SIZE = 25


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where a page of the list starts or ends: the (updated_at, id) of its edge row, so a
    deep page is found by the index (keyset) instead of skipping every earlier row."""

    updated_at: datetime
    id: uuid.UUID

    def token(self) -> str:
        moment = self.updated_at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return f"{(moment - _EPOCH) // timedelta(microseconds=1)}-{self.id.hex}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor of a token from a pager link; None for anything else."""
        if not token:
            return None
        micros, _, hex_id = token.partition("-")
        try:
            return cls(_EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id))
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class CaseFilters:
    stage: str | None = None
    counter: str | None = None
    area: str | None = None
    lead: str | None = None
    monitoring_due: bool = False
    page: int = 1
    after: Cursor | None = None  # the page after this row (Next)
    before: Cursor | None = None  # the page before this row (Previous)


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

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.updated_at, self.id)


def case_row(row: Any) -> CaseRow:
    """A selected row of the case columns (in CaseRow's order, maybe more after) as a
    CaseRow."""
    return CaseRow(*row[:_ROW_FIELDS])


_ROW_FIELDS = len(CaseRow.__dataclass_fields__)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int  # exact when not ``capped``
    capped: bool  # more than TOTAL_CAP cases: ``total`` is the cap
    has_next: bool
    has_prev: bool


def _chosen(filters: CaseFilters, today: date) -> list[Any]:
    """The conditions of the filters staff chose."""
    chosen: list[Any] = []
    if filters.stage:
        chosen.append(Case.stage == filters.stage)
    if filters.counter:
        chosen.append(Case.counter_key == filters.counter)
    if filters.area:
        chosen.append(Case.area_key == filters.area)
    if filters.lead:
        chosen.append(Case.lead_agency_key == filters.lead)
    if filters.monitoring_due:  # as in my_tasks: only where support is under way
        chosen.append(Case.next_monitoring_on <= today)
        chosen.append(Case.stage.in_(("support", "monitoring")))
    return chosen


async def list_cases(
    session: AsyncSession, actor: ActorInfo, filters: CaseFilters, today: date
) -> CasePage:
    """One page of the cases the actor may see, newest activity first, and the total (exact
    up to TOTAL_CAP; a first page that holds the whole list is its own total). A page
    follows a cursor when it has one, else its number (OFFSET: the first pages, and links
    from before keyset paging)."""
    chosen = _chosen(filters, today)
    conditions = [visible_to(actor), *chosen]
    stmt = select(
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
        # the tenant's data version, read with the page: the total's key (list_total)
        data_version_of(session.info["tenant_id"]).label("version"),
    ).join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
    key = tuple_(Case.updated_at, Case.id)
    page = max(1, filters.page)
    if filters.before is not None:
        # the rows just before the cursor, read upwards, then put back in list order
        found = (
            await session.execute(
                stmt.where(*conditions, key > tuple_(filters.before.updated_at, filters.before.id))
                .order_by(Case.updated_at, Case.id)
                .limit(PAGE_SIZE + 1)
            )
        ).all()
        rows = [case_row(r) for r in reversed(found[:PAGE_SIZE])]
        has_prev, has_next = len(found) > PAGE_SIZE or page > 1, True
    else:
        stmt = stmt.where(*conditions).order_by(Case.updated_at.desc(), Case.id.desc())
        if filters.after is not None:
            stmt = stmt.where(key < tuple_(filters.after.updated_at, filters.after.id))
        else:
            stmt = stmt.offset((page - 1) * PAGE_SIZE)
        found = (await session.execute(stmt.limit(PAGE_SIZE + 1))).all()
        rows = [case_row(r) for r in found[:PAGE_SIZE]]
        has_prev, has_next = page > 1, len(found) > PAGE_SIZE
    if page == 1 and not has_next and filters.before is None and filters.after is None:
        total = len(rows)  # the whole list is on this page: nothing more to count
    else:
        version = int(found[0].version or 0) if found else None
        total = await count_capped(session, actor, filters, chosen, today, version)
    return CasePage(rows, min(total, TOTAL_CAP), total > TOTAL_CAP, has_next, has_prev)


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


def _early_items(r: CaseRecords) -> list[TimelineItem]:
    """Stage moves, consultations, assessments and plans (nothing sealed)."""
    items: list[TimelineItem] = []
    for e in r.stage_events:
        items.append(TimelineItem(e.at, "stage", e.to_stage, e.note, {"from": e.from_stage}))
    for c in r.consultations:
        items.append(
            TimelineItem(
                _at(c.received_on, c.created_at),
                "consultation",
                c.counter_key,
                "",
                {"channel": c.channel, "main": c.main_category},
            )
        )
    for a in r.assessments:
        items.append(
            TimelineItem(
                a.created_at, "assessment", str(a.version), "", {"form_version": a.form_version}
            )
        )
    for p in r.plans:
        items.append(
            TimelineItem(p.created_at, "plan", str(p.version), "", {"agreed_on": p.agreed_on})
        )
    return items


async def _follow_up_items(session: AsyncSession, r: CaseRecords) -> list[TimelineItem]:
    """Progress notes and monitorings, their narratives unsealed."""
    items: list[TimelineItem] = []
    for n in r.notes:
        body = await unseal(session, "progress_notes", n.id, "body", n.body_sealed)
        items.append(
            TimelineItem(
                _at(n.occurred_on, n.created_at), "note", n.kind, body, {"agency": n.agency_key}
            )
        )
    for m in r.monitorings:
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
    return items


async def _evaluation_items(session: AsyncSession, r: CaseRecords) -> list[TimelineItem]:
    """Evaluations with their summaries unsealed and their goals as judged."""
    judged = await evaluation_goals(session, [v.id for v in r.evaluations])
    items: list[TimelineItem] = []
    for v in r.evaluations:
        body = await unseal(session, "evaluations", v.id, "summary", v.summary_sealed)
        at = _at(v.evaluated_on, v.created_at)
        items.append(TimelineItem(at, "evaluation", v.outcome, body, {"goals": judged[v.id]}))
    return items


async def timeline(
    session: AsyncSession, case: Case, records: CaseRecords | None = None
) -> list[TimelineItem]:
    """Everything that happened on the case, newest first, narratives unsealed."""
    r = records or await case_records(session, case.id)
    # in this order: the sort keeps it among records of the same moment
    items = _early_items(r) + await _follow_up_items(session, r)
    for d in r.decisions:
        items.append(
            TimelineItem(
                d.at,
                "decision",
                d.kind,
                d.note,
                {"source": d.source, "meeting_type": d.meeting_type_key},
            )
        )
    items += await _evaluation_items(session, r)
    for ref in r.referrals:
        items.append(
            TimelineItem(ref.sent_at, "referral", ref.to_agency_key, "", {"status": ref.status})
        )
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
    return Tasks([case_row(r) for r in rows], referrals, overdue)
