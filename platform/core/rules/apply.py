"""Where the core asks a town's rules: snapshots in, checked answers out.

Every function takes :class:`~kasane.core.rules.runner.Rules` and falls back to the core's
rule (:mod:`kasane.core.rules.core`) when the town has none or its rule fails.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import Case, CaseAgency, CollaborationPeriod, StageEvent, SupportPlan
from kasane.core.intake.models import Consultation
from kasane.core.people.models import HouseholdMember, Person
from kasane.core.people.patterns import MemberFacts, age_on, household_patterns
from kasane.core.people.services import MemberView
from kasane.core.rules import core
from kasane.core.rules.runner import RuleRefused, Rules
from kasane.core.rules.snapshots import (
    CaseSnapshot,
    HouseholdSnapshot,
    IntakeSnapshot,
    MeetingSnapshot,
    MemberSnapshot,
    RecordSnapshot,
)

SUGGESTIONS = ("collaboration", "outreach", "other")


# ---------------------------------------------------------------- snapshots from the database


async def households(
    session: AsyncSession, household_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, HouseholdSnapshot]:
    """Each household's members (ages as of ``today``, care roles) and patterns: one query."""
    members: dict[uuid.UUID, list[MemberSnapshot]] = defaultdict(list)
    if household_ids:
        rows = (
            await session.execute(
                select(
                    HouseholdMember.household_id,
                    HouseholdMember.relation,
                    HouseholdMember.is_carer,
                    HouseholdMember.needs_care,
                    HouseholdMember.withdrawn,
                    Person.birth_date,
                )
                .join(
                    Person,
                    (Person.id == HouseholdMember.person_id)
                    & (Person.tenant_id == HouseholdMember.tenant_id),
                )
                .where(HouseholdMember.household_id.in_(set(household_ids)))
            )
        ).all()
        for r in rows:
            members[r.household_id].append(
                MemberSnapshot(
                    r.relation, age_on(r.birth_date, today), r.is_carer, r.needs_care, r.withdrawn
                )
            )
    return {hid: _household(tuple(members.get(hid, ()))) for hid in household_ids}


def _household(ms: tuple[MemberSnapshot, ...]) -> HouseholdSnapshot:
    """A household's snapshot: its members and the patterns they make."""
    facts = [MemberFacts(m.relation, m.age, m.is_carer, m.needs_care) for m in ms]
    return HouseholdSnapshot(ms, tuple(household_patterns(facts)))


async def case_snapshots(
    session: AsyncSession, config: Any, cases: list[Case], today: date
) -> list[CaseSnapshot]:
    """Snapshots of ``cases`` in a fixed number of queries, however many cases."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    agencies = await _agencies_taking_part(session, ids)
    marks = await _case_marks(session, ids)
    categories = await _categories(session, ids)
    homes = await households(session, [c.household_id for c in cases], today)
    found = []
    for c in cases:
        collaboration_since, has_plan, entered = marks.get(c.id, (None, False, None))
        found.append(
            _snapshot(
                config,
                c,
                today,
                agencies=agencies.get(c.id, ()),
                collaboration_since=collaboration_since,
                has_plan=has_plan,
                entered=entered,
                categories=categories.get(c.id, ()),
                household=homes[c.household_id],
            )
        )
    return found


async def page_snapshot(
    session: AsyncSession,
    config: Any,
    case: Case,
    today: date,
    *,
    agencies: Iterable[str],
    categories: Iterable[str],
    entered: datetime | None,
    has_plan: bool,
    members: Iterable[MemberView],
) -> CaseSnapshot:
    """The snapshot of one case from what its page has read already (its agencies, its
    consultations' categories, its stage moves, its plans, its household): one statement
    more, for its open 多機関協働 span, when it has one. The same snapshot
    :func:`case_snapshots` makes."""
    # an open span exists exactly while the case's flag is set (the services set both)
    since = None
    if case.collaboration:
        since = await session.scalar(
            select(func.max(CollaborationPeriod.started_on)).where(
                CollaborationPeriod.case_id == case.id, CollaborationPeriod.ended_on.is_(None)
            )
        )
    ms = tuple(
        MemberSnapshot(v.member.relation, v.age, v.member.is_carer, v.member.needs_care,
                       v.member.withdrawn)
        for v in members
    )  # fmt: skip
    return _snapshot(
        config,
        case,
        today,
        agencies=agencies,
        collaboration_since=since,
        has_plan=has_plan,
        entered=entered,
        categories=categories,
        household=_household(ms),
    )


def _snapshot(
    config: Any,
    c: Case,
    today: date,
    *,
    agencies: Iterable[str],
    collaboration_since: date | None,
    has_plan: bool,
    entered: datetime | None,
    categories: Iterable[str],
    household: HouseholdSnapshot,
) -> CaseSnapshot:
    """One case's snapshot from what was read about it."""
    counter = config.counter(c.counter_key)
    cats: tuple[str, ...] = tuple(sorted(set(categories)))
    return CaseSnapshot(
        ref=str(c.id),
        case_no=c.case_no,
        stage=c.stage,
        stage_since=_jst_day(entered) if entered else c.opened_on,
        opened_on=c.opened_on,
        counter=c.counter_key,
        field=counter.field if counter else "other",
        lead_agency=c.lead_agency_key,
        agencies=tuple(sorted(agencies)),
        collaboration=c.collaboration,
        collaboration_since=collaboration_since,
        has_plan=has_plan,
        next_monitoring_on=c.next_monitoring_on,
        categories=cats,
        risk="high" if core.HIGH_RISK & set(cats) else "normal",
        household=household,
        today=today,
    )


async def _agencies_taking_part(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Case id → the agencies taking part in it now."""
    agencies: dict[uuid.UUID, list[str]] = defaultdict(list)
    for case_id, key in (
        await session.execute(
            select(CaseAgency.case_id, CaseAgency.agency_key).where(
                CaseAgency.case_id.in_(ids), CaseAgency.ended_on.is_(None)
            )
        )
    ).all():
        agencies[case_id].append(key)
    return agencies


async def _case_marks(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[date | None, bool, Any]]:
    """Case id → (start of its open 多機関協働 span, whether it has a plan, when it entered
    its stage), in one statement: a correlated subquery per mark."""
    open_span = (
        select(func.max(CollaborationPeriod.started_on))
        .where(
            CollaborationPeriod.tenant_id == Case.tenant_id,
            CollaborationPeriod.case_id == Case.id,
            CollaborationPeriod.ended_on.is_(None),
        )
        .scalar_subquery()
    )
    has_plan = (
        select(SupportPlan.id)
        .where(SupportPlan.tenant_id == Case.tenant_id, SupportPlan.case_id == Case.id)
        .exists()
    )
    entered = (
        select(func.max(StageEvent.at))
        .where(StageEvent.tenant_id == Case.tenant_id, StageEvent.case_id == Case.id)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Case.id, open_span, has_plan, entered).where(Case.id.in_(ids))
    )
    return {case_id: (since, bool(plan), at) for case_id, since, plan, at in rows.all()}


async def _categories(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """Case id → every 相談分野 its consultations named."""
    categories: dict[uuid.UUID, set[str]] = defaultdict(set)
    for consulted, listed in (
        await session.execute(
            select(Consultation.case_id, Consultation.categories).where(
                Consultation.case_id.in_(ids)
            )
        )
    ).all():
        if consulted is not None:
            categories[consulted].update(listed or ())
    return categories


def _jst_day(at: Any) -> date:
    from kasane.core.japan_time import JST

    day: date = at.astimezone(JST).date() if at.tzinfo else at.date()
    return day


# ---------------------------------------------------------------- the rules


async def lead_for(rules: Rules, intake: IntakeSnapshot) -> str:
    """``kasane_intake_routing``: the agency that leads a new case (one of the town's)."""

    def check(answer: Any) -> str:
        if not isinstance(answer, str) or rules.config.agency(answer) is None:
            raise RuleRefused(f"{answer!r} is not one of the town's agency keys")
        return answer

    lead: str = await rules.first(
        "kasane_intake_routing", lambda: core.intake_routing(intake), check, intake=intake
    )
    return lead


async def agenda_for(
    rules: Rules, meeting: MeetingSnapshot, cases: list[CaseSnapshot]
) -> list[tuple[str, str]]:
    """``kasane_agenda_rules``: (case ref, kind) proposals for the meeting."""
    given = tuple(cases)
    refs = {c.ref for c in given}

    def check(answer: Any) -> list[tuple[str, str]]:
        if not isinstance(answer, list):
            raise RuleRefused("not a list")
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for item in answer:
            ref, kind = item["case"], item.get("kind", "other")
            if ref not in refs:
                raise RuleRefused("a case that was not offered")
            if kind not in core.AGENDA_KINDS:
                raise RuleRefused(f"kind {kind!r} is not one of {', '.join(core.AGENDA_KINDS)}")
            if ref not in seen:
                seen.add(ref)
                out.append((ref, kind))
        return out

    def default() -> list[tuple[str, str]]:
        return [(p["case"], p["kind"]) for p in core.agenda(meeting, given)]

    found: list[tuple[str, str]] = await rules.first(
        "kasane_agenda_rules", default, check, meeting=meeting, cases=given
    )
    return found


async def monitoring_days(rules: Rules, case: CaseSnapshot) -> int:
    """``kasane_monitoring_interval``: days from a monitoring to the next (1–366)."""

    def check(answer: Any) -> int:
        if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 366:
            raise RuleRefused(f"{answer!r} is not a number of days from 1 to 366")
        return answer

    days: int = await rules.first(
        "kasane_monitoring_interval", lambda: core.monitoring_interval(case), check, case=case
    )
    return days


@dataclass(frozen=True)
class Prompt:
    """A suggestion shown to staff on the case page; never acted on by the core."""

    key: str
    suggest: str  # collaboration | outreach | other
    message: str  # a core msgid (translated) or the plugin's own words


async def prompts_for(rules: Rules, case: CaseSnapshot) -> list[Prompt]:
    """``kasane_escalation_prompts``: the core's suggestions, then the plugin's (a key the
    plugin repeats replaces the core's, so a town can reword or sharpen one)."""

    def check(answer: Any) -> list[Prompt]:
        if not isinstance(answer, list):
            raise RuleRefused("not a list")
        out = []
        for item in answer:
            key, message = str(item["key"]), item["message"]
            suggest = item.get("suggest", "other")
            if not isinstance(message, str) or not 0 < len(message) <= 300:
                raise RuleRefused("a message of 1 to 300 characters is needed")
            if suggest not in SUGGESTIONS:
                raise RuleRefused(f"suggest {suggest!r} is not one of {', '.join(SUGGESTIONS)}")
            out.append(Prompt(key, suggest, message))
        return out

    mine = [Prompt(p["key"], p["suggest"], p["message"]) for p in core.escalation_prompts(case)]
    found = await rules.every("kasane_escalation_prompts", [], check, case=case)
    keys = {p.key for p in found}
    return [p for p in mine if p.key not in keys] + found


async def record_problems(rules: Rules, record: RecordSnapshot) -> dict[str, str]:
    """``kasane_validate_record``: the town's own checks, field → message (the first per
    field). The core's validation of the form has already passed."""
    form = rules.config.forms.get(record.form)
    names = {f.name for f in form.all_fields()} if form else set()

    def check(answer: Any) -> list[tuple[str, str]]:
        if not isinstance(answer, list):
            raise RuleRefused("not a list")
        out = []
        for item in answer:
            field, message = item["field"], item["message"]
            if field not in names:
                raise RuleRefused(f"{field!r} is not a field of the {record.form} form")
            if not isinstance(message, str) or not 0 < len(message) <= 300:
                raise RuleRefused("a message of 1 to 300 characters is needed")
            out.append((field, message))
        return out

    found = await rules.every("kasane_validate_record", [], check, record=record)
    problems: dict[str, str] = {}
    for field, message in found:
        problems.setdefault(field, message)
    return problems


def record_snapshot(
    form: str, values: dict[str, Any], today: date, counter: str | None = None
) -> RecordSnapshot:
    return RecordSnapshot(form, MappingProxyType(dict(values)), today, counter)
