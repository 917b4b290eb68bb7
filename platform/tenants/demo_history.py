"""The demo's past: last fiscal year (令和7年度 in 2026) and the start of this one, so that
``/reports`` has a full year to show and a year to compare with.

EVERYTHING HERE IS FICTITIOUS, as in :mod:`.demo_caseload`, whose seeder this reuses: the
same household stories, played again as of earlier days ("anchors", a hundred days apart
from last April on), each case taken through the services to 終結 — two are suspended on
the way and resumed before they close. Around them: consultations that ended at the counter,
referrals that were answered (none left waiting a year), a few people who come back this
year (new again in the new fiscal year), outreach, participation matches (three months
kept, ended as hoped), regular meetings held with the cases open on their day, the places'
activities back to last April, and resource gaps found then and resolved since.

Idempotent: skipped when the tenant has a consultation over a year old (the caseload itself
reaches back less than that).
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases import services as cs
from kasane.core.cases.models import Case
from kasane.core.community.models import CommunityActivity, CommunityPlace
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.core.gaps.services import do_record_gap, do_resolve_gap
from kasane.core.intake.models import Consultation
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import JST
from kasane.core.participation.candidates import candidates
from kasane.core.participation.services import (
    do_end_match,
    do_log_retention,
    do_propose_match,
    do_start_match,
)
from kasane.core.people.models import Person
from kasane.core.reports.periods import fiscal_year_of
from kasane.tenants.demo_caseload import CaseloadSeeder
from kasane.tenants.demo_community import gatherings
from kasane.tenants.demo_history_meetings import seed_past_meetings
from kasane.tenants.demo_stories import CASE_STORIES
from kasane.tenants.models import Tenant

SPACING = 100  # days between anchors
# Each story once per anchor (the caseload plays some several times)
STORIES = [s for i, s in enumerate(CASE_STORIES) if s not in CASE_STORIES[:i]]
ANSWERED = ["completed", "declined", "completed", "completed", "declined", "completed", "completed"]
RETENTION_NOTE = "参加先を訪ね、本人と受け入れ先の話を聞いた。続けられている（架空）。"


def anchors(today: date) -> list[date]:
    """The days the past caseload is played as of: closed cases opened from last April on."""
    start = date(fiscal_year_of(today) - 1, 4, 1)
    found, day = [], start + timedelta(days=340)
    while day <= today - timedelta(days=20):
        found.append(day)
        day += timedelta(days=SPACING)
    return found


class HistorySeeder(CaseloadSeeder):
    """The caseload seeder, as of an earlier day, with every case closed in the end."""

    def __init__(self, *args, anchor: date, batch: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.today, self.batch = anchor, batch
        self.rng = random.Random(f"{self.tenant.slug}-history-{batch}")
        self.households = len(CASE_STORIES) + len(STORIES) * batch  # other family names first
        self.referral_steps = list(ANSWERED)

    async def resume_and_close(self, case: Case) -> None:
        """A suspended case taken up again a month or two later, evaluated and closed."""
        actor = self.note_actor(case)
        day = self.later(self.clock.day, 30, 60)
        await cs.do_move(self.s, actor, case, case.resume_stage or "intake", today=day)
        if case.stage == "support":
            day = self.later(day, 30, 60)
            await cs.do_move(self.s, actor, case, "evaluation", today=day)
            await self.evaluate(case, day, "partly", "再開後に落ち着いた（架空）。")
            await self.decide(case, "closure", self.later(day, 3, 10), note="目標をおおむね達成")
        await self.finish(case)

    async def play(self) -> list[Case]:
        targets = ["closed"] * (len(STORIES) - 1) + ["suspended"]
        self.rng.shuffle(targets)
        for story, target in zip(STORIES, targets, strict=True):
            await self.case(story, target)
            self.case_story[self.cases[-1].id] = story.key
            if target == "suspended":
                await self.resume_and_close(self.cases[-1])
        await self.consult_only()
        await self.case_referrals()
        if self.batch == 0:  # outreach begun last year, still followed
            await self.outreach()
        return self.cases


async def _participation(seeder: CaseloadSeeder, cases: list[Case], ongoing: bool) -> int:
    """Matches for a few cases: proposed, started, a 定着支援 contact, ended as hoped (past)
    or still under way (this year)."""
    made = 0
    for case in cases:
        first = case.opened_on + timedelta(days=80)
        if ongoing:  # this year's: under way since a day of this fiscal year
            first = max(
                case.opened_on + timedelta(days=30), date(fiscal_year_of(seeder.today), 4, 1)
            )
            first = min(first, seeder.today - timedelta(days=30))
        options = [c for c in await candidates(seeder.s, seeder.config, case, first) if not c.full]
        if not options:
            continue
        choice = seeder.rng.choice(options[:3])
        actor = seeder.note_actor(case)
        match = await do_propose_match(
            seeder.s,
            actor,
            seeder.config,
            case,
            kind=choice.kind,
            ref=choice.ref,
            today=seeder.on(first),
        )
        started = seeder.later(first, 7, 20)
        try:
            await do_start_match(seeder.s, actor, seeder.config, match, on=started)
        except cs.CaseRuleError:  # the menu filled up: the proposal stays open
            continue
        await do_log_retention(
            seeder.s, actor, match, on=seeder.later(started, 20, 40), note=RETENTION_NOTE
        )
        if not ongoing:  # kept for three months, then ended as hoped
            ended = seeder.later(started, 100, 130)
            await do_end_match(seeder.s, actor, case, match, reason="goal_reached", on=ended)
        made += 1
    return made


async def _again(seeder: CaseloadSeeder, people: list[Person], since: date) -> int:
    """Last year's people coming back this year, at another counter: new again this year."""
    counters = [c.key for c in seeder.config.counters]
    for i, person in enumerate(people):
        day = seeder.on(
            since + timedelta(days=seeder.rng.randint(5, max(6, (seeder.today - since).days)))
        )
        counter = counters[(i + 1) % len(counters)]
        actor = seeder.actor_for(seeder.config.counter(counter).agency)  # type: ignore[union-attr]
        await do_intake(
            seeder.s,
            actor,
            seeder.config,
            counter_key=counter,
            submission=seeder.intake_data(
                STORIES[i % len(STORIES)],
                day,
                person.name,
                person.kana,
                person.sex or "other",
                50,
            ),
            outcome="info_only",
            person_id=person.id,
            today=day,
        )
    return len(people)


async def _activities(
    s: AsyncSession,
    config: TenantConfig,
    actor: ActorInfo,
    since: date,
    until: date,
    rng: random.Random,
) -> int:
    """Each place's gatherings from ``since`` to the day before ``until``."""
    places = (await s.execute(select(CommunityPlace))).scalars().all()
    done, month = 0, since
    while month < until:
        for place in places:
            done += await gatherings(s, config, actor, place, month, until, rng)
        month = (month + timedelta(days=32)).replace(day=1)
    return done


async def _this_year(
    current: CaseloadSeeder, past: list[Case], since: date, this_year: date
) -> tuple[int, int, int, int]:
    """(matches, people back, gaps, activities) seeded as of today."""
    s = current.s
    heads = (
        (await s.execute(select(Person).where(Person.id.in_([c.person_id for c in past[::5]]))))
        .scalars()
        .all()
    )
    again = await _again(current, list(heads)[:3], this_year)
    open_now = (
        (
            await s.execute(
                select(Case).where(Case.stage.in_(("support", "monitoring"))).order_by(Case.case_no)
            )
        )
        .scalars()
        .all()
    )
    matches = await _participation(current, list(open_now)[:2], ongoing=True)
    gaps = 0
    for i, category in enumerate(("ibasho", "transport", "work_trial")):
        found = current.on(since + timedelta(days=60 + 90 * i))
        gap = await do_record_gap(
            s,
            current.lead,
            category=category,
            area_key=None,
            source="meeting",
            source_id=None,
            on=found,
            description="会議で不足が挙がった（架空）",
        )
        gaps += 1
        if i < 2:
            await do_resolve_gap(s, current.lead, gap, on=current.on(found + timedelta(days=200)))
    first_held = (
        await s.execute(
            select(CommunityActivity.held_on).order_by(CommunityActivity.held_on).limit(1)
        )
    ).scalar_one_or_none()
    rng = random.Random(f"{current.tenant.slug}-past-community")
    activities = await _activities(
        s, current.config, current.lead, since, first_held or current.today, rng
    )
    return matches, again, gaps, activities


async def seed_history(
    db: Database, tenant: Tenant, config: TenantConfig, accounts: Mapping[str, StaffAccount]
) -> list[str]:
    """Seed the tenant's past once (see the module); nothing when it is there already."""
    started = clock.perf_counter()
    today = datetime.now(JST).date()
    since = date(fiscal_year_of(today) - 1, 4, 1)
    this_year = date(fiscal_year_of(today), 4, 1)
    async with db.session(tenant.id) as s:
        old = select(Consultation.id).where(Consultation.received_on < today - timedelta(days=365))
        if (await s.execute(old.limit(1))).first():
            return []
        target = s.sync_session
        past: list[Case] = []
        matches = 0
        for batch, anchor in enumerate(anchors(today)):
            seeder = HistorySeeder(s, tenant, config, accounts, anchor=anchor, batch=batch)
            event.listen(target, "transient_to_pending", seeder.clock.on_pending)
            try:
                past += await seeder.play()
                matches += await _participation(seeder, seeder.cases[:2], ongoing=False)
            finally:
                event.remove(target, "transient_to_pending", seeder.clock.on_pending)
        current = CaseloadSeeder(s, tenant, config, accounts)
        event.listen(target, "transient_to_pending", current.clock.on_pending)
        try:
            lines = await _this_year(current, past, since, this_year)
            matches += lines[0]
            again, gaps, activities = lines[1:]
        finally:
            event.remove(target, "transient_to_pending", current.clock.on_pending)
    meetings = await seed_past_meetings(db, tenant, config, accounts, since)
    elapsed = clock.perf_counter() - started
    return [
        f"created {tenant.slug} history since {since}: {len(past)} past cases, {again} people "
        f"back this year, {matches} participation matches, {gaps} gaps, {activities} "
        f"activities; {meetings} ({elapsed:.1f} s)"
    ]
