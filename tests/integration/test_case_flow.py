"""A case walks the whole flow through the services, on SQLite and on PostgreSQL (app role).

受付 at 臼杵市's 地域包括支援センター counter (multi-agency) → アセスメント → 支援プラン案 →
the 重層的支援会議 decides → 支援実施 → モニタリング → 評価 → 終結; every refusal on the way
names its rule, and the audit chain still verifies afterwards.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kasane.core.audit.services import count_events, verify_chain
from kasane.core.cases.decisions import do_record_decision
from kasane.core.cases.records import (
    PlanRowInput,
    do_record_agreement,
    do_record_monitoring,
    do_save_plan,
    latest_plan,
)
from kasane.core.cases.services import (
    CaseRuleError,
    access_case,
    active_agencies,
    do_add_agency,
    do_end_collaboration,
    do_move,
    do_set_lead,
    do_start_collaboration,
)
from kasane.core.db import Database
from kasane.core.errors import NotFound
from tests.conftest import Env
from tests.isolation.routes_cases import (
    actor_of,
    evaluate,
    intake_case,
    record_assessment,
    tenant_setup,
    today,
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
NO_CLOSE_REASON = "Say why the case is closed."
NO_REOPEN_REASON = "Say why the case is reopened."
NOT_A_MOVE = "This case cannot move from its current stage to the one chosen."
WRONG_MEETING = "This meeting may not take that decision."
NO_REASON = "An exception needs its reason recorded."
NO_CONSENT = (
    "There is no valid consent covering this sharing. Record the person's consent "
    "first, or name the law that allows it."
)


def refused(message: str):  # type: ignore[no-untyped-def]
    """Expect a CaseRuleError carrying exactly ``message`` (the msgid staff will read)."""
    return pytest.raises(CaseRuleError, match=f"^{re.escape(message)}$")


def test_a_multi_agency_case_walks_from_intake_to_closure(any_env: Env) -> None:
    async def go(db: Database) -> None:
        usuki, config = await tenant_setup(db, "usuki")
        d = today()
        async with db.session(usuki) as s:
            actor = await actor_of(s, "caseworker")
            # given a consultation at the 地域包括 counter that goes to 多機関協働
            case = await intake_case(s, actor, config)
            parts = {p.agency_key: p.role for p in await active_agencies(s, case.id)}
            assert case.stage == "intake" and case.collaboration
            assert case.lead_agency_key == "hokatsu"
            assert parts == {"hokatsu": "lead", "chiikiryoku": "participant"}

            # when it moves on, each step needs the one before
            with refused(NOT_A_MOVE):
                await do_move(s, actor, case, "plan_draft", today=d)
            await do_move(s, actor, case, "assessment", today=d)
            with refused(NO_ASSESSMENT):
                await do_move(s, actor, case, "plan_draft", today=d)
            await record_assessment(s, actor, config, case)
            await do_move(s, actor, case, "plan_draft", today=d)
            with refused(NO_PLAN):
                await do_move(s, actor, case, "decision", today=d)
            row = PlanRowInput("介護負担", "負担の軽減", "ショートステイ調整", "hokatsu", "3か月")
            plan = await do_save_plan(
                s,
                actor,
                case,
                wishes="家で暮らし続けたい",
                rows=[row],
                next_monitoring_on=None,
                agreed_on=None,
            )
            with refused(NO_DECISION):
                await do_move(s, actor, case, "decision", today=d)

            # a 支援会議 (106条の6) may not decide support; an exception needs its reason
            with refused(WRONG_MEETING):
                await do_record_decision(
                    s,
                    actor,
                    config,
                    case,
                    kind="support_decision",
                    source="meeting",
                    meeting_type_key="shien_kaigi",
                    decided_on=d,
                )
            with refused(NO_REASON):
                await do_record_decision(
                    s,
                    actor,
                    config,
                    case,
                    kind="support_decision",
                    source="exception",
                    decided_on=d,
                    note="   ",
                )
            assert case.stage == "plan_draft"

            # the 重層的支援会議 decides support: the case reaches 支援決定
            await do_record_decision(
                s,
                actor,
                config,
                case,
                kind="support_decision",
                source="meeting",
                meeting_type_key="jusoteki",
                decided_on=d,
            )
            assert case.stage == "decision"
            with refused(NO_AGREEMENT):
                await do_move(s, actor, case, "support", today=d)
            await do_record_agreement(s, actor, case, plan, d, "written")
            await do_move(s, actor, case, "support", today=d)

            # monitoring moves 支援実施 → モニタリング and sets the next date
            await do_record_monitoring(
                s,
                actor,
                case,
                done_on=d,
                summary="ショートステイ利用開始。介護者の睡眠が改善。",
                plan_review_needed=False,
                next_on=d + timedelta(days=30),
            )
            assert case.stage == "monitoring"
            assert case.next_monitoring_on == d + timedelta(days=30)

            # before closing: another agency joins under a named law (no consent recorded)
            with refused(NO_CONSENT):
                await do_add_agency(s, actor, config, case, "kikan", d)
            await do_add_agency(
                s, actor, config, case, "kikan", d, basis="other_law", basis_note="障害者総合支援法"
            )

            # closure needs the evaluation
            with refused(NOT_A_MOVE):
                await do_move(s, actor, case, "closed", today=d)
            await do_move(s, actor, case, "evaluation", today=d)
            with refused(NO_EVALUATION):
                await do_move(s, actor, case, "closed", today=d)
            await evaluate(s, actor, case, "met", "在宅生活を継続できている", day=d)
            # … and the closure decided by the meeting (or an exception with its reason)
            with refused(NO_CLOSURE_DECISION):
                await do_move(s, actor, case, "closed", today=d, note="目標達成")
            await do_record_decision(
                s,
                actor,
                config,
                case,
                kind="closure",
                source="exception",
                decided_on=d,
                note="本人が転居したため会議を待たずに終結",
                apply=False,
            )
            with refused(NO_CLOSE_REASON):
                await do_move(s, actor, case, "closed", today=d)
            await do_move(s, actor, case, "closed", today=d, note="目標達成")

            # then the case is closed and final; only the lead agency keeps the record
            assert case.stage == "closed" and case.closed_on == d
            assert not case.collaboration and case.next_monitoring_on is None
            assert [a.agency_key for a in await active_agencies(s, case.id)] == [
                case.lead_agency_key
            ]
            with refused(NOT_A_MOVE):
                await do_move(s, actor, case, "support", today=d)
            # 再開 after 終結 opens a new support period, with its reason, audited
            with refused(NO_REOPEN_REASON):
                await do_move(s, actor, case, "intake", today=d)
            await do_move(s, actor, case, "intake", today=d, note="再び相談があった")
            assert case.stage == "intake" and case.closed_on is None
            assert await count_events(s, "case.reopen") >= 1
            case_id = case.id

        # the other tenant never sees it, whoever asks
        marugame, _config = await tenant_setup(db, "marugame")
        async with db.session(marugame) as s:
            with pytest.raises(NotFound):
                await access_case(s, await actor_of(s, "caseworker"), case_id)

        # and the audit chain verifies, with the steps in it
        async with db.session(usuki) as s:
            report = await verify_chain(s)
            assert report.ok, report
            assert await count_events(s, "case.decision") >= 1
            assert await count_events(s, "evaluation.record") >= 1

    any_env.run(go)


def test_ending_collaboration_keeps_the_case_with_its_lead(any_env: Env) -> None:
    async def go(db: Database) -> None:
        usuki, config = await tenant_setup(db, "usuki")
        d = today()
        async with db.session(usuki) as s:
            caseworker = await actor_of(s, "caseworker")  # 地域包括 (the counter's agency)
            supervisor = await actor_of(s, "supervisor")  # 地域力創生課 (runs 多機関協働)
            case = await intake_case(s, caseworker, config)
            await do_move(s, caseworker, case, "assessment", today=d)

            # given 多機関協働 took the lead of a complex case
            await do_set_lead(s, supervisor, case, "chiikiryoku")
            assert case.lead_agency_key == "chiikiryoku"
            # when its involvement ends, then the case goes on under its lead
            await do_end_collaboration(s, supervisor, config, case, d, "役割分担が整理できた")
            assert not case.collaboration and case.stage == "assessment"
            assert case.lead_agency_key == "chiikiryoku"
            await access_case(s, supervisor, case.id)
            # and the lead can be handed back to the counter's agency
            await do_set_lead(s, supervisor, case, "hokatsu")
            roles = {p.agency_key: p.role for p in await active_agencies(s, case.id)}
            assert case.lead_agency_key == "hokatsu"
            assert roles == {"hokatsu": "lead", "chiikiryoku": "participant"}

            # given 多機関協働 starts again and ends while the counter leads
            await do_start_collaboration(s, caseworker, config, case, d)
            with refused("Multi-agency collaboration is already under way."):
                await do_start_collaboration(s, caseworker, config, case, d)
            await do_end_collaboration(s, caseworker, config, case, d, "主担当へ引き継ぎ")
            # then the coordinator steps out, and the case stays open with the counter
            assert [p.agency_key for p in await active_agencies(s, case.id)] == ["hokatsu"]
            assert case.stage == "assessment" and case.lead_agency_key == "hokatsu"
            await access_case(s, caseworker, case.id)
            with pytest.raises(NotFound):
                await access_case(s, supervisor, case.id)
            with refused("Multi-agency collaboration is not under way."):
                await do_end_collaboration(s, caseworker, config, case, d, "")
            # an agency that does not take part cannot be handed the lead
            with refused("Only an agency that takes part can become the lead."):
                await do_set_lead(s, caseworker, case, "chiikiryoku")
        async with db.session(usuki) as s:
            assert (await verify_chain(s)).ok

    any_env.run(go)


def test_a_suspended_case_resumes_where_it_stopped(any_env: Env) -> None:
    async def go(db: Database) -> None:
        usuki, config = await tenant_setup(db, "usuki")
        d = today()
        async with db.session(usuki) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            await do_move(s, actor, case, "assessment", today=d)
            # given a suspension without a reason, then it is refused
            with refused("Say why support is suspended."):
                await do_move(s, actor, case, "suspended", today=d)
            # when it is suspended with its reason
            await do_move(s, actor, case, "suspended", today=d, note="本人と連絡が取れない")
            assert case.stage == "suspended" and case.resume_stage == "assessment"
            # then it can only resume where it stopped, and then goes on as before
            with refused(NOT_A_MOVE):
                await do_move(s, actor, case, "intake", today=d)
            await do_move(s, actor, case, "assessment", today=d, note="再開")
            assert case.stage == "assessment" and case.resume_stage is None
            # a suspension decision at the meeting suspends the case the same way
            await do_record_decision(
                s,
                actor,
                config,
                case,
                kind="suspension",
                source="meeting",
                meeting_type_key="jusoteki",
                decided_on=d,
            )
            assert case.stage == "suspended" and case.resume_stage == "assessment"

    any_env.run(go)


def test_a_plan_changes_only_at_the_draft_plan_stage(any_env: Env) -> None:
    async def go(db: Database) -> None:
        usuki, config = await tenant_setup(db, "usuki")
        d = today()
        row = PlanRowInput("家計", "家計の安定", "家計相談", "shakyo")
        async with db.session(usuki) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            await do_move(s, actor, case, "assessment", today=d)
            # given a case still at the assessment, a plan is refused
            with pytest.raises(CaseRuleError):
                await do_save_plan(
                    s, actor, case, wishes="", rows=[row], next_monitoring_on=None, agreed_on=None
                )
            await record_assessment(s, actor, config, case)
            await do_move(s, actor, case, "plan_draft", today=d)
            await do_save_plan(
                s,
                actor,
                case,
                wishes="",
                rows=[row],
                next_monitoring_on=None,
                agreed_on=d,
                agreement_method="oral",
            )
            await do_record_decision(
                s,
                actor,
                config,
                case,
                kind="support_decision",
                source="exception",
                decided_on=d,
                note="緊急",
            )
            await do_move(s, actor, case, "support", today=d)
            # when support is under way, a new version would skip decision and agreement
            with pytest.raises(CaseRuleError):
                await do_save_plan(
                    s, actor, case, wishes="", rows=[row], next_monitoring_on=None, agreed_on=None
                )
            # then a review goes back through the draft plan and needs a new decision
            await do_move(s, actor, case, "monitoring", today=d)
            await do_move(s, actor, case, "plan_draft", today=d, note="プラン見直し")
            await do_save_plan(
                s, actor, case, wishes="", rows=[row, row], next_monitoring_on=None, agreed_on=None
            )
            with refused(NO_DECISION):
                await do_move(s, actor, case, "decision", today=d)
            plan, rows = await latest_plan(s, case.id)
            assert plan is not None and plan.version == 2 and len(rows) == 2

    any_env.run(go)
