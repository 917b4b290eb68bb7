"""A caseload whose figures are worked out by hand, for the report tests (issue 10).

Two fresh tenants, ``rpt-usuki`` (usuki plugin) and ``rpt-marugame`` (marugame plugin), so
no demo record can leak into the counts. Everything goes through the domain services on
dated business days (record timestamps follow them, as the demo seed does). Counters and
agencies are picked by field from each town's configuration, so the same story runs in both.

The story, in 令和6年度 (FY2024) and 令和7年度 (FY2025):

* A consults at the elderly counter on 2025-03-10 (FY2024: new), again there on 2025-04-15
  (FY2025: new again) and at the general counter on 2025-05-20 (FY2025: continued) —
  one person at two counters, new and continued across fiscal years.
* B consults at the poverty counter on 2025-04-20 and is referred to the disability
  agency, which acknowledges on time (04-21) and declines (04-22). In usuki the intake form
  says B holds a うすき石仏ねっと card and came to the 野津庁舎.
* C consults at the children counter on 2025-05-08: a case under 多機関協働 opens; C comes
  back there on 2025-06-02 (continued). The children agency refers C to the elderly agency
  on 2025-05-10 (due 05-13), acknowledged late on 05-15 and accepted on 05-16. The case is
  discussed at a 106条の6 meeting on 2025-07-15, suspended on 2025-07-20 and resumed on
  2025-08-01, assessed, planned on 2025-09-01 (plan v1) and decided as a recorded exception
  on 2025-09-10. A participation match is proposed on 2025-09-15 and started on 2025-10-01
  (three months on 2026-01-01).
* D consults at the disability counter on 2025-06-12 (information given); staff then record
  D's area as the town's first (the only person with an area, so the area breakdown counts).
* E consults at the general counter on 2026-02-03; a case opens without 多機関協働.
* Outreach by the elderly agency starts on 2025-06-01 (unnamed, still open) with contacts on
  2025-06-05 (visit) and 2025-07-10 (telephone).
* One place holds activities on 2025-06-20 (3 children, 5 older people; elderly and
  children agencies) and 2025-07-20 (4 older people; elderly agency).
* A resource gap (居場所) is recorded on 2025-08-01 and resolved on 2026-03-01.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import event, select

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.cases import records as rec
from kasane.core.cases import services as cs
from kasane.core.cases.decisions import do_record_decision
from kasane.core.community.services import do_add_place, do_record_activity
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.gaps.services import do_record_gap, do_resolve_gap
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import JST
from kasane.core.meetings.services import (
    do_add_case_to_agenda,
    do_create_meeting,
    do_record_attendance,
)
from kasane.core.outreach.services import do_log_contact, do_start_outreach
from kasane.core.participation.candidates import candidates
from kasane.core.participation.services import do_propose_match, do_start_match
from kasane.core.people.models import Person
from kasane.core.people.services import do_update_person
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import do_answer_referral, do_send_referral
from kasane.tenants.demo import DEMO_PASSWORD, demo_accounts
from kasane.tenants.demo_seeder import SeedClock
from kasane.tenants.services import do_create_tenant, find_tenant_by_slug, tenant_info
from tests.conftest import Env

TOWNS = {
    "usuki": {"slug": "rpt-usuki", "name": "臼杵市（集計の試験）", "code": "442054"},
    "marugame": {"slug": "rpt-marugame", "name": "丸亀市（集計の試験）", "code": "372030"},
}


@dataclass(frozen=True)
class Town:
    """A fixture tenant: its slug, id and configuration."""

    plugin: str
    slug: str
    tenant_id: uuid.UUID
    config: TenantConfig


def d(text: str) -> date:
    return date.fromisoformat(text)


class Story:
    """Plays the story above in one tenant-bound session."""

    def __init__(self, s: Any, config: TenantConfig, actors: dict[str, ActorInfo]) -> None:
        self.s, self.config, self.actors = s, config, actors
        self.clock = SeedClock()

    def on(self, day: date) -> date:
        self.clock.day = day
        return day

    def counter(self, field: str) -> str:
        return next(c.key for c in self.config.counters if c.field == field)

    def agency(self, field: str) -> str:
        counter = self.config.counter(self.counter(field))
        assert counter is not None and counter.agency
        return counter.agency

    def actor(self, field: str) -> ActorInfo:
        return self.actors[self.agency(field)]

    async def consult(
        self,
        field: str,
        day: str,
        name: str,
        outcome: str,
        person: Person | None = None,
        local: dict[str, str] | None = None,
        **kw: Any,
    ) -> Any:
        form = self.config.forms["intake"]
        data = {
            "received_on": day,
            "channel": "phone" if person is None else "visit_counter",
            "kana": "シケン タロウ",
            "name": name,
            "birth_date": "1950-01-01",
            "categories": ["care"],
            "main_category": "care",
        }
        names = {f.name for f in form.all_fields()}
        data.update({k: v for k, v in (local or {}).items() if k in names})  # the town's own
        for f in form.all_fields():  # a plugin's required choice fields get their first choice
            if f.required and f.name not in data and f.choices:
                data[f.name] = f.choices[0].value
        submission = check_form(form, data)
        assert submission.ok, submission.errors
        return await do_intake(
            self.s,
            self.actor(field),
            self.config,
            counter_key=self.counter(field),
            submission=submission,
            outcome=outcome,
            person_id=person.id if person else None,
            today=self.on(d(day)),
            **kw,
        )

    async def answer(self, referral: Referral, step: str, day: str, reason: str = "") -> None:
        receiver = self.actors[referral.to_agency_key]
        await do_answer_referral(
            self.s, receiver, referral, step=step, reason=reason, today=self.on(d(day))
        )
        stamp = self.clock.stamp()
        if step == "acknowledged":
            referral.acknowledged_at = stamp
        else:
            referral.responded_at = stamp

    async def play(self) -> None:
        s, config = self.s, self.config
        a = (await self.consult("elderly", "2025-03-10", "試験 エー", "info_only")).person
        await self.consult("elderly", "2025-04-15", "試験 エー", "info_only", a)
        await self.consult("general", "2025-05-20", "試験 エー", "info_only", a)

        b = await self.consult(
            "poverty",
            "2025-04-20",
            "試験 ビー",
            "referral",
            local={"ishibotoke_net": "on", "reception_office": "nozu"},  # usuki's form only
            referred_to=self.agency("disability"),
        )
        to_b = (
            await s.execute(select(Referral).where(Referral.consultation_id == b.consultation.id))
        ).scalar_one()
        await self.answer(to_b, "acknowledged", "2025-04-21")
        await self.answer(to_b, "declined", "2025-04-22", reason="対象外のため（試験）")

        c = await self.consult("children", "2025-05-08", "試験 シー", "multi_agency")
        case = c.case
        to_c = await do_send_referral(
            s,
            self.actor("children"),
            person_id=c.person.id,
            case_id=case.id,
            consultation_id=None,
            from_agency=self.agency("children"),
            to_agency=self.agency("elderly"),
            reason="介護の相談（試験）",
            today=self.on(d("2025-05-10")),
        )
        await self.answer(to_c, "acknowledged", "2025-05-15")
        await self.answer(to_c, "accepted", "2025-05-16")
        await self.consult("children", "2025-06-02", "試験 シー", "continued", c.person)

        lead = self.actors["__coordinator__"]
        sharing = next(
            m for m in config.meeting_types if m.legal_basis == "art106_6" and m.discusses_cases
        )
        meeting = await do_create_meeting(
            s,
            lead,
            config,
            meeting_type_key=sharing.key,
            starts_at=datetime.combine(self.on(d("2025-07-15")), time(14), JST),
        )
        await do_add_case_to_agenda(
            s, lead, meeting, sharing, case, "early_detection", today=d("2025-07-15")
        )
        await do_record_attendance(s, lead, meeting, sharing, {k: True for k in sharing.members})

        worker = self.actor("children")
        await cs.do_move(s, worker, case, "suspended", today=self.on(d("2025-07-20")), note="入院")
        await cs.do_move(s, worker, case, "intake", today=self.on(d("2025-08-01")))
        await cs.do_move(s, worker, case, "assessment", today=self.on(d("2025-08-05")))
        form = config.forms["assessment"]
        assessed = check_form(form, {"issues": ["isolation"], "unmet_needs": ["ibasho"]})
        assert assessed.ok, assessed.errors
        await rec.do_record_assessment(s, worker, case, form, assessed)
        await cs.do_move(s, worker, case, "plan_draft", today=self.on(d("2025-09-01")))
        row = rec.PlanRowInput("孤立", "居場所に通う", "見学に同行", self.agency("children"))
        await rec.do_save_plan(
            s, worker, case, wishes="", rows=[row], next_monitoring_on=None, agreed_on=None
        )
        await do_record_decision(
            s,
            lead,
            config,
            case,
            kind="support_decision",
            source="exception",
            decided_on=self.on(d("2025-09-10")),
            note="急ぐため（試験）",
        )
        menu = next(c for c in await candidates(s, config, case, d("2025-09-15")) if not c.full)
        match = await do_propose_match(
            s, worker, config, case, kind=menu.kind, ref=menu.ref, today=self.on(d("2025-09-15"))
        )
        await do_start_match(s, worker, config, match, on=self.on(d("2025-10-01")))

        d_ = (await self.consult("disability", "2025-06-12", "試験 ディー", "info_only")).person
        # staff note D's 地区 afterwards: the town's first area (the only area in the story)
        await do_update_person(s, self.actor("disability"), d_, area_key=config.areas[0].key)
        await self.consult("general", "2026-02-03", "試験 イー", "continued")

        elderly = self.actor("elderly")
        record = await do_start_outreach(
            s,
            elderly,
            title="ひとり暮らしの方（試験）",
            description="",
            place="",
            noticed_by="民生委員",
            area_key=None,
            today=self.on(d("2025-06-01")),
        )
        await do_log_contact(s, elderly, record, kind="visit", occurred_on=d("2025-06-05"), note="")
        await do_log_contact(s, elderly, record, kind="phone", occurred_on=d("2025-07-10"), note="")

        place = await do_add_place(s, elderly, name="試験の居場所", kind="ibasho", area_key=None)
        bands = {"children": 3, "youth": 0, "working_age": 0, "older": 5}
        both = [self.agency("elderly"), self.agency("children")]
        await do_record_activity(
            s, elderly, place_id=place.id, held_on=d("2025-06-20"), counts=bands, agencies=both
        )
        bands = {"children": 0, "youth": 0, "working_age": 0, "older": 4}
        await do_record_activity(
            s,
            elderly,
            place_id=place.id,
            held_on=d("2025-07-20"),
            counts=bands,
            agencies=[self.agency("elderly")],
        )
        gap = await do_record_gap(
            s,
            lead,
            category="ibasho",
            area_key=None,
            source="meeting",
            source_id=None,
            on=d("2025-08-01"),
        )
        await do_resolve_gap(s, lead, gap, on=d("2026-03-01"))


async def _make(db: Database, plugin: str) -> Town:
    spec = TOWNS[plugin]
    async with db.session() as s:
        found = await find_tenant_by_slug(s, spec["slug"])
    if found is not None:
        config = plugins.build_config(plugins.load_plugin(found.plugin), tenant_info(found))
        return Town(plugin, found.slug, found.id, config)
    tenant = await do_create_tenant(
        db,
        slug=spec["slug"],
        name=spec["name"],
        municipality_code=spec["code"],
        prefecture="大分県" if plugin == "usuki" else "香川県",
        plugin=plugin,
        status="active",
        actor="test",
    )
    config = plugins.build_config(plugins.load_plugin(plugin), tenant_info(tenant))
    async with db.session(tenant.id) as s:
        for username, display, role, agency in demo_accounts(config):
            await do_create_account(
                s,
                username=username,
                display_name=display,
                password=DEMO_PASSWORD,
                role=role,
                agency_key=agency,
                actor="test",
            )
        for agency in config.agencies:  # a caseworker in every agency, to answer referrals
            await do_create_account(
                s,
                username=f"worker-{agency.key}",
                display_name="試験 担当",
                password=DEMO_PASSWORD,
                role="caseworker",
                agency_key=agency.key,
                actor="test",
            )
        accounts = (await s.execute(select(StaffAccount))).scalars().all()
        actors = {
            a.username.removeprefix("worker-"): ActorInfo.of(a)
            for a in accounts
            if a.username.startswith("worker-")
        }
        actors["__coordinator__"] = next(
            ActorInfo.of(a) for a in accounts if a.username == "supervisor"
        )
        story = Story(s, config, actors)
        target = s.sync_session
        event.listen(target, "transient_to_pending", story.clock.on_pending)
        try:
            await story.play()
        finally:
            event.remove(target, "transient_to_pending", story.clock.on_pending)
    return Town(plugin, tenant.slug, tenant.id, config)


def fixture_town(env: Env, plugin: str) -> Town:
    """The fixture tenant for ``plugin`` in ``env``, created (once) on first use."""
    return env.run(_make, plugin)  # type: ignore[no-any-return]
