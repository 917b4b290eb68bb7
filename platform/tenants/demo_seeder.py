"""The demo seeder's toolkit: a clock that follows fictitious dates, names, and intake.

:class:`Seeder` acts as the demo accounts (``ActorInfo.of(account)``) and records everything
through the domain services, in one session per tenant. See :mod:`.demo_caseload` for what
it seeds. ALL FICTITIOUS: see :mod:`.demo_stories`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases import records as rec
from kasane.core.cases.models import (
    Assessment,
    Case,
    CaseDecision,
    CollaborationPeriod,
    Evaluation,
    Monitoring,
    ProgressNote,
    StageEvent,
    SupportPlan,
)
from kasane.core.config_types import FormDefinition, MeetingType, TenantConfig
from kasane.core.consent.models import Consent, Disclosure
from kasane.core.forms.validation import check_form
from kasane.core.intake.models import Consultation
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import JST
from kasane.core.meetings.calendar import occurrences
from kasane.core.outreach.models import OutreachContact, OutreachRecord
from kasane.core.people.models import Household, Person
from kasane.core.people.services import do_add_member, do_create_person, household_of
from kasane.core.referrals.models import Referral
from kasane.tenants.demo_stories import FAMILY_NAMES, GIVEN_NAMES, NOTES, Story
from kasane.tenants.models import Tenant

STAMPED = (
    Person,
    Household,
    Consultation,
    Case,
    CollaborationPeriod,
    StageEvent,
    CaseDecision,
    Assessment,
    SupportPlan,
    ProgressNote,
    Monitoring,
    Evaluation,
    Consent,
    Disclosure,
    Referral,
    OutreachRecord,
    OutreachContact,
)
TIME_FIELDS = ("at", "created_at", "sent_at", "updated_at")


class SeedClock:
    """Timestamps that follow the fictitious business day, strictly increasing in seed order,
    and always hours before the real now (so later real work sorts after the demo's)."""

    def __init__(self) -> None:
        self.latest = datetime.now(JST) - timedelta(hours=3)
        self.day = self.latest.date()
        self.tick = 0

    def stamp(self) -> datetime:
        self.tick += 1
        base = min(datetime.combine(self.day, time(9, 0), JST), self.latest)
        return base + timedelta(milliseconds=10 * self.tick)

    def on_pending(self, _session: Any, obj: Any) -> None:
        if isinstance(obj, STAMPED):
            for name in TIME_FIELDS:
                if hasattr(obj, name) and getattr(obj, name) is None:
                    setattr(obj, name, self.stamp())


def meeting_day(meeting: MeetingType | None, after: date, today: date) -> date:
    """The meeting's next sitting on or after ``after`` (moved off holidays as the meetings
    calendar moves it); ``after`` itself for an as-needed meeting or none before today."""
    if meeting is None:
        return after
    days = [d for _, d in occurrences(meeting.cadence, after, today) if after <= d <= today]
    return days[0] if days else after


def fill_form(form: FormDefinition, data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``data`` plus a plausible value for every choice field it leaves out (plugin fields)."""
    out = dict(data)
    for f in form.all_fields():
        if f.name in out:
            continue
        if f.type in ("select", "radio") and f.choices:
            out[f.name] = rng.choice(f.choices).value
        elif f.type == "boolean":
            out[f.name] = rng.choice(["on", ""])
        elif f.type == "checkboxes" and f.choices and f.required:
            out[f.name] = [f.choices[0].value]
    return out


class Seeder:
    """Seeds one tenant's caseload in one session (one transaction)."""

    def __init__(
        self,
        session: AsyncSession,
        tenant: Tenant,
        config: TenantConfig,
        accounts: Mapping[str, StaffAccount],
    ) -> None:
        self.s, self.tenant, self.config = session, tenant, config
        self.rng = random.Random(tenant.slug)
        self.today = datetime.now(JST).date()
        self.clock = SeedClock()
        self.actors = {name: ActorInfo.of(a) for name, a in accounts.items()}
        self.lead = self.actors["supervisor"]
        self.coordinator = config.coordinating_agency().key
        self.consent_meeting = next(
            (
                m
                for m in config.meeting_types
                if m.consent_required and "support_decision" in m.decisions
            ),
            None,
        )
        self.sharing_meeting = next(
            (
                m
                for m in config.meeting_types
                if m.legal_basis == "art106_6" and "information_sharing" in m.decisions
            ),
            None,
        )
        self.names = list(FAMILY_NAMES.get(tenant.slug, FAMILY_NAMES["*"]))
        self.rng.shuffle(self.names)
        self.households = 0
        self.cases: list[Case] = []
        self.monitoring_modes = itertools.cycle(["overdue", "due", "later"])
        self.referral_steps = [
            "sent_overdue",
            "acknowledged",
            "accepted",
            "declined",
            "completed",
            "sent",
            "sent_overdue",
        ]
        self.referrals = 0
        self.suspensions = 0
        self.withdrawn: Person | None = None
        self.exception_used = self.collaboration_ended = self.consent_narrowed = False
        self.case_story: dict[Any, str] = {}

    # ------------------------------------------------------------------ helpers

    def on(self, day: date) -> date:
        self.clock.day = min(day, self.today)
        return self.clock.day

    def later(self, day: date, lo: int, hi: int) -> date:
        return self.on(day + timedelta(days=self.rng.randint(lo, hi)))

    def agency_for(self, field: str) -> str:
        """The agency that staffs the tenant's counter of that field, else one of the field."""
        counter = next((c for c in self.config.counters if c.field == field and c.agency), None)
        if counter and counter.agency:
            return counter.agency
        agency = next((a for a in self.config.agencies if a.field == field), None)
        return agency.key if agency else self.coordinator

    def actor_for(self, agency: str | None) -> ActorInfo:
        for name in ("caseworker", "kodomo", "supervisor", "admin"):
            if self.actors[name].agency_key == agency:
                return self.actors[name]
        return self.lead

    def counter_for(self, field: str) -> str:
        same = [c.key for c in self.config.counters if c.field == field]
        general = [c.key for c in self.config.counters if c.field == "general"]
        return self.rng.choice(same or general or [self.config.counters[0].key])

    def text(self, kind: str) -> str:
        return self.rng.choice(NOTES[kind])

    def person_name(self, family: tuple[str, str], sex: str) -> tuple[str, str]:
        given, kana = self.rng.choice(GIVEN_NAMES[sex])
        return f"{family[0]} {given}（架空）", f"{family[1]} {kana}"

    def birth(self, age: int) -> date:
        return self.today - timedelta(days=365 * age + self.rng.randint(40, 320))

    def address(self) -> str:
        area = self.rng.choice(self.config.areas).name
        block, lot = self.rng.randint(1, 9), self.rng.randint(1, 40)
        return f"{self.tenant.name}（架空の住所）{area} {block}-{lot}"

    def note_actor(self, case: Case) -> ActorInfo:
        """A demo account whose agency takes part in the case (the lead's when it has one)."""
        return self.actor_for(case.lead_agency_key)

    async def note(self, case: Case, day: date, kind: str, actor: ActorInfo | None = None) -> None:
        await rec.do_add_note(
            self.s,
            actor or self.note_actor(case),
            case,
            kind=kind,
            occurred_on=self.on(day),
            body=self.text(kind),
        )

    # ------------------------------------------------------------------ intake

    def intake_data(self, story: Story, day: date, name: str, kana: str, sex: str, age: int):  # type: ignore[no-untyped-def]
        form = self.config.forms["intake"]
        data = {
            "received_on": day.isoformat(),
            "channel": story.channel,
            "name": name,
            "kana": kana,
            "sex": sex,
            "birth_date": self.birth(age).isoformat(),
            "address": self.address(),
            "visitor_relation": story.visitor,
            "categories": list(story.categories),
            "main_category": story.categories[0],
            "narrative": story.narrative,
            "consent_to_share": "on" if story.multi else "",
        }
        submission = check_form(form, fill_form(form, data, self.rng))
        if not submission.ok:
            raise ValueError(f"the demo intake form was refused: {submission.errors}")
        return submission

    async def intake(
        self,
        story: Story,
        day: date,
        outcome: str,
        referred_to: str | None = None,
        counter: str | None = None,
    ) -> tuple[Any, list[Person]]:
        """A new household's first consultation, then its other members."""
        family = self.names[self.households % len(self.names)]
        self.households += 1
        head = story.members[0]
        name, kana = self.person_name(family, head.sex)
        counter = counter or self.counter_for(story.field)
        actor = self.actor_for(self.config.counter(counter).agency)  # type: ignore[union-attr]
        result = await do_intake(
            self.s,
            actor,
            self.config,
            counter_key=counter,
            submission=self.intake_data(story, self.on(day), name, kana, head.sex, head.age),
            outcome=outcome,
            referred_to=referred_to,
            today=self.on(day),
        )
        household = await household_of(self.s, result.person.id)
        assert household is not None
        people = [result.person]
        for m in story.members[1:]:
            m_name, m_kana = self.person_name(family, m.sex)
            person = await do_create_person(
                self.s,
                actor,
                name=m_name,
                kana=m_kana,
                sex=m.sex,
                birth_date=self.birth(m.age),
                address=result.person.address,
                area_key=result.person.area_key,
            )
            await do_add_member(
                self.s,
                actor,
                household,
                person,
                m.relation,
                is_carer=m.carer,
                needs_care=m.cared,
                withdrawn=m.withdrawn,
            )
            people.append(person)
            if m.withdrawn and self.withdrawn is None:
                self.withdrawn = person
        return result, people

    async def consult_again(self, case: Case, person: Person, story: Story, field: str) -> None:
        """A later consultation by the same person at another counter joins the open case."""
        counter = self.counter_for(field)
        actor = self.actor_for(self.config.counter(counter).agency)  # type: ignore[union-attr]
        day = self.clock.day
        await do_intake(
            self.s,
            actor,
            self.config,
            counter_key=counter,
            submission=self.intake_data(
                story, day, person.name, person.kana, person.sex or "other", 40
            ),
            outcome="continued",
            person_id=person.id,
            today=day,
        )
