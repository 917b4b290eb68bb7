"""評価 per plan goal (issue 12): every goal of the current plan is judged on its own, the
overall outcome is what the goals add up to, findings are sealed, and a new plan version
asks for its own goals. Both backends, both demo towns."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kasane.core.cases.models import EvaluationGoal
from kasane.core.cases.records import (
    PlanRowInput,
    do_record_evaluation,
    do_save_plan,
    evaluation_goals,
    latest_plan,
)
from kasane.core.cases.services import CaseRuleError
from kasane.core.db import Database
from tests.conftest import Env
from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup, today, walk


def refused(message: str):  # type: ignore[no-untyped-def]
    return pytest.raises(CaseRuleError, match=f"^{re.escape(message)}$")


EACH_GOAL = "Judge each goal of the current plan."
HOW_FAR = "Choose how far each goal was met."


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_each_goal_is_judged_and_the_overall_outcome_follows(any_env: Env, slug: str) -> None:
    async def go(db: Database) -> None:
        tenant_id, _config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, _config)
            await walk(s, actor, _config, case, "plan_draft")
            # given a plan with three goals, decided and carried out, at 評価
            agency = _config.agencies[0].key
            rows = [
                PlanRowInput("介護負担", "介護者が休める", "ショートステイ", agency),
                PlanRowInput("孤立", "地域の集いに参加する", "同行支援", agency),
                PlanRowInput("家計", "滞納を解消する", "家計相談", agency),
            ]
            await do_save_plan(
                s, actor, case, wishes="家で暮らしたい", rows=rows,
                next_monitoring_on=None, agreed_on=today(), agreement_method="written",
            )  # fmt: skip
            await walk_on(s, actor, _config, case)
            _plan, saved = await latest_plan(s, case.id)
            first, second, third = (r.id for r in saved)

            # a goal left out, an unknown outcome, a row of another plan: each refused
            with refused(EACH_GOAL):
                await do_record_evaluation(
                    s, actor, case, evaluated_on=today(), summary="x",
                    goals={first: ("met", ""), second: ("met", "")},
                )  # fmt: skip
            with refused(HOW_FAR):
                await do_record_evaluation(
                    s, actor, case, evaluated_on=today(), summary="x",
                    goals={first: ("met", ""), second: ("great", ""), third: ("met", "")},
                )  # fmt: skip

            # when every goal is judged: met, not met, partly → the case is 一部達成 overall
            evaluation = await do_record_evaluation(
                s, actor, case, evaluated_on=today(), summary="総合して前進した",
                goals={
                    first: ("met", "月2回のショートステイ"),
                    second: ("not_met", "まだ外出をためらう"),
                    third: ("partly", ""),
                },
            )  # fmt: skip
            await s.flush()
            assert evaluation.outcome == "partly" and evaluation.plan_version == 1
            judged = (await evaluation_goals(s, [evaluation.id]))[evaluation.id]
            assert [(j.row.goal, j.outcome, j.finding) for j in judged] == [
                ("介護者が休める", "met", "月2回のショートステイ"),
                ("地域の集いに参加する", "not_met", "まだ外出をためらう"),
                ("滞納を解消する", "partly", ""),
            ]
            # … and each finding is stored sealed, never as written
            stored = (await s.execute(select(EvaluationGoal.finding_sealed))).scalars().all()
            assert stored and not any("ショートステイ" in v for v in stored)

            # every goal met → 達成; every goal not met → 未達成
            every = {r.id: ("met", "") for r in saved}
            again = await do_record_evaluation(
                s, actor, case, evaluated_on=today(), summary="達成", goals=every
            )
            assert again.outcome == "met"
            none = {r.id: ("not_met", "") for r in saved}
            assert (
                await do_record_evaluation(
                    s, actor, case, evaluated_on=today(), summary="未達", goals=none
                )
            ).outcome == "not_met"

    any_env.run(go)


async def walk_on(s, actor, config, case) -> None:  # type: ignore[no-untyped-def]
    """From 計画作成 (plan saved) to 評価: decision by exception, support, evaluation."""
    from kasane.core.cases.decisions import do_record_decision
    from kasane.core.cases.services import do_move

    await do_record_decision(
        s, actor, config, case, kind="support_decision", source="exception",
        decided_on=today(), note="会議を待てない事情",
    )  # fmt: skip
    await do_move(s, actor, case, "support", today=today())
    await do_move(s, actor, case, "evaluation", today=today())
