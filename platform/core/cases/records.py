"""What staff record on a case: assessment, plan, progress notes, monitoring, evaluation.

Assessments and plans are versioned (a new save is a new version; old ones stay readable).
Narratives are sealed with the tenant key before they reach the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import (
    Assessment,
    Case,
    Evaluation,
    EvaluationGoal,
    Monitoring,
    PlanRow,
    ProgressNote,
    SupportPlan,
)
from kasane.core.cases.services import CaseRuleError, do_move
from kasane.core.config_types import FormDefinition
from kasane.core.db import uuid7
from kasane.core.forms.validation import Submission, split_sensitive
from kasane.core.i18n import N_
from kasane.core.protection.sealing import seal, seal_json, unseal

NOTE_KINDS = {
    "interview": N_("Interview"),
    "visit": N_("Home visit"),
    "accompany": N_("Accompanying"),
    "phone": N_("Telephone"),
    "meeting": N_("Meeting"),
    "other": N_("Other"),
}
EVALUATION_OUTCOMES = {"met": N_("Goals met"), "partly": N_("Partly met"), "not_met": N_("Not met")}
GOAL_OUTCOMES = {"met": N_("Met"), "partly": N_("Partly met"), "not_met": N_("Not met")}


def overall_outcome(outcomes: list[str]) -> str:
    """What the goals add up to: all met, none met, or partly (any mix, or any partly)."""
    if outcomes and all(o == "met" for o in outcomes):
        return "met"
    if outcomes and all(o == "not_met" for o in outcomes):
        return "not_met"
    return "partly"


async def _next_version(session: AsyncSession, model: type, case_id: uuid.UUID) -> int:
    current = (
        await session.execute(
            select(func.max(model.version)).where(model.case_id == case_id)  # type: ignore[attr-defined]
        )
    ).scalar()
    return int(current or 0) + 1


async def do_record_assessment(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    form: FormDefinition,
    submission: Submission,
) -> Assessment:
    """Save a new assessment version from a validated submission of the tenant's form."""
    plain, sensitive = split_sensitive(form, submission.values)
    row_id = uuid7()
    assessment = Assessment(
        id=row_id,
        case_id=case.id,
        version=await _next_version(session, Assessment, case.id),
        form_version=form.version,
        data=plain,
        sealed=await seal_json(session, "assessments", row_id, sensitive),
        unmet_needs=list(plain.get("unmet_needs") or []),
        created_by=actor.id,
    )
    session.add(assessment)
    await do_audit(
        session,
        actor.ref,
        "assessment.record",
        f"case:{case.id}",
        version=assessment.version,
        form_version=form.version,
    )
    return assessment


@dataclass(frozen=True)
class PlanRowInput:
    issue: str
    goal: str
    action: str
    agency_key: str
    period: str = ""


def _add_rows(session: AsyncSession, plan_id: uuid.UUID, rows: list[PlanRowInput]) -> None:
    """The plan's rows, in the order given."""
    for i, r in enumerate(rows):
        session.add(
            PlanRow(
                plan_id=plan_id,
                position=i,
                issue=r.issue,
                goal=r.goal,
                action=r.action,
                agency_key=r.agency_key,
                period=r.period,
            )
        )


async def do_save_plan(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    *,
    wishes: str,
    rows: list[PlanRowInput],
    next_monitoring_on: date | None,
    agreed_on: date | None,
    agreement_method: str = "",
) -> SupportPlan:
    """Save a new plan version (本人の意向 + rows). Only while the plan may change."""
    # Only at 支援プラン案: a plan changed later would go on without a decision or agreement
    # (a review goes back to plan_draft first, from decision or monitoring).
    if case.stage != "plan_draft":
        raise CaseRuleError(
            N_(
                "A plan can be written once the assessment is done and the "
                "case is at the draft-plan stage."
            )
        )
    if not rows:
        raise CaseRuleError(N_("A plan needs at least one row of issue, goal and support."))
    row_id = uuid7()
    plan = SupportPlan(
        id=row_id,
        case_id=case.id,
        version=await _next_version(session, SupportPlan, case.id),
        wishes_sealed=await seal(session, "support_plans", row_id, "wishes", wishes),
        next_monitoring_on=next_monitoring_on,
        agreed_on=agreed_on,
        agreement_method=agreement_method,
        created_by=actor.id,
    )
    session.add(plan)
    # No relationship() links rows to their plan, so the unit of work would not order the
    # INSERTs: write the plan first or its rows' foreign key fails.
    await session.flush()
    _add_rows(session, row_id, rows)
    if next_monitoring_on:
        case.next_monitoring_on = next_monitoring_on
    await do_audit(
        session,
        actor.ref,
        "plan.save",
        f"case:{case.id}",
        version=plan.version,
        rows=len(rows),
        agreed=agreed_on is not None,
    )
    return plan


async def do_record_agreement(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    plan: SupportPlan,
    agreed_on: date,
    method: str,
) -> None:
    plan.agreed_on, plan.agreement_method = agreed_on, method
    await do_audit(session, actor.ref, "plan.agreement", f"case:{case.id}", version=plan.version)


async def do_add_note(
    session: AsyncSession, actor: ActorInfo, case: Case, *, kind: str, occurred_on: date, body: str
) -> ProgressNote:
    if kind not in NOTE_KINDS:
        raise CaseRuleError(N_("Choose the kind of contact."))
    row_id = uuid7()
    note = ProgressNote(
        id=row_id,
        case_id=case.id,
        kind=kind,
        occurred_on=occurred_on,
        body_sealed=await seal(session, "progress_notes", row_id, "body", body),
        agency_key=actor.agency_key,
        created_by=actor.id,
    )
    session.add(note)
    await do_audit(session, actor.ref, "note.add", f"case:{case.id}", kind=kind)
    return note


async def do_record_monitoring(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    *,
    done_on: date,
    summary: str,
    plan_review_needed: bool,
    next_on: date | None,
) -> Monitoring:
    """Record a monitoring; the case moves 支援実施 → モニタリング and gets its next date."""
    if case.stage not in ("support", "monitoring"):
        raise CaseRuleError(N_("Monitoring is recorded while support is under way."))
    plan_version = (
        await session.execute(
            select(func.max(SupportPlan.version)).where(SupportPlan.case_id == case.id)
        )
    ).scalar()
    row_id = uuid7()
    record = Monitoring(
        id=row_id,
        case_id=case.id,
        plan_version=plan_version,
        done_on=done_on,
        summary_sealed=await seal(session, "monitorings", row_id, "summary", summary),
        plan_review_needed=plan_review_needed,
        next_on=next_on,
        created_by=actor.id,
    )
    session.add(record)
    if case.stage == "support":
        await do_move(session, actor, case, "monitoring", today=done_on)
    case.next_monitoring_on = next_on
    await do_audit(
        session, actor.ref, "monitoring.record", f"case:{case.id}", review=plan_review_needed
    )
    return record


def _checked_outcome(
    rows: list[PlanRow], goals: dict[uuid.UUID, tuple[str, str]], outcome: str | None
) -> str:
    """The evaluation's overall outcome: what the judged goals add up to (every goal of the
    plan judged), or ``outcome`` as chosen when the plan has no goals; else CaseRuleError."""
    if rows:
        if {r.id for r in rows} != set(goals):
            raise CaseRuleError(N_("Judge each goal of the current plan."))
        if any(o not in GOAL_OUTCOMES for o, _finding in goals.values()):
            raise CaseRuleError(N_("Choose how far each goal was met."))
        outcome = overall_outcome([goals[r.id][0] for r in rows])
    elif goals:
        raise CaseRuleError(N_("Judge each goal of the current plan."))
    if outcome not in EVALUATION_OUTCOMES:
        raise CaseRuleError(N_("Choose how far the goals were met."))
    return outcome


async def _add_judged_goals(
    session: AsyncSession,
    evaluation_id: uuid.UUID,
    rows: list[PlanRow],
    goals: dict[uuid.UUID, tuple[str, str]],
) -> None:
    """Each plan goal as judged, its finding sealed, in plan order."""
    for r in rows:
        goal_outcome, finding = goals[r.id]
        goal_id = uuid7()
        session.add(
            EvaluationGoal(
                id=goal_id,
                evaluation_id=evaluation_id,
                plan_row_id=r.id,
                position=r.position,
                outcome=goal_outcome,
                finding_sealed=await seal(
                    session, "evaluation_goals", goal_id, "finding", finding.strip()
                ),
            )
        )


async def do_record_evaluation(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    *,
    evaluated_on: date,
    summary: str,
    goals: Mapping[uuid.UUID, tuple[str, str]] | None = None,
    outcome: str | None = None,
) -> Evaluation:
    """Record the evaluation that closure needs.

    With a plan, every goal of its latest version is judged (``goals``: plan row id →
    (outcome, finding)) and the overall outcome is what they add up to; a case without
    plan goals (never planned) takes ``outcome`` as chosen."""
    if case.stage != "evaluation":
        raise CaseRuleError(N_("Move the case to evaluation before recording it."))
    plan, rows = await latest_plan(session, case.id)
    goals = dict(goals or {})
    outcome = _checked_outcome(rows, goals, outcome)
    row_id = uuid7()
    evaluation = Evaluation(
        id=row_id,
        case_id=case.id,
        evaluated_on=evaluated_on,
        outcome=outcome,
        plan_version=plan.version if plan is not None and rows else None,
        summary_sealed=await seal(session, "evaluations", row_id, "summary", summary),
        created_by=actor.id,
    )
    session.add(evaluation)
    await _add_judged_goals(session, row_id, rows, goals)
    case.next_monitoring_on = None
    await do_audit(
        session,
        actor.ref,
        "evaluation.record",
        f"case:{case.id}",
        outcome=outcome,
        goals=",".join(goals[r.id][0] for r in rows),
    )
    return evaluation


@dataclass(frozen=True)
class GoalJudgement:
    """One goal as it was judged: the plan row, its outcome and the finding."""

    row: PlanRow
    outcome: str
    finding: str


async def evaluation_goals(
    session: AsyncSession, evaluation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[GoalJudgement]]:
    """Each evaluation's judged goals in plan order (one query for all of them)."""
    out: dict[uuid.UUID, list[GoalJudgement]] = {i: [] for i in evaluation_ids}
    if not evaluation_ids:
        return out
    pairs = (
        await session.execute(
            select(EvaluationGoal, PlanRow)
            .join(PlanRow, PlanRow.id == EvaluationGoal.plan_row_id)
            .where(EvaluationGoal.evaluation_id.in_(evaluation_ids))
            .order_by(EvaluationGoal.evaluation_id, EvaluationGoal.position)
        )
    ).all()
    for g, row in pairs:
        finding = await unseal(session, "evaluation_goals", g.id, "finding", g.finding_sealed)
        out[g.evaluation_id].append(GoalJudgement(row, g.outcome, finding))
    return out


async def latest_plan(
    session: AsyncSession, case_id: uuid.UUID
) -> tuple[SupportPlan | None, list[PlanRow]]:
    plan = (
        await session.execute(
            select(SupportPlan)
            .where(SupportPlan.case_id == case_id)
            .order_by(SupportPlan.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if plan is None:
        return None, []
    return plan, await plan_rows(session, plan)


async def plan_rows(session: AsyncSession, plan: SupportPlan) -> list[PlanRow]:
    return list(
        (
            await session.execute(
                select(PlanRow).where(PlanRow.plan_id == plan.id).order_by(PlanRow.position)
            )
        ).scalars()
    )


async def latest_assessment(session: AsyncSession, case_id: uuid.UUID) -> Assessment | None:
    return (
        await session.execute(
            select(Assessment)
            .where(Assessment.case_id == case_id)
            .order_by(Assessment.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
