"""Case routes for the isolation matrix, and helpers that open cases the way intake does.

A case is made through ``do_intake`` at the "hokatsu" counter (multi-agency), so each
tenant's ``caseworker`` (地域包括支援センター) takes part in it and can see it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case
from kasane.core.cases.records import do_record_assessment
from kasane.core.cases.services import do_move
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import JST
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env
from tests.isolation.routes import IdRoute


def today() -> date:
    return datetime.now(JST).date()


async def tenant_setup(db: Database, slug: str) -> tuple[uuid.UUID, TenantConfig]:
    """(tenant id, the tenant's validated plugin configuration)."""
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, slug)
        assert tenant is not None
    return tenant.id, plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))


async def actor_of(session: AsyncSession, username: str) -> ActorInfo:
    account = (
        await session.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one()
    return ActorInfo.of(account)


async def intake_case(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    counter: str = "hokatsu",
    outcome: str = "multi_agency",
    name: str = "臼杵 花子",
    kana: str = "ウスキ ハナコ",
) -> Case:
    """A consultation at ``counter`` whose outcome opens a case (a new person each time)."""
    data: dict[str, Any] = {
        "received_on": today().isoformat(),
        "channel": "visit_counter",
        "kana": kana,
        "name": name,
        "birth_date": "1948-05-01",
        "categories": ["care", "family"],
        "main_category": "care",
    }
    submission = check_form(config.forms["intake"], data)
    assert submission.ok, submission.errors
    result = await do_intake(
        session,
        actor,
        config,
        counter_key=counter,
        submission=submission,
        outcome=outcome,
        today=today(),
    )
    assert result.case is not None
    return result.case


ASSESSMENT = {"issues": ["care_burden", "isolation"], "wishes": "家で暮らし続けたい"}


async def record_assessment(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, case: Case
) -> None:
    form = config.forms["assessment"]
    submission = check_form(form, ASSESSMENT)
    assert submission.ok, submission.errors
    await do_record_assessment(session, actor, case, form, submission)


WALK = ("intake", "assessment", "plan_draft", "decision", "support", "evaluation")


async def walk(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, case: Case, until: str
) -> None:
    """Take ``case`` through the flow by the services until it stands at ``until``."""
    from kasane.core.cases.decisions import do_record_decision
    from kasane.core.cases.records import PlanRowInput, do_save_plan

    for stage in WALK[1 : WALK.index(until) + 1]:
        if stage == "plan_draft":
            await record_assessment(session, actor, config, case)
        if stage == "decision":
            row = PlanRowInput("介護負担", "負担を減らす", "サービス調整", "hokatsu", "3か月")
            await do_save_plan(
                session,
                actor,
                case,
                wishes="家で暮らし続けたい",
                rows=[row],
                next_monitoring_on=None,
                agreed_on=today(),
                agreement_method="written",
            )
            await do_record_decision(
                session,
                actor,
                config,
                case,
                kind="support_decision",
                source="exception",
                decided_on=today(),
                note="会議を待てない事情",
            )
            continue  # the decision moved the case
        await do_move(session, actor, case, stage, today=today())


async def evaluate(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    outcome: str,
    summary: str,
    *,
    day: date | None = None,
    finding: str = "",
) -> None:
    """評価 of a case standing at 評価: every goal of its current plan judged ``outcome``."""
    from kasane.core.cases.records import do_record_evaluation, latest_plan

    _plan, rows = await latest_plan(session, case.id)
    await do_record_evaluation(
        session,
        actor,
        case,
        evaluated_on=day or today(),
        goals={r.id: (outcome, finding) for r in rows},
        outcome=outcome,
        summary=summary,
    )


def make_case(env: Env, slug: str, *, until: str = "intake", assessed: bool = False) -> uuid.UUID:
    """A case of ``slug`` that its caseworker sees, standing at ``until`` (optionally with
    an assessment recorded at that stage)."""

    async def go(db: Database) -> uuid.UUID:
        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            await walk(s, actor, config, case, until)
            if assessed:
                await record_assessment(s, actor, config, case)
            return case.id

    return env.run(go)


def case_id(env: Env, slug: str) -> uuid.UUID:
    return make_case(env, slug)


def assessed_case_id(env: Env, slug: str) -> uuid.UUID:
    return make_case(env, slug, until="assessment", assessed=True)


def planned_case_id(env: Env, slug: str) -> uuid.UUID:
    """At plan_draft with plan version 1, not yet agreed."""

    async def go(db: Database) -> uuid.UUID:
        from kasane.core.cases.records import PlanRowInput, do_save_plan

        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            await walk(s, actor, config, case, "plan_draft")
            row = PlanRowInput("介護負担", "負担を減らす", "サービス調整", "hokatsu")
            await do_save_plan(
                s, actor, case, wishes="", rows=[row], next_monitoring_on=None, agreed_on=None
            )
            return case.id

    return env.run(go)


def supported_case_id(env: Env, slug: str) -> uuid.UUID:
    return make_case(env, slug, until="support")


def evaluating_case_id(env: Env, slug: str) -> uuid.UUID:
    return make_case(env, slug, until="evaluation")


NOTE = {"note-kind": "phone", "note-occurred_on": "2026-04-01", "note-body": "電話で近況確認"}

ROUTES = [
    IdRoute("/cases/{id}", case_id),
    IdRoute("/cases/{id}/assessment/new", case_id),
    IdRoute("/cases/{id}/assessment/{version}", assessed_case_id, params={"version": "1"}),
    IdRoute("/cases/{id}/plan/new", planned_case_id),
    IdRoute("/cases/{id}/plan/row", case_id),
    IdRoute("/cases/{id}/plan/{version}", planned_case_id, params={"version": "1"}),
    # Writes: the other tenant's id must be a plain 404 and change nothing.
    IdRoute("/cases/{id}/move", case_id, "POST", form={"to": "assessment"}),
    IdRoute(
        "/cases/{id}/decisions",
        planned_case_id,
        "POST",
        form={
            "decision-kind": "support_decision",
            "decision-source": "exception",
            "decision-decided_on": "2026-04-01",
            "decision-note": "緊急のため会議前に決定",
        },
    ),
    IdRoute(
        "/cases/{id}/agencies",
        case_id,
        "POST",
        form={
            "agency-agency": "kikan",
            "agency-basis": "other_law",
            "agency-law": "障害者総合支援法",
        },
    ),
    IdRoute(
        "/cases/{id}/agencies/{agency_key}/end",
        case_id,
        "POST",
        params={"agency_key": "chiikiryoku"},
    ),
    IdRoute("/cases/{id}/lead", case_id, "POST", form={"lead-agency": "chiikiryoku"}),
    IdRoute(
        "/cases/{id}/collaboration",
        case_id,
        "POST",
        form={"action": "end", "collab-reason": "主担当へ引き継ぎ"},
    ),
    IdRoute("/cases/{id}/notes", case_id, "POST", form=NOTE),
    IdRoute(
        "/cases/{id}/assessment",
        case_id,
        "POST",
        form={"issues": "care_burden"},
    ),
    IdRoute(
        "/cases/{id}/plan",
        assessed_case_id,
        "POST",
        form={"add_row": "1"},
    ),
    IdRoute(
        "/cases/{id}/plan/agreement",
        planned_case_id,
        "POST",
        form={"agreement-agreed_on": "2026-04-01", "agreement-method": "written"},
    ),
    IdRoute(
        "/cases/{id}/monitoring",
        supported_case_id,
        "POST",
        form={"monitoring-done_on": "2026-04-01", "monitoring-summary": "変化なし"},
    ),
    IdRoute(
        "/cases/{id}/evaluation",
        evaluating_case_id,
        "POST",
        form={
            "evaluation-evaluated_on": "2026-04-01",
            "evaluation-goal1": "met",
            "evaluation-summary": "目標達成",
        },
    ),
]
