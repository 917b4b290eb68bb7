"""Demo meetings for ``make run``: four months of held meetings and three months ahead.

EVERYTHING HERE IS FICTITIOUS: the discussions and minutes are invented and name no one
(cases go by number); places are marked 架空 where they are not the plugin's own.

Runs after the demo caseload and acts as the demo accounts through the meeting services,
so every agenda item is a recorded disclosure with its legal basis and every text is
sealed: the regular meetings are generated from each type's cadence; each past one gets 2-4
of the cases its member agencies take part in (a consent-based meeting only cases whose
person consented to it — a consent is recorded for some cases that have none), attendance,
a discussion per item, a decision where the type allows one, and minutes. One upcoming
meeting is cancelled; a tenant with an as-needed 106条の6 meeting (usuki's 支援会議) gets
an ad hoc one with an unnamed outreach record on it.

Decisions that would move a case (支援決定, 終結, 中断, 再開) are left out on purpose: the
caseload's stages are the demo's present, and a past meeting must not rewrite them. The
meetings here decide 継続, 情報共有 and, once per consent-based type, a resource gap.

One shortcut, because no service sets a generated meeting's place without rescheduling it:
the place of the seeded meetings is set directly.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.consent.services import do_record_consent, valid_consent
from kasane.core.db import Database
from kasane.core.japan_time import JST
from kasane.core.meetings.calendar import next_business_day
from kasane.core.meetings.decisions import do_meeting_decision
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.meetings.services import (
    MeetingRuleError,
    at_jst,
    do_add_case_to_agenda,
    do_add_outreach_to_agenda,
    do_cancel,
    do_create_meeting,
    do_generate_meetings,
    do_record_attendance,
    do_record_discussion,
    do_record_minutes,
)
from kasane.core.outreach.models import OutreachRecord
from kasane.core.outreach.services import do_start_outreach
from kasane.tenants.models import Tenant

MONTHS_BACK, MONTHS_AHEAD = 4, 3

KIND_BY_STAGE = {
    "reception": "early_detection",
    "intake": "early_detection",
    "assessment": "new_collaboration",
    "plan_draft": "support_decision",
    "decision": "support_decision",
    "support": "monitoring",
    "monitoring": "monitoring",
    "evaluation": "evaluation",
    "suspended": "other",
}
DISCUSSION = {
    "early_detection": "民生委員から気になる様子の報告（架空）。本人の同意はまだ得られていない。"
    "各機関が把握している情報を共有し、無理に接触せず見守りを続けることを確認した。",
    "new_collaboration": "複数の課題が重なる世帯として多機関協働で受け止めた（架空）。"
    "アセスメントの分担を確認し、次回までに各機関の関わりを整理する。",
    "support_decision": "プラン案の課題・目標・支援内容を確認した（架空）。"
    "本人の意向をもう一度確かめてから決定することとした。",
    "monitoring": "支援の進み具合を各機関から報告（架空）。大きな変化はなく、"
    "現在のプランで支援を続ける。次回モニタリングの時期を確認した。",
    "evaluation": "目標の達成状況を振り返った（架空）。終結の見通しについて、"
    "本人・家族の受け止めを確認してから判断する。",
    "other": "中断中の事例について、再開のきっかけとなる関わり方を話し合った（架空）。",
}
OUTREACH_DISCUSSION = (
    "地域の見守りから、ひとり暮らしで外出が減った方の情報（架空・氏名不詳）。"
    "訪問は断られているため、民生委員と地域包括が時間をおいて声かけを続ける。"
)
MINUTES = (
    "1 開会\n"
    "2 事例の検討（{items}件）\n"
    "  各事例について関係機関から状況を報告し、役割分担と次の関わりを確認した。\n"
    "3 社会資源について\n"
    "  居場所や移動の手段が足りないとの意見が複数の機関からあった。\n"
    "4 その他\n"
    "  次回は{next}に開催する予定。\n"
    "（議事録は架空のデモデータです）"
)
DECISION_NOTES = {
    "continuation": "現在のプランで支援を継続（架空）",
    "information_sharing": "各機関の把握状況を共有（架空）",
}
CANCEL_REASON = "会場の都合により中止（架空）。検討予定の事例は翌月に送る。"


@dataclass
class Summary:
    held: int = 0
    items: int = 0
    decisions: int = 0
    consents: int = 0
    cancelled: int = 0
    ad_hoc: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.held} meetings held ({self.ad_hoc} ad hoc), {self.items} agenda items, "
            f"{self.decisions} decisions, {self.consents} consents, {self.cancelled} cancelled"
        )


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, 28))


class MeetingSeeder:
    """Seeds one tenant's meetings in one session (one transaction)."""

    def __init__(
        self,
        session: AsyncSession,
        tenant: Tenant,
        config: TenantConfig,
        accounts: Mapping[str, StaffAccount],
    ) -> None:
        self.s, self.tenant, self.config = session, tenant, config
        self.rng = random.Random(f"{tenant.slug}-meetings")
        self.today = datetime.now(JST).date()
        self.actors = [ActorInfo.of(a) for a in accounts.values()]
        self.summary = Summary()
        self.gap_recorded: set[str] = set()
        coordinator = config.coordinating_agency().key
        office = next((c.place for c in config.counters if c.agency == coordinator and c.place), "")
        self.place = f"{office or tenant.name} 会議室（架空）"

    def actor_for(self, mt: MeetingType) -> ActorInfo | None:
        """A demo account whose agency sits on the meeting (the host's staff first)."""
        members = [
            a for a in self.actors if a.agency_key in mt.members and a.can("meeting:meetings:write")
        ]
        members.sort(
            key=lambda a: 0 if "supervisor" in a.roles else 1 if "tenant_admin" in a.roles else 2
        )
        return members[0] if members else None

    async def candidates(self, mt: MeetingType) -> list[Case]:
        """Open cases some member agency takes part in, by case number."""
        takes_part = exists().where(
            CaseAgency.case_id == Case.id,
            CaseAgency.ended_on.is_(None),
            CaseAgency.agency_key.in_(mt.members),
        )
        return list(
            (
                await self.s.execute(
                    select(Case).where(takes_part, Case.stage != "closed").order_by(Case.case_no)
                )
            ).scalars()
        )

    async def ensure_consents(self, mt: MeetingType, cases: list[Case], actor: ActorInfo) -> None:
        """Record consent to this meeting for about half the cases that have none."""
        for case in cases:
            if await valid_consent(self.s, case.person_id, self.today, meeting_type=mt.key):
                continue
            if self.rng.random() < 0.5:
                continue
            await do_record_consent(
                self.s,
                actor,
                case.person_id,
                agencies=list(mt.members),
                meeting_types=[mt.key],
                purposes=["support", "meetings"],
                obtained_on=case.opened_on,
                method=self.rng.choice(["written", "written", "oral"]),
            )
            self.summary.consents += 1

    async def eligible(self, mt: MeetingType, cases: list[Case], day: date) -> list[Case]:
        found = []
        for case in cases:
            if case.opened_on > day:
                continue
            if mt.consent_required and not await valid_consent(
                self.s, case.person_id, day, meeting_type=mt.key
            ):
                continue
            found.append(case)
        return found

    def decision_for(self, mt: MeetingType, case: Case) -> str | None:
        """A decision that leaves the case's stage as the caseload set it."""
        if "continuation" in mt.decisions and case.stage in ("support", "monitoring"):
            return "continuation"
        if "information_sharing" in mt.decisions:
            return "information_sharing"
        return None

    async def hold(
        self, meeting: Meeting, mt: MeetingType, actor: ActorInfo, cases: list[Case]
    ) -> None:
        """Agenda, discussion, decisions, attendance and minutes of one past meeting."""
        day = meeting.starts_at.astimezone(JST).date()
        # a meeting about the support system itself (体制検討会議) takes no case
        eligible = await self.eligible(mt, cases, day) if mt.discusses_cases else []
        picked = self.rng.sample(eligible, min(len(eligible), self.rng.randint(2, 4)))
        for case in sorted(picked, key=lambda c: c.case_no):
            kind = KIND_BY_STAGE.get(case.stage, "other")
            if kind == "early_detection" and mt.consent_required:
                kind = "new_collaboration"
            item = await do_add_case_to_agenda(self.s, actor, meeting, mt, case, kind, today=day)
            await do_record_discussion(self.s, actor, item, DISCUSSION[kind])
            self.summary.items += 1
            if decision := self.decision_for(mt, case):
                await do_meeting_decision(
                    self.s,
                    actor,
                    self.config,
                    meeting,
                    mt,
                    item,
                    kind=decision,
                    today=day,
                    note=DECISION_NOTES[decision],
                )
                self.summary.decisions += 1
            if "resource_development" in mt.decisions and mt.key not in self.gap_recorded:
                await do_meeting_decision(
                    self.s,
                    actor,
                    self.config,
                    meeting,
                    mt,
                    item,
                    kind="resource_development",
                    today=day,
                    gap_category="ibasho",
                    note="日中に安心して過ごせる居場所が地域に足りない（架空）",
                )
                self.gap_recorded.add(mt.key)
                self.summary.decisions += 1
        await self.attend_and_minute(meeting, mt, actor, len(picked))

    async def attend_and_minute(
        self, meeting: Meeting, mt: MeetingType, actor: ActorInfo, items: int
    ) -> None:
        others = [k for k in mt.members if k != actor.agency_key]  # the host attends
        absent = self.rng.choice(others) if len(others) > 3 else None
        await do_record_attendance(self.s, actor, meeting, mt, {k: k != absent for k in mt.members})
        following = "次回の定例日" if mt.cadence.frequency != "as_needed" else "必要に応じて"
        await do_record_minutes(self.s, actor, meeting, MINUTES.format(items=items, next=following))
        self.summary.held += 1

    async def ad_hoc(self, mt: MeetingType, actor: ActorInfo, cases: list[Case]) -> None:
        """An as-needed 106条の6 meeting three weeks ago, with an unnamed outreach record.

        Long: one demo meeting's story (agenda, minutes, decisions), in order.
        """
        day = next_business_day(self.today - timedelta(days=21))
        meeting = await do_create_meeting(
            self.s,
            actor,
            self.config,
            meeting_type_key=mt.key,
            starts_at=at_jst(day, "15:00"),
            place=self.place,
        )
        record = (
            await self.s.execute(
                select(OutreachRecord)
                .where(
                    OutreachRecord.person_id.is_(None),
                    OutreachRecord.closed_on.is_(None),
                    OutreachRecord.agency_key.in_(mt.members),
                    OutreachRecord.started_on <= day,
                )
                .order_by(OutreachRecord.started_on)
                .limit(1)
            )
        ).scalar_one_or_none()
        if record is None:
            record = await do_start_outreach(
                self.s,
                actor,
                title="ひとり暮らしの高齢の方（氏名不詳・架空）",
                description="地域の見守りから、外出が減ったとの連絡（架空）。",
                place="市内（架空の場所）",
                noticed_by="民生委員",
                area_key=None,
                today=day - timedelta(days=10),
            )
        item = await do_add_outreach_to_agenda(self.s, actor, meeting, mt, record)
        await do_record_discussion(self.s, actor, item, OUTREACH_DISCUSSION)
        self.summary.items += 1
        if "information_sharing" in mt.decisions:
            try:  # refused before any write where decisions need a case: the notes stand
                await do_meeting_decision(
                    self.s,
                    actor,
                    self.config,
                    meeting,
                    mt,
                    item,
                    kind="information_sharing",
                    today=day,
                    note="見守りの分担を共有（架空）",
                )
                self.summary.decisions += 1
            except MeetingRuleError:
                pass
        eligible = await self.eligible(mt, cases, day)  # early cases first
        eligible.sort(key=lambda c: (c.stage not in ("reception", "intake"), c.case_no))
        for case in eligible[:2]:
            kind = KIND_BY_STAGE.get(case.stage, "other")
            item = await do_add_case_to_agenda(self.s, actor, meeting, mt, case, kind, today=day)
            await do_record_discussion(self.s, actor, item, DISCUSSION[kind])
            self.summary.items += 1
            if decision := self.decision_for(mt, case):
                await do_meeting_decision(
                    self.s,
                    actor,
                    self.config,
                    meeting,
                    mt,
                    item,
                    kind=decision,
                    today=day,
                    note=DECISION_NOTES[decision],
                )
                self.summary.decisions += 1
        await self.attend_and_minute(meeting, mt, actor, 1 + len(eligible[:2]))
        self.summary.ad_hoc += 1

    async def run(self) -> Summary:
        start = _add_months(self.today, -MONTHS_BACK)
        end = _add_months(self.today, MONTHS_AHEAD)
        await do_generate_meetings(self.s, self.config, start, end)
        now = datetime.now(UTC)
        meetings = list(
            (
                await self.s.execute(
                    select(Meeting)
                    .where(
                        Meeting.starts_at >= at_jst(start, "00:00"),
                        Meeting.starts_at < at_jst(end + timedelta(days=1), "00:00"),
                    )
                    .order_by(Meeting.starts_at)
                )
            ).scalars()
        )
        cancelled = False
        for mt in self.config.meeting_types:
            actor = self.actor_for(mt)
            if actor is None:
                self.summary.notes.append(f"no demo account sits on {mt.key}")
                continue
            cases = await self.candidates(mt)
            if mt.consent_required:
                await self.ensure_consents(mt, cases, actor)
            own = [m for m in meetings if m.meeting_type_key == mt.key]
            for meeting in own:
                meeting.place = meeting.place or self.place
            for meeting in own:
                if meeting.starts_at < now and meeting.status == "scheduled":
                    await self.hold(meeting, mt, actor, cases)
            ahead = [m for m in own if m.starts_at > now and m.status == "scheduled"]
            if not cancelled and len(ahead) >= 2:  # the second one: the next stays on
                await do_cancel(self.s, actor, ahead[1], CANCEL_REASON)
                self.summary.cancelled += 1
                cancelled = True
            if mt.cadence.frequency == "as_needed" and not mt.consent_required:
                await self.ad_hoc(mt, actor, cases)
        return self.summary


async def seed_meetings(
    db: Database, tenant: Tenant, config: TenantConfig, accounts: Mapping[str, StaffAccount]
) -> list[str]:
    """Seed the tenant's demo meetings once; nothing when it has agenda items already.

    Args:
        accounts: the demo accounts by username (admin, supervisor, caseworker, kodomo).
    Returns:
        What was created, one line (empty when skipped).
    """
    started = clock.perf_counter()
    async with db.session(tenant.id) as session:
        if (await session.execute(select(AgendaItem.id).limit(1))).first():
            return []
        summary = await MeetingSeeder(session, tenant, config, accounts).run()
    notes = f"; {'; '.join(summary.notes)}" if summary.notes else ""
    elapsed = clock.perf_counter() - started
    return [f"created {tenant.slug} meetings: {summary}{notes} ({elapsed:.1f} s)"]
