"""Meetings on both backends: regular dates, who may see a meeting, the consent rule for the
agenda (and the legal basis each disclosure records), decisions applied to the case, and the
agenda the cases' state proposes.

Every test builds its own cases through intake (the demo tenants are shared by the session),
and asserts on those only.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.decisions import do_record_decision
from kasane.core.cases.models import Case
from kasane.core.cases.records import (
    PlanRowInput,
    do_record_assessment,
    do_save_plan,
)
from kasane.core.cases.services import do_move
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.consent.models import Disclosure
from kasane.core.consent.services import do_record_consent
from kasane.core.db import Database, uuid7
from kasane.core.errors import NotFound
from kasane.core.forms.validation import check_form
from kasane.core.gaps.services import gap_list
from kasane.core.intake.services import do_intake
from kasane.core.meetings.agenda import propose_agenda
from kasane.core.meetings.decisions import do_meeting_decision
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.meetings.services import (
    JST,
    MeetingRuleError,
    access_meeting,
    at_jst,
    do_add_case_to_agenda,
    do_add_outreach_to_agenda,
    do_cancel,
    do_create_meeting,
    do_generate_meetings,
    list_meetings,
)
from kasane.core.outreach.services import do_start_outreach
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from kasane_plugins.usuki import assumptions
from tests.conftest import Env
from tests.isolation.routes_cases import evaluate

# ------------------------------------------------------------------ helpers (used by the
# page tests and the isolation routes too)


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


def outsider(tenant_id: uuid.UUID, agency_key: str) -> ActorInfo:
    """A staff member of ``agency_key`` (no account needed for the service calls)."""
    return ActorInfo(uuid7(), tenant_id, "outsider", "outsider", "caseworker", agency_key)


async def new_case(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    counter: str = "hokatsu",
    outcome: str = "continued",
) -> Case:
    """A case opened at intake (stage 'intake'); its counter's agency leads."""
    submission = check_form(
        config.forms["intake"],
        {
            "received_on": today().isoformat(),
            "channel": "visit_counter",
            "kana": "かいぎ たろう",
            "name": f"会議 太郎 {uuid.uuid4().hex[:6]}（架空）",
            "categories": ["care"],
            "main_category": "care",
        },
    )
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
    await session.flush()
    return result.case


async def to_plan_draft(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, case: Case, *, agreed: bool
) -> None:
    """Assessment, then a draft plan (agreed by the person when ``agreed``)."""
    await do_move(session, actor, case, "assessment", today=today())
    form = config.forms["assessment"]
    await do_record_assessment(session, actor, case, form, check_form(form, {"issues": ["income"]}))
    await session.flush()
    await do_move(session, actor, case, "plan_draft", today=today())
    row = PlanRowInput(issue="家計", goal="家計の安定", action="家計相談", agency_key="shakyo")
    await do_save_plan(
        session,
        actor,
        case,
        wishes="自宅で暮らし続けたい",
        rows=[row],
        next_monitoring_on=None,
        agreed_on=today() if agreed else None,
        agreement_method="written" if agreed else "",
    )
    await session.flush()


async def to_evaluation(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, case: Case
) -> None:
    """Plan, 支援決定 (a recorded exception), support, then 評価 with the evaluation."""
    await to_plan_draft(session, actor, config, case, agreed=True)
    await do_record_decision(
        session, actor, config, case, kind="support_decision", source="exception",
        decided_on=today(), note="緊急のため会議前に決定",
    )  # fmt: skip
    await session.flush()
    await do_move(session, actor, case, "support", today=today())
    await session.flush()
    await do_move(session, actor, case, "evaluation", today=today())
    await session.flush()
    await evaluate(session, actor, case, "met", "目標を達成した")
    await session.flush()


async def consent_to(
    session: AsyncSession, actor: ActorInfo, case: Case, meeting_types: list[str]
) -> None:
    await do_record_consent(
        session,
        actor,
        case.person_id,
        agencies=["*"],
        meeting_types=meeting_types,
        purposes=["meetings"],
        obtained_on=today(),
        method="written",
    )


async def new_meeting(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, type_key: str, days: int = 7
) -> tuple[Meeting, MeetingType]:
    """An ad hoc meeting ``days`` from today at 14:00 JST."""
    meeting = await do_create_meeting(
        session,
        actor,
        config,
        meeting_type_key=type_key,
        starts_at=at_jst(today() + timedelta(days=days), "14:00"),
        place="第1会議室",
    )
    mt = config.meeting_type(type_key)
    assert mt is not None
    return meeting, mt


Step = Callable[[AsyncSession, ActorInfo, TenantConfig], Awaitable[Any]]


def in_tenant(env: Env, slug: str, step: Step, username: str = "supervisor") -> Any:
    """Run ``step(session, actor, config)`` in one committed transaction of the tenant."""

    async def go(db: Database) -> Any:
        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            return await step(s, await actor_of(s, username), config)

    return env.run(go)


# ------------------------------------------------------------------ regular dates


def test_generating_the_regular_meetings_is_idempotent(any_env: Env) -> None:
    # given a quarter far ahead, in which nobody has looked at usuki's calendar yet
    start, end = date(2031, 4, 1), date(2031, 6, 30)

    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        # when the meetings are generated, one is cancelled, and they are generated again
        first = await do_generate_meetings(s, config, start, end)
        second = await do_generate_meetings(s, config, start, end)
        meetings = list(
            (
                await s.execute(
                    select(Meeting).where(
                        Meeting.meeting_type_key == "jusoteki",
                        Meeting.occurrence_key >= start.isoformat(),
                        Meeting.occurrence_key <= end.isoformat(),
                    )
                )
            ).scalars()
        )
        await do_cancel(s, actor, meetings[0], "会場の都合")
        third = await do_generate_meetings(s, config, start, end)
        return first, second, third, sorted(m.starts_at.astimezone(JST) for m in meetings)

    first, second, third, starts = in_tenant(any_env, "usuki", step)
    # then the monthly 重層的支援会議 exists once per month, on the 2nd Tuesday at 14:00 JST,
    # and neither a second run nor a cancellation makes another one
    assert first == 3 and second == 0 and third == 0
    assert [(d.date(), d.strftime("%H:%M")) for d in starts] == [
        (date(2031, 4, 8), "14:00"),
        (date(2031, 5, 13), "14:00"),
        (date(2031, 6, 10), "14:00"),
    ]


# ------------------------------------------------------------------ membership


def test_an_agency_that_does_not_sit_on_the_meeting_gets_not_found(any_env: Env) -> None:
    # given a 支援会議 in usuki and an agency that is not among its members
    assert "ishibotoke" not in assumptions.SHIEN_KAIGI_MEMBERS
    assert "minsei" in assumptions.SHIEN_KAIGI_MEMBERS
    assert "minsei" not in assumptions.JUSOTEKI_MEMBERS

    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> dict:  # type: ignore[type-arg]
        shien, _ = await new_meeting(s, actor, config, "shien_kaigi", days=400)
        jusoteki, _ = await new_meeting(s, actor, config, "jusoteki", days=400)
        stranger = outsider(actor.tenant_id, "ishibotoke")
        minsei = outsider(actor.tenant_id, "minsei")
        seen: dict[str, Any] = {}
        # when each asks for the meetings
        for who, person in (("stranger", stranger), ("minsei", minsei)):
            for name, meeting in (("shien", shien), ("jusoteki", jusoteki)):
                try:
                    await access_meeting(s, person, config, meeting.id)
                    seen[f"{who}:{name}"] = True
                except NotFound:
                    seen[f"{who}:{name}"] = False
        window = dict(
            start=shien.starts_at - timedelta(hours=1), end=shien.starts_at + timedelta(hours=1)
        )
        seen["stranger:list"] = await list_meetings(s, stranger, config, **window)
        seen["minsei:list"] = {m.id for m in await list_meetings(s, minsei, config, **window)}
        seen["ids"] = (shien.id, jusoteki.id)
        return seen

    seen = in_tenant(any_env, "usuki", step)
    # then the outsider sees neither, as if they did not exist; 民生委員 see only the 支援会議
    assert seen["stranger:shien"] is False and seen["stranger:jusoteki"] is False
    assert seen["stranger:list"] == []
    assert seen["minsei:shien"] is True and seen["minsei:jusoteki"] is False
    assert seen["ids"][0] in seen["minsei:list"] and seen["ids"][1] not in seen["minsei:list"]


def test_another_tenants_meeting_is_not_found(any_env: Env) -> None:
    # given a marugame meeting
    theirs = in_tenant(
        any_env, "marugame", lambda s, a, c: _meeting_id(new_meeting(s, a, c, "marugoto"))
    )

    # when usuki's supervisor asks for it, then it is not found
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> None:
        with pytest.raises(NotFound):
            await access_meeting(s, actor, config, theirs)

    in_tenant(any_env, "usuki", step)


async def _meeting_id(made: Awaitable[tuple[Meeting, MeetingType]]) -> uuid.UUID:
    return (await made)[0].id


# ------------------------------------------------------------------ the consent rule


def test_a_case_without_consent_goes_only_to_the_support_meeting(any_env: Env) -> None:
    # given a case whose person has given no consent, and one meeting of each kind
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> dict:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        jusoteki, jmt = await new_meeting(s, actor, config, "jusoteki")
        shien, smt = await new_meeting(s, actor, config, "shien_kaigi")
        out: dict[str, Any] = {}
        # when it is put on the consent-based 重層的支援会議's agenda
        with pytest.raises(MeetingRuleError) as refused:
            await do_add_case_to_agenda(s, actor, jusoteki, jmt, case, "other", today=today())
        out["refusal"] = str(refused.value)
        out["jusoteki_items"] = (
            await s.execute(select(func.count()).where(AgendaItem.meeting_id == jusoteki.id))
        ).scalar_one()
        # … and on the 支援会議's
        item = await do_add_case_to_agenda(
            s, actor, shien, smt, case, "early_detection", today=today()
        )
        out["item_basis"] = item.basis
        out["disclosures"] = [
            (d.basis, d.meeting_id, d.to_meeting_type, d.basis_note)
            for d in (
                await s.execute(select(Disclosure).where(Disclosure.case_id == case.id))
            ).scalars()
        ]
        out["shien_id"] = shien.id
        return out

    out = in_tenant(any_env, "usuki", step)
    # then the consent meeting refuses it, saying why, and nothing is put on its agenda
    assert "no valid consent" in out["refusal"] and out["jusoteki_items"] == 0
    # and the 支援会議 takes it under 106条の6, recorded with the meeting it was shown to
    assert out["item_basis"] == "art106_6"
    assert out["disclosures"] == [
        ("art106_6", out["shien_id"], "shien_kaigi", "社会福祉法106条の6")
    ]


def test_with_consent_covering_the_meeting_the_case_is_shared_by_consent(any_env: Env) -> None:
    # given a case whose person consented to discussion at the 重層的支援会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        await consent_to(s, actor, case, ["jusoteki"])
        meeting, mt = await new_meeting(s, actor, config, "jusoteki")
        # when the case is put on its agenda
        item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "other", today=today())
        disclosure = (
            await s.execute(select(Disclosure).where(Disclosure.case_id == case.id))
        ).scalar_one()
        return (
            item.basis,
            disclosure.basis,
            disclosure.consent_id,
            disclosure.meeting_id,
            meeting.id,
        )

    item_basis, basis, consent_id, meeting_id, expected = in_tenant(any_env, "usuki", step)
    # then it is accepted, and the disclosure names the consent it rests on
    assert item_basis == basis == "consent"
    assert consent_id is not None and meeting_id == expected


def test_an_unnamed_outreach_record_goes_only_to_the_support_meeting(any_env: Env) -> None:
    # given an unnamed outreach record of the 地域包括支援センター
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> str:
        record = await do_start_outreach(
            s, actor, title="○○地区の高齢男性", description="郵便物がたまっている", place="",
            noticed_by="民生委員", area_key=None, today=today(),
        )  # fmt: skip
        await s.flush()
        jusoteki, jmt = await new_meeting(s, actor, config, "jusoteki")
        shien, smt = await new_meeting(s, actor, config, "shien_kaigi")
        with pytest.raises(MeetingRuleError):
            await do_add_outreach_to_agenda(s, actor, jusoteki, jmt, record)
        item = await do_add_outreach_to_agenda(s, actor, shien, smt, record)
        with pytest.raises(MeetingRuleError):  # and only once
            await do_add_outreach_to_agenda(s, actor, shien, smt, record)
        return item.basis

    # when it is put on each meeting's agenda, then only the 支援会議 takes it
    assert in_tenant(any_env, "usuki", step, username="caseworker") == "art106_6"


# ------------------------------------------------------------------ decisions


def test_a_support_decision_at_the_consent_meeting_starts_support(any_env: Env) -> None:
    # given a marugame case with a draft plan the person agreed to, on the 支援検討会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        mt_key = next(m.key for m in config.meeting_types if m.name == "支援検討会議")
        case = await new_case(s, actor, config)
        await to_plan_draft(s, actor, config, case, agreed=True)
        await consent_to(s, actor, case, [mt_key])
        meeting, mt = await new_meeting(s, actor, config, mt_key, days=0)
        item = await do_add_case_to_agenda(
            s, actor, meeting, mt, case, "support_decision", today=today()
        )
        # when the meeting decides support
        await do_meeting_decision(
            s, actor, config, meeting, mt, item, kind="support_decision", today=today()
        )
        return mt.legal_basis, case.stage, item.status

    legal_basis, stage, status = in_tenant(any_env, "marugame", step)
    # then the case is at 支援実施 and the item is decided
    assert legal_basis == "consent"
    assert stage == "support" and status == "decided"


def test_a_closure_decision_closes_an_evaluated_case(any_env: Env) -> None:
    # given a case at 評価 with its evaluation recorded, on the 重層的支援会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        await to_evaluation(s, actor, config, case)
        await consent_to(s, actor, case, ["jusoteki"])
        meeting, mt = await new_meeting(s, actor, config, "jusoteki", days=0)
        item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "evaluation", today=today())
        # when the meeting decides to close it
        await do_meeting_decision(
            s, actor, config, meeting, mt, item, kind="closure", today=today(), note="目標達成"
        )
        return case.stage, case.closed_on

    stage, closed_on = in_tenant(any_env, "usuki", step)
    # then the case is closed today
    assert stage == "closed" and closed_on == today()


def test_a_role_assignment_hands_the_lead_to_another_agency(any_env: Env) -> None:
    # given a case led by the 地域包括支援センター, on a 支援会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        lead_before = case.lead_agency_key
        meeting, mt = await new_meeting(s, actor, config, "shien_kaigi", days=0)
        item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "other", today=today())
        # when the meeting gives the lead to the 基幹相談支援センター
        await do_meeting_decision(
            s, actor, config, meeting, mt, item, kind="role_assignment", today=today(),
            lead_agency="kikan",
        )  # fmt: skip
        basis = (
            await s.execute(
                select(Disclosure.basis).where(
                    Disclosure.case_id == case.id, Disclosure.to_agency_key == "kikan"
                )
            )
        ).scalar_one()
        return lead_before, case.lead_agency_key, basis

    before, after, basis = in_tenant(any_env, "usuki", step)
    # then kikan leads, brought in under the meeting's legal basis
    assert before == "hokatsu" and after == "kikan" and basis == "art106_6"


def test_resource_development_adds_to_the_gap_list(any_env: Env) -> None:
    # given a consented case on the 重層的支援会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        await consent_to(s, actor, case, ["jusoteki"])
        meeting, mt = await new_meeting(s, actor, config, "jusoteki", days=0)
        item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "other", today=today())
        before = {(g.category, g.area_key): g.count for g in await gap_list(s)}
        # when the meeting finds a 居場所 missing in 野津地域
        await do_meeting_decision(
            s, actor, config, meeting, mt, item, kind="resource_development", today=today(),
            gap_category="ibasho", gap_area="nozu", note="野津地域に日中の居場所がない",
        )  # fmt: skip
        after = {(g.category, g.area_key): g for g in await gap_list(s)}
        return before.get(("ibasho", "nozu"), 0), after[("ibasho", "nozu")]

    before, row = in_tenant(any_env, "usuki", step)
    # then the gap list counts it, from a meeting
    assert row.count == before + 1 and "meeting" in row.sources


def test_a_meeting_may_take_only_its_own_kinds_of_decision(any_env: Env) -> None:
    # given a case on a 支援会議, which decides information sharing and roles only
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        meeting, mt = await new_meeting(s, actor, config, "shien_kaigi", days=0)
        item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "other", today=today())
        # when it is asked to close the case
        with pytest.raises(MeetingRuleError) as refused:
            await do_meeting_decision(
                s, actor, config, meeting, mt, item, kind="closure", today=today()
            )
        return str(refused.value), case.stage, item.status

    message, stage, status = in_tenant(any_env, "usuki", step)
    # then it refuses, and nothing changes
    assert message == "This meeting may not take that decision."
    assert stage == "intake" and status == "open"


# ------------------------------------------------------------------ proposals


def test_the_cases_state_proposes_the_agenda(any_env: Env) -> None:
    # given a case with a draft plan, an early-detection case at intake, and an unnamed
    # outreach record, all of agencies that sit on both meetings
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> dict:  # type: ignore[type-arg]
        planned = await new_case(s, actor, config)
        await to_plan_draft(s, actor, config, planned, agreed=False)
        early = await new_case(s, actor, config)
        record = await do_start_outreach(
            s, actor, title="○○団地の若年男性", description="ひきこもりの心配", place="",
            noticed_by="近隣住民", area_key=None, today=today(),
        )  # fmt: skip
        await s.flush()
        jusoteki, jmt = await new_meeting(s, actor, config, "jusoteki")
        shien, smt = await new_meeting(s, actor, config, "shien_kaigi")
        # when each meeting's agenda is proposed
        out = {}
        for name, meeting, mt in (("jusoteki", jusoteki, jmt), ("shien", shien, smt)):
            found = await propose_agenda(s, meeting, mt, today() + timedelta(days=7))
            out[name] = {(p.kind, p.case_id or p.outreach_id) for p in found}
        out["ids"] = (planned.id, early.id, record.id)
        return out

    out = in_tenant(any_env, "usuki", step, username="caseworker")
    planned, early, record = out["ids"]
    # then the plan awaits a support decision at the consent-based meeting …
    assert ("support_decision", planned) in out["jusoteki"]
    # … and the early-detection case and the outreach record go to the 支援会議 only
    assert ("early_detection", early) in out["shien"]
    assert ("outreach", record) in out["shien"]
    assert not {early, record} & {key for _kind, key in out["jusoteki"]}


@pytest.mark.postgres
def test_two_first_visits_of_a_month_do_not_collide(pg_env: Env) -> None:
    # Given two requests that both look before either has created 2032's meetings
    start, end = date(2032, 4, 1), date(2032, 4, 30)

    async def _generate_in_own_session(
        db: Database, tenant_id: uuid.UUID, config: TenantConfig
    ) -> int:
        async with db.session(tenant_id) as s:
            return await do_generate_meetings(s, config, start, end)

    async def race(db: Database) -> tuple[int, int, int]:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as first:
            made_first = await do_generate_meetings(first, config, start, end)  # not committed
            second_run = asyncio.create_task(_generate_in_own_session(db, tenant_id, config))
            await asyncio.sleep(0.5)  # the second now waits on the first's unique key
        made_second = await second_run  # the first committed: the second's insert lost
        async with db.session(tenant_id) as s:
            count = (
                await s.execute(
                    select(func.count())
                    .select_from(Meeting)
                    .where(Meeting.occurrence_key.between(start.isoformat(), end.isoformat()))
                )
            ).scalar_one()
        return made_first, made_second, count

    made_first, made_second, count = pg_env.run(race)
    # Then the second request gets no error, and each occurrence exists once
    assert made_first > 0 and made_second == 0
    assert count == made_first


def test_a_system_review_meeting_takes_no_case(any_env: Env) -> None:
    # Given 丸亀市's 体制検討会議, which reviews the support system and no individual case
    day = today()

    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        mt = config.meeting_type("taisei_kento")
        assert mt is not None and not mt.discusses_cases
        meeting = await do_create_meeting(
            s, actor, config, meeting_type_key=mt.key, starts_at=at_jst(day, "10:00")
        )
        case = (await s.execute(select(Case).limit(1))).scalar_one()
        proposals = await propose_agenda(s, meeting, mt, day)
        try:
            await do_add_case_to_agenda(s, actor, meeting, mt, case, "monitoring", today=day)
        except MeetingRuleError as refused:
            return proposals, str(refused)
        return proposals, None

    proposals, refusal = in_tenant(any_env, "marugame", step)
    # Then nothing is proposed for its agenda and a case put on it is refused
    assert proposals == []
    assert refusal is not None and "takes no individual cases" in refusal
