"""The demo seeder's record steps: meetings, consent, assessment, monitoring, referrals,
outreach — each one service call (or a few) made as a demo account. ALL FICTITIOUS."""

from __future__ import annotations

from datetime import date, timedelta

from kasane.core.auth.actor import ActorInfo
from kasane.core.cases import records as rec
from kasane.core.cases import services as cs
from kasane.core.cases.decisions import do_record_decision
from kasane.core.cases.models import Case
from kasane.core.consent.models import Consent
from kasane.core.consent.services import do_disclose, do_record_consent
from kasane.core.forms.validation import check_form
from kasane.core.outreach import services as outreach
from kasane.core.people.models import Person
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import do_answer_referral
from kasane.tenants.demo_seeder import Seeder, fill_form, meeting_day
from kasane.tenants.demo_stories import Story


class RecordSteps(Seeder):
    """One step of a case's life each, on the seeder's business date."""

    async def share_at_support_meeting(self, case: Case, day: date) -> None:
        """No consent yet: share under 社会福祉法106条の6 and note the meeting's decision."""
        meeting = self.sharing_meeting
        if meeting is None:
            return
        day = self.on(meeting_day(meeting, day, self.today))
        await do_disclose(
            self.s,
            self.lead,
            case.person_id,
            case_id=case.id,
            today=day,
            meeting_type=meeting.key,
            basis="art106_6",
        )
        await do_record_decision(
            self.s,
            self.lead,
            self.config,
            case,
            kind="information_sharing",
            source="meeting",
            meeting_type_key=meeting.key,
            decided_on=day,
            note="見守りの役割分担を確認（架空）",
        )

    async def consent(self, person: Person, day: date, agencies: list[str]) -> Consent:
        meetings = [self.consent_meeting.key] if self.consent_meeting else []
        return await do_record_consent(
            self.s,
            self.lead,
            person.id,
            agencies=agencies,
            meeting_types=meetings,
            purposes=["support", "meetings", "referral"],
            obtained_on=self.on(day),
            method=self.rng.choice(["written", "written", "oral", "proxy"]),
        )

    async def decide(self, case: Case, kind: str, day: date, note: str = "") -> date:
        """A decision at the consent-based meeting (shared there by consent)."""
        meeting = self.consent_meeting
        if meeting is None:
            await do_record_decision(
                self.s,
                self.lead,
                self.config,
                case,
                kind=kind,
                source="exception",
                decided_on=self.on(day),
                note=note or "会議未設定のため例外として記録（架空）",
            )
            return day
        day = self.on(meeting_day(meeting, day, self.today))
        await do_disclose(
            self.s, self.lead, case.person_id, case_id=case.id, today=day, meeting_type=meeting.key
        )
        await do_record_decision(
            self.s,
            self.lead,
            self.config,
            case,
            kind=kind,
            source="meeting",
            meeting_type_key=meeting.key,
            decided_on=day,
            note=note,
        )
        return day

    async def assess(self, case: Case, story: Story) -> None:
        form = self.config.forms["assessment"]
        data = {
            "health": self.rng.choice(["good", "some", "serious"]),
            "employment": self.rng.choice(["working", "not_working", "seeking"]),
            "income_sources": self.rng.sample(["wages", "pension", "family"], 1),
            "health_detail": "通院中。服薬は自己管理できている（架空）。",
            "household_note": "家族の関係は良好だが、相談できる親族は遠方（架空）。",
            "issues": list(story.issues),
            "strengths": "近所に声をかけてくれる人がいる。",
            "wishes": story.wishes,
            "unmet_needs": list(story.unmet),
        }
        submission = check_form(form, fill_form(form, data, self.rng))
        if not submission.ok:
            raise ValueError(f"the demo assessment was refused: {submission.errors}")
        await rec.do_record_assessment(self.s, self.note_actor(case), case, form, submission)

    async def monitor(
        self, case: Case, dates: list[date], final_next: date | None, back_to_support: bool
    ) -> None:
        actor = self.note_actor(case)
        for i, done in enumerate(dates):
            last = i == len(dates) - 1
            nxt = final_next if last else dates[i + 1]
            await rec.do_record_monitoring(
                self.s,
                actor,
                case,
                done_on=self.on(done),
                summary="目標に向けて少しずつ進んでいる。支援を続ける（架空）。",
                plan_review_needed=last and self.rng.random() < 0.3,
                next_on=nxt,
            )
            if not last or back_to_support:
                await cs.do_move(self.s, actor, case, "support", today=self.clock.day)

    async def evaluate(self, case: Case, day: date, outcome: str, summary: str) -> None:
        """評価 of each goal of the current plan: all met, or (partly) the first goal met and
        the others partly — no extra draws, so the rest of the demo stays as it was."""
        _plan, rows = await rec.latest_plan(self.s, case.id)
        findings = {
            "met": "本人の言葉で変化が語られた（架空）。",
            "partly": "引き続き地域で見守る（架空）。",
        }
        goals = {}
        for i, row in enumerate(rows):
            judged = "met" if outcome == "met" or (i == 0 and len(rows) > 1) else "partly"
            goals[row.id] = (judged, findings[judged])
        await rec.do_record_evaluation(
            self.s,
            self.note_actor(case),
            case,
            evaluated_on=day,
            goals=goals,
            outcome=outcome,
            summary=summary,
        )

    def ongoing_monitorings(self, start: date, mode: str) -> tuple[list[date], date]:
        """Monitoring dates since ``start`` and the next date: overdue, due this week, later."""
        if mode == "overdue" and (self.today - start).days < 60:
            mode = "due"
        back = {"overdue": (40, 70), "due": (26, 30), "later": (5, 20)}[mode]
        last = self.today - timedelta(days=self.rng.randint(*back))
        last = max(last, start + timedelta(days=7))
        dates = [last]
        while len(dates) < 3 and (dates[0] - start).days > 60:
            dates.insert(0, dates[0] - timedelta(days=self.rng.randint(40, 50)))
        nxt = {
            "overdue": last + timedelta(days=30),
            "due": self.today + timedelta(days=self.rng.randint(0, 6)),
            "later": last + timedelta(days=self.rng.randint(45, 60)),
        }[mode]
        return dates, nxt

    async def join_partners(self, case: Case, story: Story, day: date, consent: bool) -> None:
        """Bring the story's partner agencies in: by consent, or as the 支援会議 assigned."""
        meeting = self.sharing_meeting
        if not consent and meeting is not None and "role_assignment" in meeting.decisions:
            await do_record_decision(
                self.s,
                self.lead,
                self.config,
                case,
                kind="role_assignment",
                source="meeting",
                meeting_type_key=meeting.key,
                decided_on=self.on(meeting_day(meeting, day, self.today)),
                note="訪問の担当を決めた（架空）",
            )
        for field in story.partners:
            agency = self.agency_for(field)
            active = {a.agency_key for a in await cs.active_agencies(self.s, case.id)}
            if agency in active:
                continue
            await cs.do_add_agency(
                self.s,
                self.lead,
                self.config,
                case,
                agency,
                self.on(day),
                basis=None if consent else "art106_6",
            )
            await self.note(case, day, "meeting", self.actor_for(agency))

    async def refer(
        self, referral: Referral, step: str, day: date, sender: ActorInfo | None = None
    ) -> None:
        """Take a sent referral to ``step`` as the receiving agency's demo account."""
        receiver = self.actor_for(referral.to_agency_key)
        path = {
            "acknowledged": ["acknowledged"],
            "accepted": ["acknowledged", "accepted"],
            "declined": ["acknowledged", "declined"],
            "completed": ["acknowledged", "accepted", "completed"],
        }.get(step, [])
        for s in path:
            day = self.later(day, 1, 3)
            await do_answer_referral(
                self.s,
                sender if s == "completed" and sender else receiver,
                referral,
                step=s,
                reason="当機関の対象外のため、適切な窓口を案内した（架空）"
                if s == "declined"
                else "",
                outcome="介護予防教室への参加につながった（架空）" if s == "completed" else "",
                today=day,
            )
            stamp = self.clock.stamp()
            if s == "acknowledged":
                referral.acknowledged_at = stamp
            elif s in ("accepted", "declined"):
                referral.responded_at = stamp

    def referral_day(self, step: str, earliest: date) -> date:
        if step == "sent":
            return self.today - timedelta(days=self.rng.randint(0, 1))
        if step == "sent_overdue":
            return self.today - timedelta(days=self.rng.randint(6, 20))
        return max(earliest, self.today - timedelta(days=self.rng.randint(20, 120)))

    async def outreach(self) -> int:
        """Outreach (アウトリーチ): two unnamed records and one linked once the person is known."""
        areas = self.config.areas
        plans = [
            (
                self.actors["caseworker"],
                f"{self.rng.choice(areas).name}の高齢男性（氏名未確認・架空）",
                "近所の住民",
                ["neighbour", "letter", "visit"],
                None,
            ),
            (
                self.actors["kodomo"],
                "登校していない中学生のいる世帯（架空）",
                "中学校",
                ["phone", "meeting"],
                None,
            ),
            (
                self.lead,
                "雨戸が閉まったままの家（架空）",
                "民生委員",
                ["visit", "visit"],
                self.withdrawn,
            ),
        ]
        for actor, title, noticed_by, contacts, person in plans:
            day = self.on(self.today - timedelta(days=self.rng.randint(30, 150)))
            record = await outreach.do_start_outreach(
                self.s,
                actor,
                title=title,
                description="気になる様子があるとの連絡。無理に接触せず、様子を見ながら関わる（架空）。",
                place=f"{self.rng.choice(areas).name}（架空の場所）",
                noticed_by=noticed_by,
                area_key=self.rng.choice(areas).key,
                today=day,
            )
            for kind in contacts:
                day = self.later(day, 5, 25)
                await outreach.do_log_contact(
                    self.s, actor, record, kind=kind, occurred_on=day, note=self.text("visit")
                )
            if person is not None:
                await outreach.do_link_person(
                    self.s, actor, record, person.id, self.later(day, 3, 10)
                )
        return len(plans)
