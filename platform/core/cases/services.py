"""Opening cases, need-to-know access, stage moves and agencies (decisions are in
:mod:`kasane.core.cases.decisions`).

Verb prefixes: ``get_*`` fetch or NotFound, ``access_*`` fetch and authorize (need-to-know:
the actor's agency takes part in the case, else the same NotFound), ``check_*`` validate,
``do_*`` mutate with audit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import (
    Assessment,
    Case,
    CaseAgency,
    CaseDecision,
    CollaborationPeriod,
    Evaluation,
    StageEvent,
    SupportPlan,
)
from kasane.core.cases.stages import CaseFacts, refusal
from kasane.core.config_types import TenantConfig
from kasane.core.consent.services import do_disclose
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.people.models import Household, Person


class CaseRuleError(ValueError):
    """A business rule refused the change; ``args[0]`` is a msgid staff will read."""


def takes_part_now(actor: ActorInfo) -> ColumnElement[bool]:
    """``WHERE`` clause on ``CaseAgency``: a participation of the actor's agency that has
    not ended — the need-to-know rule, for ``visible_to`` and the list's count alike."""
    return and_(CaseAgency.agency_key == (actor.agency_key or ""), CaseAgency.ended_on.is_(None))


def visible_to(actor: ActorInfo) -> ColumnElement[bool]:
    """``WHERE`` clause on ``Case``: the actor's agency takes part now (need-to-know).

    A correlated EXISTS on (tenant_id, case_id): the database checks one case at a time
    instead of building the list of every case the agency takes part in (see make bench).
    """
    return exists().where(
        CaseAgency.case_id == Case.id,
        CaseAgency.tenant_id == Case.tenant_id,
        takes_part_now(actor),
    )


async def access_case(session: AsyncSession, actor: ActorInfo, case_id: uuid.UUID) -> Case:
    """The case if the actor may see it; otherwise NotFound, exactly as for a missing id."""
    case = (
        await session.execute(select(Case).where(Case.id == case_id, visible_to(actor)))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("case")
    return case


async def active_agencies(session: AsyncSession, case_id: uuid.UUID) -> list[CaseAgency]:
    return list(
        (
            await session.execute(
                select(CaseAgency)
                .where(CaseAgency.case_id == case_id, CaseAgency.ended_on.is_(None))
                .order_by(CaseAgency.role, CaseAgency.started_on)
            )
        ).scalars()
    )


async def _event(
    session: AsyncSession, actor: ActorInfo, case: Case, to: str, note: str = ""
) -> None:
    session.add(
        StageEvent(
            case_id=case.id,
            from_stage=case.stage if case.stage != to else None,
            to_stage=to,
            by=actor.id,
            note=note[:300],
        )
    )


async def do_open_case(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    person: Person,
    household: Household,
    counter_key: str,
    today: date,
    collaboration: bool = False,
    lead: str | None = None,
) -> Case:
    """Open a case at a counter. ``lead``: the agency the town's routing rule chose
    (``kasane.core.rules``); by default the counter's agency leads. Optionally start
    多機関協働 at once."""
    counter = config.counter(counter_key)
    if counter is None:
        raise CaseRuleError(N_("Choose one of this municipality's counters."))
    if lead is None or config.agency(lead) is None:
        lead = counter.agency or config.coordinating_agency().key
    number = (await session.execute(select(func.coalesce(func.max(Case.case_no), 0)))).scalar_one()
    case = Case(
        case_no=number + 1,
        household_id=household.id,
        person_id=person.id,
        stage="intake",
        lead_agency_key=lead,
        counter_key=counter_key,
        area_key=household.area_key or person.area_key or counter.area,
        opened_on=today,
    )
    session.add(case)
    await session.flush()
    session.add(CaseAgency(case_id=case.id, agency_key=lead, role="lead", started_on=today))
    if counter.agency and counter.agency != lead and config.agency(counter.agency):
        # the town's rule gave the lead to another agency: the counter's, which took the
        # consultation, stays on the case as a participant (it knows the person)
        session.add(
            CaseAgency(
                case_id=case.id, agency_key=counter.agency, role="participant", started_on=today
            )
        )
    session.add(StageEvent(case_id=case.id, from_stage=None, to_stage="intake", by=actor.id))
    await do_audit(session, actor.ref, "case.open", f"case:{case.id}", counter=counter_key)
    if collaboration:
        await do_start_collaboration(session, actor, config, case, today)
    return case


def facts_from(
    case: Case,
    plans: list[SupportPlan],
    assessments: list[Assessment],
    decisions: list[CaseDecision],
    stage_events: list[StageEvent],
    evaluations: list[Evaluation],
) -> CaseFacts:
    """:func:`case_facts` from the case's records already read (the case page has them)."""
    plan = max(plans, key=lambda p: p.version, default=None)
    entered = max((e.at for e in stage_events if e.to_stage == "evaluation"), default=None)
    return CaseFacts(
        closure_decided=entered is not None
        and any(d.kind == "closure" and d.at >= entered for d in decisions),
        stage=case.stage,
        resume_stage=case.resume_stage,
        has_assessment=bool(assessments),
        has_plan=plan is not None,
        plan_agreed=bool(plan and plan.agreed_on),
        decision_since_plan=plan is not None
        and any(d.kind == "support_decision" and d.at >= plan.created_at for d in decisions),
        has_evaluation=entered is not None and any(v.created_at >= entered for v in evaluations),
    )


async def _newest_plan(session: AsyncSession, case_id: uuid.UUID) -> SupportPlan | None:
    """The case's newest support plan, if it has one."""
    return (
        await session.execute(
            select(SupportPlan)
            .where(SupportPlan.case_id == case_id)
            .order_by(SupportPlan.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def _decided_since(
    session: AsyncSession, case_id: uuid.UUID, kind: str, since: datetime
) -> bool:
    """Whether a decision of ``kind`` was recorded on the case at or after ``since``."""
    return bool(
        (
            await session.execute(
                select(
                    exists().where(
                        CaseDecision.case_id == case_id,
                        CaseDecision.kind == kind,
                        CaseDecision.at >= since,
                    )
                )
            )
        ).scalar_one()
    )


async def _entered_evaluation(session: AsyncSession, case_id: uuid.UUID) -> datetime | None:
    """When the case last entered the evaluation stage, if it ever did."""
    return (
        await session.execute(
            select(func.max(StageEvent.at)).where(
                StageEvent.case_id == case_id, StageEvent.to_stage == "evaluation"
            )
        )
    ).scalar()


async def _evaluated_since(session: AsyncSession, case_id: uuid.UUID, since: datetime) -> bool:
    """Whether an evaluation was recorded on the case at or after ``since``."""
    return bool(
        (
            await session.execute(
                select(
                    exists().where(Evaluation.case_id == case_id, Evaluation.created_at >= since)
                )
            )
        ).scalar_one()
    )


async def case_facts(session: AsyncSession, case: Case) -> CaseFacts:
    plan = await _newest_plan(session, case.id)
    has_assessment = (
        await session.execute(select(exists().where(Assessment.case_id == case.id)))
    ).scalar_one()
    decided = False
    if plan is not None:
        decided = await _decided_since(session, case.id, "support_decision", plan.created_at)
    entered_evaluation = await _entered_evaluation(session, case.id)
    has_evaluation = entered_evaluation is not None and await _evaluated_since(
        session, case.id, entered_evaluation
    )
    closure_decided = entered_evaluation is not None and await _decided_since(
        session, case.id, "closure", entered_evaluation
    )
    return CaseFacts(
        closure_decided=bool(closure_decided),
        stage=case.stage,
        resume_stage=case.resume_stage,
        has_assessment=bool(has_assessment),
        has_plan=plan is not None,
        plan_agreed=bool(plan and plan.agreed_on),
        decision_since_plan=bool(decided),
        has_evaluation=bool(has_evaluation),
    )


async def do_move(
    session: AsyncSession, actor: ActorInfo, case: Case, to: str, *, today: date, note: str = ""
) -> None:
    """Move the case to ``to`` or raise CaseRuleError with the reason."""
    facts = await case_facts(session, case)
    if reason := refusal(facts, to):
        raise CaseRuleError(reason)
    if to == "suspended" and not note.strip():
        raise CaseRuleError(N_("Say why support is suspended."))
    if to == "closed" and not note.strip():
        raise CaseRuleError(N_("Say why the case is closed."))
    if case.stage == "closed" and not note.strip():
        raise CaseRuleError(N_("Say why the case is reopened."))
    await _event(session, actor, case, to, note)
    old = case.stage
    if to == "suspended":
        case.resume_stage = old
    elif old == "suspended":
        case.resume_stage = None
    case.stage = to
    case.closed_on = today if to == "closed" else None
    if to == "closed":  # closure ends the other agencies' parts and any 多機関協働;
        for part in await active_agencies(session, case.id):  # the lead keeps the record
            if part.agency_key != case.lead_agency_key:
                part.ended_on = today
        await _end_collaboration_period(session, case, today, "closed")
    await do_audit(session, actor.ref, "case.move", f"case:{case.id}", from_=old, to=to)
    if old == "closed":  # 再開: a new support period on the same case record
        await do_audit(session, actor.ref, "case.reopen", f"case:{case.id}", to=to)


async def do_start_collaboration(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, case: Case, today: date
) -> None:
    if case.collaboration:
        raise CaseRuleError(N_("Multi-agency collaboration is already under way."))
    case.collaboration = True
    session.add(CollaborationPeriod(case_id=case.id, started_on=today))
    coordinator = config.coordinating_agency().key
    if coordinator not in {a.agency_key for a in await active_agencies(session, case.id)}:
        session.add(
            CaseAgency(
                case_id=case.id, agency_key=coordinator, role="participant", started_on=today
            )
        )
    await do_audit(session, actor.ref, "case.collaboration_start", f"case:{case.id}")


async def _end_collaboration_period(
    session: AsyncSession, case: Case, today: date, reason: str
) -> None:
    period = (
        await session.execute(
            select(CollaborationPeriod).where(
                CollaborationPeriod.case_id == case.id, CollaborationPeriod.ended_on.is_(None)
            )
        )
    ).scalar_one_or_none()
    if period is not None:
        period.ended_on, period.end_reason = today, reason[:200]
    case.collaboration = False


async def do_end_collaboration(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    today: date,
    reason: str,
) -> None:
    """多機関協働 steps back while the case goes on under its lead agency."""
    if not case.collaboration:
        raise CaseRuleError(N_("Multi-agency collaboration is not under way."))
    await _end_collaboration_period(session, case, today, reason)
    coordinator = config.coordinating_agency().key
    if case.lead_agency_key != coordinator:
        for part in await active_agencies(session, case.id):
            if part.agency_key == coordinator:
                part.ended_on = today
    await do_audit(session, actor.ref, "case.collaboration_end", f"case:{case.id}")


async def do_add_agency(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    agency_key: str,
    today: date,
    *,
    basis: str | None = None,
    basis_note: str = "",
) -> CaseAgency:
    """Bring an agency into the case: a disclosure, so it needs consent or a named law."""
    if config.agency(agency_key) is None:
        raise CaseRuleError(N_("Choose one of this municipality's agencies."))
    if agency_key in {a.agency_key for a in await active_agencies(session, case.id)}:
        raise CaseRuleError(N_("That agency already takes part in this case."))
    from kasane.core.consent.services import SharingRefused

    try:
        await do_disclose(
            session,
            actor,
            case.person_id,
            case_id=case.id,
            today=today,
            agency=agency_key,
            basis=basis,
            basis_note=basis_note,
        )
    except SharingRefused as exc:
        raise CaseRuleError(str(exc)) from exc
    part = CaseAgency(case_id=case.id, agency_key=agency_key, role="participant", started_on=today)
    session.add(part)
    await do_audit(session, actor.ref, "case.agency_add", f"case:{case.id}", agency=agency_key)
    return part


async def do_end_agency(
    session: AsyncSession, actor: ActorInfo, case: Case, agency_key: str, today: date
) -> None:
    if agency_key == case.lead_agency_key:
        raise CaseRuleError(N_("The lead agency cannot leave; hand the lead over first."))
    for part in await active_agencies(session, case.id):
        if part.agency_key == agency_key:
            part.ended_on = today
    await do_audit(session, actor.ref, "case.agency_end", f"case:{case.id}", agency=agency_key)


async def do_set_lead(session: AsyncSession, actor: ActorInfo, case: Case, agency_key: str) -> None:
    """Hand the lead (主担当) to a taking-part agency — e.g. back to the counter."""
    parts = {a.agency_key: a for a in await active_agencies(session, case.id)}
    if agency_key not in parts:
        raise CaseRuleError(N_("Only an agency that takes part can become the lead."))
    for part in parts.values():
        part.role = "lead" if part.agency_key == agency_key else "participant"
    old, case.lead_agency_key = case.lead_agency_key, agency_key
    await do_audit(session, actor.ref, "case.lead", f"case:{case.id}", old=old, new=agency_key)
