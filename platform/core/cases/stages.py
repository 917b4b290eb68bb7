"""The case state machine: which moves exist and the invariants that guard them.

受付 → インテーク → アセスメント → プラン案 → 支援決定 → 支援実施 ⇄ モニタリング → 評価 → 終結,
and 中断 from any open stage (→ 再開 to where it stopped). Tenants relabel stages; the
invariants hold everywhere: no plan without assessment, no 支援決定 without a meeting
decision or a recorded exception, no closure without evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane.core.i18n import N_

MOVES: dict[str, tuple[str, ...]] = {
    "reception": ("intake",),
    "intake": ("assessment",),
    "assessment": ("plan_draft",),
    "plan_draft": ("decision", "assessment"),
    "decision": ("support", "plan_draft"),
    "support": ("monitoring", "evaluation"),
    "monitoring": ("support", "plan_draft", "evaluation"),
    "evaluation": ("closed", "support"),
    "closed": ("intake",),  # 再開 after 終結: a new support period (audited as case.reopen)
    "suspended": (),  # 再開 goes back to resume_stage (see CaseFacts.allowed)
}
# What the lead agency does next, by stage (msgids). Support and monitoring name their date.
NEXT_ACTIONS: dict[str, str] = {
    "reception": N_("Take the intake"),
    "intake": N_("Record the assessment"),
    "assessment": N_("Write the draft plan"),
    "plan_draft": N_("Put the plan to the meeting"),
    "decision": N_("Record the person's agreement and start support"),
    "support": N_("Monitoring"),
    "monitoring": N_("Monitoring"),
    "evaluation": N_("Closure through the meeting"),
    "suspended": N_("Resume when contact is back"),
}
OPEN_STAGES = frozenset(s for s in MOVES if s not in ("closed", "suspended"))


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case, gathered by the service."""

    stage: str
    resume_stage: str | None
    has_assessment: bool
    has_plan: bool
    plan_agreed: bool
    decision_since_plan: bool  # a support decision recorded after the latest plan version
    has_evaluation: bool  # an evaluation recorded since the case entered 評価
    closure_decided: bool = False  # a closure decision (meeting or exception) since then


def targets(facts: CaseFacts) -> tuple[str, ...]:
    """Every stage reachable in one move (guards not yet applied)."""
    if facts.stage == "suspended":
        return (facts.resume_stage or "intake",)
    extra = ("suspended",) if facts.stage in OPEN_STAGES else ()
    return MOVES[facts.stage] + extra


def refusal(facts: CaseFacts, to: str) -> str | None:
    """None when the move is allowed, else the reason (a msgid staff will read)."""
    if to not in targets(facts):
        return N_("This case cannot move from its current stage to the one chosen.")
    if to == "plan_draft" and not facts.has_assessment:
        return N_("A plan needs an assessment first: record the assessment.")
    if to == "decision" and not facts.has_plan:
        return N_("There is no plan to decide on: write the draft plan first.")
    if to == "decision" and not facts.decision_since_plan:
        return N_(
            "Support can only be decided by a meeting decision or a recorded exception "
            "for the current plan."
        )
    if to == "support" and facts.stage == "decision" and not facts.plan_agreed:
        return N_("Record the person's agreement to the plan before support starts.")
    if to == "monitoring" and not facts.has_plan:
        return N_("Monitoring needs a plan.")
    if to == "closed" and not facts.has_evaluation:
        return N_("A case can only be closed after its evaluation is recorded.")
    if to == "closed" and not facts.closure_decided:
        return N_(
            "A case is closed by the meeting's decision, or by a recorded exception with its "
            "reason: record the closure decision first."
        )
    return None
