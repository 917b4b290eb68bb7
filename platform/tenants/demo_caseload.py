"""A living demo caseload for ``make run``: households, consultations and cases in every stage.

EVERYTHING HERE IS FICTITIOUS. Every person, household, address, story and note is invented
for the demo; each name ends in （架空）, addresses say 架空, and no phone number or e-mail is
given. Any resemblance to a real person is coincidence.

The seed acts as the demo accounts and goes through the domain services (``do_intake``,
``do_move``, ``do_record_decision`` …), so every record is audited and every narrative sealed
as in real use, and each state-machine rule is checked on the way. Business dates (received,
decided, monitored …) spread over the last twelve months in JST, drawn from
``random.Random(slug)``. Record timestamps (``created_at``, stage events, decisions) follow
those dates through a session listener so timelines read naturally; the audit log keeps the
real time of seeding, since its timestamps are hashed.

One shortcut, because no service does it: the cases shown at 受付 (``reception``) are
opened by ``do_intake`` (which opens at インテーク) and then set back to ``reception``.

Modules: :mod:`.demo_stories` (the invented households), :mod:`.demo_seeder` (clock, names,
intake), :mod:`.demo_records` (one record step each), this one (each case's path, referrals,
the entry point). Seeding a tenant takes about 2 s on SQLite.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import event, select

from kasane.core.auth.models import StaffAccount
from kasane.core.cases import records as rec
from kasane.core.cases import services as cs
from kasane.core.cases.decisions import do_record_decision
from kasane.core.cases.models import Case, StageEvent
from kasane.core.config_types import TenantConfig
from kasane.core.consent.services import consents_of, do_withdraw_consent
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.people.models import Person
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import do_send_referral
from kasane.tenants.demo_records import RecordSteps
from kasane.tenants.demo_stories import CASE_STORIES, STAGE_PLAN, Story, consult_only_stories
from kasane.tenants.models import Tenant


class CaseloadSeeder(RecordSteps):
    """Takes each household's case through the services up to its stage."""

    async def case(self, story: Story, target: str) -> None:
        """One household's case, taken through the services up to ``target``.

        Long: one household's story through the stages, in the order it happens.
        """
        reach = target
        if target == "suspended":
            self.suspensions += 1
            reach = "support" if self.suspensions % 2 else "assessment"
        need, slack = SPAN[reach]
        if target == "suspended":
            need += 40
        d = self.today - timedelta(days=need + self.rng.randint(0, slack))
        outcome = "multi_agency" if story.multi else "continued"
        result, people = await self.intake(story, d, outcome)
        case: Case = result.case
        self.cases.append(case)
        head = people[0]
        if reach == "reception":  # see the module docstring: no service opens at 受付
            event_row = (
                await self.s.execute(select(StageEvent).where(StageEvent.case_id == case.id))
            ).scalar_one()
            event_row.to_stage = case.stage = "reception"
            return await self.finish(case)
        await self.note(case, d, "interview")
        early = story.key in ("8050", "hikikomori")  # the withdrawn member has not agreed yet
        consented = reach not in ("intake", "assessment") or target == "suspended" or not early
        if story.key == "8050" or (early and not consented):
            d = self.later(d, 2, 10)
            await self.share_at_support_meeting(case, d)
        if reach == "intake":
            return await self.finish(case)
        d = self.later(d, 4, 12)
        await cs.do_move(self.s, self.note_actor(case), case, "assessment", today=d)
        consent = await self.consent(head, d, ["*"]) if consented else None
        await self.assess(case, story)
        if consent is not None or self.sharing_meeting is not None:
            await self.join_partners(case, story, d, consent is not None)
        if story.key == "double_care":
            await self.consult_again(case, head, story, "children")
        if story.key == "elderly_single" and case.lead_agency_key != self.agency_for("elderly"):
            if consent is not None:  # a general counter hands the lead to the elderly centre
                await cs.do_add_agency(
                    self.s, self.lead, self.config, case, self.agency_for("elderly"), d
                )
                await cs.do_set_lead(self.s, self.lead, case, self.agency_for("elderly"))
        if reach == "assessment":
            if target == "suspended" and consent is not None:
                d = self.later(d, 5, 15)
                await do_withdraw_consent(
                    self.s, self.lead, consent.id, d, note="本人の申し出（架空）"
                )
                await cs.do_move(
                    self.s,
                    self.lead,
                    case,
                    "suspended",
                    today=d,
                    note="本人が同意を撤回し、支援を望まないため中断（架空）",
                )
            return await self.finish(case)
        d = self.later(d, 7, 20)
        await cs.do_move(self.s, self.note_actor(case), case, "plan_draft", today=d)
        plan = await rec.do_save_plan(
            self.s,
            self.note_actor(case),
            case,
            wishes=story.wishes,
            rows=[
                rec.PlanRowInput(i, g, a, self.agency_for(f), "6か月") for i, g, a, f in story.rows
            ],
            next_monitoring_on=d + timedelta(days=self.rng.randint(60, 75)),
            agreed_on=None,
        )
        if reach == "plan_draft":
            return await self.finish(case)
        d = self.later(d, 3, 10)
        if not self.exception_used:  # one urgent case decided as a recorded exception
            self.exception_used = True
            await do_record_decision(
                self.s,
                self.lead,
                self.config,
                case,
                kind="support_decision",
                source="exception",
                decided_on=d,
                note="緊急性が高く会議を待たずに決定。次回の会議で報告する（架空）。",
            )
        else:
            d = await self.decide(case, "support_decision", d)
        if reach == "decision":
            return await self.finish(case)
        d = self.later(d, 1, 7)
        await rec.do_record_agreement(self.s, self.lead, case, plan, d, "written")
        await cs.do_move(self.s, self.note_actor(case), case, "support", today=d)
        await self.note(case, self.later(d, 3, 14), self.rng.choice(["visit", "accompany"]))
        start = d
        if target == "suspended":
            d = self.later(d, 10, 30)
            await self.decide(case, "suspension", d, note="長期入院のため支援を中断（架空）")
            return await self.finish(case)
        if reach in ("support", "monitoring"):
            if reach == "monitoring" or (self.today - start).days > 35:
                dates, nxt = self.ongoing_monitorings(start, next(self.monitoring_modes))
                await self.monitor(case, dates, nxt, back_to_support=reach == "support")
                await self.note(case, dates[-1], "phone")
                if reach == "monitoring":
                    await self.monitoring_extras(case, head, dates[-1])
            return await self.finish(case)
        dates = [self.later(start, 30, 50)]
        dates.append(self.later(dates[0], 40, 50))
        await self.monitor(case, dates, None, back_to_support=False)
        d = self.later(dates[-1], 20, 40)
        await cs.do_move(self.s, self.note_actor(case), case, "evaluation", today=d)
        if reach == "closed" or self.rng.random() < 0.5:
            await self.evaluate(
                case,
                d,
                self.rng.choice(["met", "met", "partly"]),
                "課題が整理され、地域の見守りにつながった（架空）。",
            )
        if reach == "closed":
            d = await self.decide(case, "closure", self.later(d, 3, 10), note="目標達成のため終結")
        return await self.finish(case)

    async def monitoring_extras(self, case: Case, head: Person, day: date) -> None:
        """Once, a narrowed consent; once, 多機関協働 steps back; then a 継続 decision."""
        parts = [
            a.agency_key
            for a in await cs.active_agencies(self.s, case.id)
            if a.role != "lead" and a.agency_key != self.coordinator
        ]
        if not self.consent_narrowed and parts:  # the person no longer wants one agency told
            self.consent_narrowed = True
            for old in await consents_of(self.s, head.id):
                await do_withdraw_consent(self.s, self.lead, old.id, self.on(day), "範囲の変更")
            keep = [a.agency_key for a in await cs.active_agencies(self.s, case.id)]
            await self.consent(head, day, [k for k in keep if k != parts[-1]])
            await cs.do_end_agency(self.s, self.lead, case, parts[-1], self.clock.day)
        if not self.collaboration_ended and case.collaboration:
            if case.lead_agency_key != self.coordinator:
                self.collaboration_ended = True
                await cs.do_end_collaboration(
                    self.s, self.lead, self.config, case, self.on(day), "主担当機関が定まったため"
                )
        if self.consent_meeting and "continuation" in self.consent_meeting.decisions:
            await self.decide(case, "continuation", self.later(day, 1, 3))

    async def finish(self, case: Case) -> None:
        case.updated_at = self.clock.stamp()  # latest activity on the business timeline
        await self.s.flush()

    async def consult_only(self) -> None:
        """Consultations that end at the counter: information given, or a referral (つなぎ)."""
        for story, outcome, field in consult_only_stories():
            if outcome == "referral":
                step = self.referral_steps.pop(0)
                day = self.referral_day(step, self.today - timedelta(days=200))
                to = self.agency_for(field or "general")
                counter = next(
                    c.key
                    for c in self.config.counters
                    if c.field == "general" and (c.agency or self.coordinator) != to
                )
                result, _ = await self.intake(story, day, "referral", to, counter)
                referral = (
                    await self.s.execute(
                        select(Referral).where(Referral.consultation_id == result.consultation.id)
                    )
                ).scalar_one()
                await self.refer(referral, step, day)
                self.referrals += 1
            else:
                day = self.today - timedelta(days=self.rng.randint(5, 300))
                await self.intake(story, day, "info_only")

    async def case_referrals(self) -> None:
        """Cases refer on to another agency; the referrals end up in every state."""
        routes = {"disability": "elderly", "poverty": "general", "single_parent": "general"}
        for case in self.cases:
            if not self.referral_steps:
                return
            story_field = routes.get(self.case_story[case.id])
            if story_field is None or case.stage == "reception":
                continue
            to = self.agency_for(story_field)
            if to == case.lead_agency_key:
                continue
            step = self.referral_steps.pop(0)
            day = self.on(self.referral_day(step, case.opened_on + timedelta(days=3)))
            sender = self.note_actor(case)
            referral = await do_send_referral(
                self.s,
                sender,
                person_id=case.person_id,
                case_id=case.id,
                consultation_id=None,
                from_agency=case.lead_agency_key,
                to_agency=to,
                reason="家族の介護について専門の支援が必要（架空）",
                today=day,
            )
            await self.refer(referral, step, day, sender)
            self.referrals += 1

    async def run(self) -> str:
        stages = list(STAGE_PLAN)
        self.rng.shuffle(stages)
        for story, target in zip(CASE_STORIES, stages, strict=True):
            await self.case(story, target)
            self.case_story[self.cases[-1].id] = story.key
        await self.consult_only()
        await self.case_referrals()
        outreach_records = await self.outreach()
        return (
            f"{self.households} households, {len(self.cases)} cases, {self.referrals} referrals, "
            f"{outreach_records} outreach records"
        )


SPAN = {  # days from opening needed to reach the stage, and the random extra
    "reception": (0, 4),
    "intake": (3, 15),
    "assessment": (12, 20),
    "plan_draft": (30, 25),
    "decision": (55, 10),
    "support": (75, 90),
    "monitoring": (150, 120),
    "evaluation": (200, 100),
    "closed": (235, 105),
}


async def seed_caseload(
    db: Database, tenant: Tenant, config: TenantConfig, accounts: Mapping[str, StaffAccount]
) -> list[str]:
    """Seed the tenant's fictitious caseload once; nothing when it has consultations already.

    Args:
        accounts: the demo accounts by username (admin, supervisor, caseworker, kodomo).
    Returns:
        What was created, one line (empty when skipped).
    """
    started = clock.perf_counter()
    async with db.session(tenant.id) as session:
        if (await session.execute(select(Consultation.id).limit(1))).first():
            return []
        seeder = CaseloadSeeder(session, tenant, config, accounts)
        target = session.sync_session
        event.listen(target, "transient_to_pending", seeder.clock.on_pending)
        try:
            summary = await seeder.run()
        finally:
            event.remove(target, "transient_to_pending", seeder.clock.on_pending)
    return [f"created {tenant.slug} caseload: {summary} ({clock.perf_counter() - started:.1f} s)"]
