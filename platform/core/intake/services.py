"""Take a consultation at any counter and act on its outcome.

``do_intake`` is one transaction: the person (new, or an existing one staff linked after
the duplicate check), their household, the consultation record (with the form version it
was written with), and what the outcome asks for — nothing, a referral, or a case (with
多機関協働 when chosen).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import CaseRuleError, do_open_case
from kasane.core.config_types import Counter, TenantConfig
from kasane.core.db import uuid7
from kasane.core.forms.validation import Submission, split_sensitive
from kasane.core.i18n import N_
from kasane.core.intake.models import OUTCOMES, Consultation
from kasane.core.people.matching import normalize_name
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.people.services import (
    do_add_member,
    do_create_household,
    do_create_person,
    get_person,
    household_of,
)
from kasane.core.protection.sealing import seal_json
from kasane.core.referrals.services import do_send_referral
from kasane.core.rules.apply import households, lead_for
from kasane.core.rules.runner import Rules
from kasane.core.rules.snapshots import IntakeSnapshot


@dataclass(frozen=True)
class IntakeResult:
    consultation: Consultation
    person: Person
    case: Case | None


def check_outcome(outcome: str, referred_to: str | None, config: TenantConfig) -> dict[str, str]:
    problems: dict[str, str] = {}
    if outcome not in OUTCOMES:
        problems["outcome"] = N_("Choose what happens next")
    elif outcome == "referral" and (not referred_to or config.agency(referred_to) is None):
        problems["referred_to"] = N_("Choose the agency the person is referred to")
    return problems


async def _add_visitor(
    session: AsyncSession,
    actor: ActorInfo,
    household: Household,
    v: dict[str, Any],
    area_key: str | None,
) -> None:
    """The 来談者 who lives with the person joins the household with their 続柄 (e.g. the
    mother in an 8050 household) — unless a member of that name is there already."""
    name = (v.get("visitor_name") or "").strip()
    members = (
        await session.execute(
            select(Person.name_norm)
            .join(
                HouseholdMember,
                (HouseholdMember.person_id == Person.id)
                & (HouseholdMember.tenant_id == Person.tenant_id),
            )
            .where(HouseholdMember.household_id == household.id)
        )
    ).scalars()
    if normalize_name(name) in set(members):
        return
    visitor = await do_create_person(
        session,
        actor,
        name=name,
        phone_mobile=v.get("visitor_phone") or "",
        area_key=area_key,
    )
    await do_add_member(session, actor, household, visitor, v["visitor_household"])


# What the person record holds already (and the visitor's 続柄): not kept again with the
# consultation, nor shown to the town's routing rule as an intake field.
_IDENTITY = (
    "visitor_household",
    "name",
    "kana",
    "sex",
    "birth_date",
    "address",
    "phone_home",
    "phone_mobile",
    "email",
)


async def _person_of(
    session: AsyncSession,
    actor: ActorInfo,
    v: dict[str, Any],
    person_id: uuid.UUID | None,
    area_key: str | None,
) -> Person:
    """The person staff linked the consultation to (audited), or a new one from the form."""
    if person_id is not None:  # staff linked the consultation to a known person
        person = await get_person(session, person_id)
        await do_audit(session, actor.ref, "person.link", f"person:{person.id}")
        return person
    return await do_create_person(
        session,
        actor,
        name=v.get("name") or "",
        kana=v.get("kana") or "",
        sex=v.get("sex"),
        birth_date=v.get("birth_date"),
        address=v.get("address") or "",
        phone_home=v.get("phone_home") or "",
        phone_mobile=v.get("phone_mobile") or "",
        email=v.get("email") or "",
        area_key=area_key,
    )


async def _household_of(
    session: AsyncSession,
    actor: ActorInfo,
    person: Person,
    v: dict[str, Any],
    area_key: str | None,
) -> Household:
    """The person's household (a new one if they have none), the 来談者 who lives with them
    added to it."""
    household = await household_of(session, person.id) or await do_create_household(
        session, actor, person, area_key=area_key
    )
    visitor_relation = v.get("visitor_household")
    if visitor_relation and (v.get("visitor_name") or "").strip():
        await _add_visitor(session, actor, household, v, area_key)
    return household


async def _add_consultation(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    person: Person,
    v: dict[str, Any],
    plain: dict[str, Any],
    sensitive: dict[str, Any],
    *,
    counter_key: str,
    outcome: str,
    referred_to: str | None,
    today: date,
) -> Consultation:
    """The consultation record, its sensitive answers sealed, added to the session."""
    row_id = uuid7()
    consultation = Consultation(
        id=row_id,
        counter_key=counter_key,
        received_on=v.get("received_on") or today,
        received_by=actor.id,
        channel=v.get("channel") or "",
        person_id=person.id,
        visitor_name=v.get("visitor_name") or "",
        visitor_phone=v.get("visitor_phone") or "",
        visitor_relation=v.get("visitor_relation") or "",
        categories=list(v.get("categories") or []),
        main_category=v.get("main_category") or "",
        form_version=config.forms["intake"].version,
        config_version=config.version or None,
        data={k: val for k, val in plain.items() if k not in _IDENTITY},
        sealed=await seal_json(session, "consultations", row_id, sensitive),
        outcome=outcome,
        referred_to=referred_to if outcome == "referral" else None,
    )
    session.add(consultation)
    return consultation


async def _case_for(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    counter: Counter,
    person: Person,
    household: Household,
    consultation: Consultation,
    plain: dict[str, Any],
    *,
    today: date,
    rules: Rules | None,
) -> Case:
    """The household's open case, or a new one led by the agency the town's routing rule
    names (the core's: the counter's)."""
    existing = (
        await session.execute(
            select(Case)
            .where(Case.household_id == household.id, Case.stage.not_in(("closed",)))
            .limit(1)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    home = (await households(session, [household.id], today))[household.id]
    intake = IntakeSnapshot(
        counter=counter.key,
        field=counter.field,
        counter_agency=counter.agency,
        coordinating_agency=config.coordinating_agency().key,
        outcome=consultation.outcome,
        categories=tuple(consultation.categories),
        main_category=consultation.main_category,
        channel=consultation.channel,
        household=home,
        today=today,
        fields=MappingProxyType({k: val for k, val in plain.items() if k not in _IDENTITY}),
    )
    lead = await lead_for(rules or Rules.core(config), intake)
    return await do_open_case(
        session,
        actor,
        config,
        person=person,
        household=household,
        counter_key=counter.key,
        today=today,
        collaboration=consultation.outcome == "multi_agency",
        lead=lead,
    )


async def _act_on_outcome(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    counter: Counter,
    consultation: Consultation,
    person: Person,
    household: Household,
    plain: dict[str, Any],
    *,
    today: date,
    rules: Rules | None,
) -> Case | None:
    """What the consultation's outcome asks for: a case (the consultation joins it), a
    referral, or nothing."""
    outcome, referred_to = consultation.outcome, consultation.referred_to
    if outcome in ("continued", "multi_agency"):
        case = await _case_for(
            session,
            actor,
            config,
            counter,
            person,
            household,
            consultation,
            plain,
            today=today,
            rules=rules,
        )
        consultation.case_id = case.id
        return case
    if outcome == "referral" and referred_to:
        await do_send_referral(
            session,
            actor,
            person_id=person.id,
            case_id=None,
            consultation_id=consultation.id,
            from_agency=counter.agency or config.coordinating_agency().key,
            to_agency=referred_to,
            reason="",
            today=today,
        )
    return None


async def do_intake(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    counter_key: str,
    submission: Submission,
    outcome: str,
    referred_to: str | None = None,
    person_id: uuid.UUID | None = None,
    today: date,
    rules: Rules | None = None,
) -> IntakeResult:
    """Record a consultation. ``submission`` is the validated intake form.

    Raises:
        CaseRuleError: unknown counter, or an outcome the tenant cannot act on.
    """
    counter = config.counter(counter_key)
    if counter is None or counter in config.retired_counters:
        raise CaseRuleError(N_("Choose one of this municipality's counters."))
    v = submission.values
    person = await _person_of(session, actor, v, person_id, counter.area)
    household = await _household_of(session, actor, person, v, counter.area)
    plain, sensitive = split_sensitive(config.forms["intake"], v)
    consultation = await _add_consultation(
        session,
        actor,
        config,
        person,
        v,
        plain,
        sensitive,
        counter_key=counter_key,
        outcome=outcome,
        referred_to=referred_to,
        today=today,
    )
    case = await _act_on_outcome(
        session,
        actor,
        config,
        counter,
        consultation,
        person,
        household,
        plain,
        today=today,
        rules=rules,
    )
    await do_audit(
        session,
        actor.ref,
        "consultation.record",
        f"consultation:{consultation.id}",
        counter=counter_key,
        outcome=outcome,
        form_version=consultation.form_version,
    )
    return IntakeResult(consultation, person, case)
