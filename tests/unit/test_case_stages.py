"""The case state machine on its own: which moves exist and the invariants that guard them."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from kasane.core.cases.stages import MOVES, OPEN_STAGES, CaseFacts, refusal, targets
from kasane.core.config_types import STAGES

NOTHING = CaseFacts(
    stage="intake",
    resume_stage=None,
    has_assessment=False,
    has_plan=False,
    plan_agreed=False,
    decision_since_plan=False,
    has_evaluation=False,
)
EVERYTHING = replace(
    NOTHING,
    has_assessment=True,
    has_plan=True,
    plan_agreed=True,
    decision_since_plan=True,
    has_evaluation=True,
    closure_decided=True,
)

NO_ASSESSMENT = "A plan needs an assessment first: record the assessment."
NO_PLAN = "There is no plan to decide on: write the draft plan first."
NO_DECISION = (
    "Support can only be decided by a meeting decision or a recorded exception "
    "for the current plan."
)
NO_AGREEMENT = "Record the person's agreement to the plan before support starts."
NO_EVALUATION = "A case can only be closed after its evaluation is recorded."
NO_CLOSURE_DECISION = (
    "A case is closed by the meeting's decision, or by a recorded exception with its "
    "reason: record the closure decision first."
)
NOT_A_MOVE = "This case cannot move from its current stage to the one chosen."


def at(stage: str, facts: CaseFacts = EVERYTHING, **changes: object) -> CaseFacts:
    return replace(facts, stage=stage, **changes)  # type: ignore[arg-type]


def test_the_machine_knows_every_core_stage_and_nothing_else() -> None:
    # given the core stages, then each has its moves and every move leads to a stage
    assert set(MOVES) == set(STAGES)
    assert all(t in STAGES for ts in MOVES.values() for t in ts)


def test_the_happy_path_is_allowed_when_each_step_has_what_it_needs() -> None:
    # given a case with everything recorded, when it walks the flow, then no move is refused
    path = ["intake", "assessment", "plan_draft", "decision", "support", "monitoring"]
    path += ["support", "evaluation", "closed"]
    for here, there in pairwise(path):
        assert refusal(at(here), there) is None, (here, there)


def test_no_draft_plan_without_an_assessment() -> None:
    # given a case at assessment with no assessment recorded
    facts = at("assessment", NOTHING)
    # when it is moved to the draft plan, then the rule says why not
    assert refusal(facts, "plan_draft") == NO_ASSESSMENT
    # and once the assessment is there, the move is allowed
    assert refusal(replace(facts, has_assessment=True), "plan_draft") is None


def test_no_support_decision_without_a_plan() -> None:
    facts = at("plan_draft", NOTHING, has_assessment=True)
    assert refusal(facts, "decision") == NO_PLAN


def test_no_support_decision_without_a_decision_taken_since_the_latest_plan() -> None:
    # given a plan but no meeting decision or exception recorded after it
    facts = at("plan_draft", EVERYTHING, decision_since_plan=False)
    # then the case cannot reach 支援決定
    assert refusal(facts, "decision") == NO_DECISION
    # and a decision recorded after the plan opens the way
    assert refusal(replace(facts, decision_since_plan=True), "decision") is None


def test_no_support_before_the_person_agreed_to_the_plan() -> None:
    facts = at("decision", EVERYTHING, plan_agreed=False)
    assert refusal(facts, "support") == NO_AGREEMENT
    assert refusal(replace(facts, plan_agreed=True), "support") is None


def test_monitoring_needs_a_plan() -> None:
    facts = at("support", NOTHING)
    assert refusal(facts, "monitoring") == "Monitoring needs a plan."


def test_no_closure_without_an_evaluation() -> None:
    facts = at("evaluation", EVERYTHING, has_evaluation=False)
    assert refusal(facts, "closed") == NO_EVALUATION
    assert refusal(replace(facts, has_evaluation=True), "closed") is None


def test_no_closure_without_the_closure_decision() -> None:
    # given an evaluated case whose closure nobody decided (no meeting, no exception)
    facts = at("evaluation", EVERYTHING, closure_decided=False)
    # then 終結 is refused with the rule; once decided, it is allowed
    assert refusal(facts, "closed") == NO_CLOSURE_DECISION
    assert refusal(replace(facts, closure_decided=True), "closed") is None


@pytest.mark.parametrize("stage", sorted(OPEN_STAGES))
def test_any_open_stage_can_be_suspended_and_resumes_where_it_stopped(stage: str) -> None:
    # given a case at an open stage, then suspension is one of its moves
    assert "suspended" in targets(at(stage))
    assert refusal(at(stage), "suspended") is None
    # when it is suspended there, then 再開 leads back to exactly that stage
    suspended = at("suspended", resume_stage=stage)
    assert targets(suspended) == (stage,)
    assert refusal(suspended, stage) is None
    others = [s for s in STAGES if s != stage]
    assert all(refusal(suspended, s) == NOT_A_MOVE for s in others)


def test_resuming_still_obeys_the_guards() -> None:
    # given a case suspended at the draft plan, whose facts show no assessment
    suspended = at("suspended", resume_stage="plan_draft", has_assessment=False)
    # then 再開 is no back door: the draft plan still needs the assessment
    assert refusal(suspended, "plan_draft") == NO_ASSESSMENT


def test_a_suspended_case_without_a_resume_stage_goes_back_to_intake() -> None:
    assert targets(at("suspended", resume_stage=None)) == ("intake",)


def test_closed_only_reopens_as_a_new_support_period() -> None:
    closed = at("closed")
    # 再開 after 終結 goes back to インテーク; nothing else moves a closed case
    assert targets(closed) == ("intake",)
    assert refusal(closed, "intake") is None
    assert all(refusal(closed, s) == NOT_A_MOVE for s in STAGES if s != "intake")


def test_suspended_cannot_be_suspended_again() -> None:
    assert refusal(at("suspended", resume_stage="support"), "suspended") == NOT_A_MOVE


@pytest.mark.parametrize(
    ("here", "there"),
    [
        ("intake", "plan_draft"),  # skipping the assessment
        ("intake", "closed"),
        ("assessment", "decision"),
        ("plan_draft", "support"),  # support without 支援決定
        ("support", "closed"),  # closure without 評価
        ("monitoring", "closed"),
        ("reception", "assessment"),
    ],
)
def test_stages_cannot_be_skipped(here: str, there: str) -> None:
    assert there not in targets(at(here))
    assert refusal(at(here), there) == NOT_A_MOVE


def test_plan_review_goes_back_to_the_draft_plan_and_needs_a_new_decision() -> None:
    # given monitoring found the plan needs review, the case goes back to the draft plan
    assert refusal(at("monitoring"), "plan_draft") is None
    # when a new plan version is written, the earlier decision no longer covers it
    after_review = at("plan_draft", EVERYTHING, decision_since_plan=False)
    assert refusal(after_review, "decision") == NO_DECISION
