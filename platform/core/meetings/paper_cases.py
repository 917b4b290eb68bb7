"""What the meeting papers say about each case on the agenda: the person, 世帯構成, 主訴 and
the plan's summary — for the meeting's members, to whom the agenda item is a recorded
disclosure (decision 0006); ``meeting_papers`` is only reached through ``access_meeting``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Case
from kasane.core.cases.records import latest_plan
from kasane.core.config_types import TenantConfig
from kasane.core.defaults import CONSULTATION_CATEGORIES
from kasane.core.intake.models import Consultation
from kasane.core.people.models import RELATIONS, Person
from kasane.core.people.patterns import PATTERN_LABELS
from kasane.core.people.services import household_view

TOPICS = dict(CONSULTATION_CATEGORIES)


@dataclass(frozen=True)
class PaperMember:
    name: str
    relation: str  # msgid
    age: int | None
    notes: list[str]  # msgids: carer, needs care, withdrawn


@dataclass(frozen=True)
class PaperPlanRow:
    issue: str
    goal: str
    action: str
    agency: str


@dataclass
class CaseSummary:
    person_name: str
    household: list[PaperMember] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)  # msgids
    main_topics: list[str] = field(default_factory=list)  # 主訴, msgids
    plan_version: int | None = None
    plan_rows: list[PaperPlanRow] = field(default_factory=list)


async def case_summaries(
    session: AsyncSession, config: TenantConfig, case_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, CaseSummary]:
    """One summary per case on the agenda (the caller audits the papers' issue)."""
    out: dict[uuid.UUID, CaseSummary] = {}
    if not case_ids:
        return out
    rows = (
        await session.execute(
            select(Case, Person.name)
            .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
            .where(Case.id.in_(case_ids))
        )
    ).all()
    for case, name in rows:
        members, patterns = await household_view(session, case.household_id, today)
        topics = (
            await session.execute(
                select(Consultation.main_category)
                .where(Consultation.case_id == case.id)
                .order_by(Consultation.received_on)
            )
        ).scalars()
        plan, plan_rows = await latest_plan(session, case.id)
        summary = CaseSummary(
            person_name=name,
            household=[
                PaperMember(
                    m.person.name,
                    RELATIONS.get(m.member.relation, m.member.relation),
                    m.age,
                    [
                        label
                        for flag, label in (
                            (m.member.is_carer, "Carer"),
                            (m.member.needs_care, "Needs care"),
                            (m.member.withdrawn, "Withdrawn from society"),
                        )
                        if flag
                    ],
                )
                for m in members
            ],
            patterns=[PATTERN_LABELS.get(p, p) for p in patterns],
            main_topics=list(dict.fromkeys(TOPICS.get(t, t) for t in topics if t)),
            plan_version=plan.version if plan else None,
            plan_rows=[
                PaperPlanRow(r.issue, r.goal, r.action, config.agency_name(r.agency_key))
                for r in plan_rows
            ],
        )
        out[case.id] = summary
    return out
