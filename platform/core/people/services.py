"""People and households: create, find duplicates, link, merge; household patterns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.errors import NotFound
from kasane.core.people.matching import (
    Match,
    PersonKeys,
    is_candidate,
    match,
    normalize_phone,
    search_keys,
)
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.people.patterns import MemberFacts, age_on, household_patterns

PERSON_FIELDS = (
    "name",
    "kana",
    "sex",
    "birth_date",
    "address",
    "phone_home",
    "phone_mobile",
    "email",
    "area_key",
)


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, (session.info["tenant_id"], person_id))
    if person is None:
        raise NotFound("person")
    return person


def _refresh_keys(person: Person) -> None:
    # A new Person has None (not the column default "") for every field it was not given.
    person.name_norm, person.kana_norm = search_keys(person.name or "", person.kana or "")
    phones = (person.phone_home or "", person.phone_mobile or "")
    person.phone_norm = " ".join(p for p in map(normalize_phone, phones) if p)


async def do_create_person(session: AsyncSession, actor: ActorInfo, **fields: object) -> Person:
    person = Person(**{k: v for k, v in fields.items() if k in PERSON_FIELDS and v is not None})
    _refresh_keys(person)
    session.add(person)
    await session.flush()
    await do_audit(session, actor.ref, "person.create", f"person:{person.id}")
    return person


async def do_update_person(
    session: AsyncSession, actor: ActorInfo, person: Person, **fields: object
) -> Person:
    changed = sorted(k for k, v in fields.items() if k in PERSON_FIELDS and getattr(person, k) != v)
    for k in changed:
        setattr(person, k, fields[k])
    _refresh_keys(person)
    await do_audit(session, actor.ref, "person.update", f"person:{person.id}", fields=changed)
    return person


@dataclass(frozen=True)
class Candidate:
    person: Person
    match: Match


async def match_people(
    session: AsyncSession, keys: PersonKeys, exclude: uuid.UUID | None = None
) -> list[Candidate]:
    """Every person of the tenant who may be the same as ``keys``, best first: pre-filtered
    by indexed keys, then scored. No need-to-know and no audit: callers that show the result
    go through :func:`kasane.core.people.access.find_duplicates`."""
    name_norm, kana_norm = search_keys(keys.name, keys.kana)
    phones = [p for p in (normalize_phone(x) for x in keys.phones) if len(p) >= 6]
    conditions = []
    if kana_norm:
        conditions.append(Person.kana_norm == kana_norm)
    if name_norm:
        conditions.append(Person.name_norm == name_norm)
    if keys.birth_date:
        conditions.append(Person.birth_date == keys.birth_date)
    conditions += [Person.phone_norm.contains(p) for p in phones]
    if not conditions:
        return []
    stmt = select(Person).where(or_(*conditions), Person.merged_into_id.is_(None)).limit(200)
    found: list[Candidate] = []
    for person in (await session.execute(stmt)).scalars():
        if person.id == exclude:
            continue
        m = match(
            keys,
            PersonKeys(
                name=person.name,
                kana=person.kana,
                birth_date=person.birth_date,
                phones=(person.phone_home, person.phone_mobile),
            ),
        )
        if is_candidate(m):
            found.append(Candidate(person, m))
    found.sort(key=lambda c: -c.match.score)
    return found


async def household_of(session: AsyncSession, person_id: uuid.UUID) -> Household | None:
    return (
        await session.execute(
            select(Household)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.person_id == person_id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def do_create_household(
    session: AsyncSession, actor: ActorInfo, head: Person, area_key: str | None = None
) -> Household:
    household = Household(
        label=f"{head.name} 世帯", address=head.address, area_key=area_key or head.area_key
    )
    session.add(household)
    await session.flush()
    session.add(HouseholdMember(household_id=household.id, person_id=head.id, relation="head"))
    await do_audit(session, actor.ref, "household.create", f"household:{household.id}")
    return household


async def do_add_member(
    session: AsyncSession,
    actor: ActorInfo,
    household: Household,
    person: Person,
    relation: str,
    *,
    is_carer: bool = False,
    needs_care: bool = False,
    withdrawn: bool = False,
) -> HouseholdMember:
    member = HouseholdMember(
        household_id=household.id,
        person_id=person.id,
        relation=relation,
        is_carer=is_carer,
        needs_care=needs_care,
        withdrawn=withdrawn,
    )
    session.add(member)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "household.add_member",
        f"household:{household.id}",
        person=str(person.id),
        relation=relation,
    )
    return member


@dataclass(frozen=True)
class MemberView:
    member: HouseholdMember
    person: Person
    age: int | None


async def household_view(
    session: AsyncSession, household_id: uuid.UUID, today: date
) -> tuple[list[MemberView], list[str]]:
    """Members (with ages) and the household patterns that apply today."""
    rows = (
        await session.execute(
            select(HouseholdMember, Person)
            .join(
                Person,
                (Person.id == HouseholdMember.person_id)
                & (Person.tenant_id == HouseholdMember.tenant_id),
            )
            .where(HouseholdMember.household_id == household_id)
            .order_by(Person.birth_date)
        )
    ).all()
    members = [MemberView(m, p, age_on(p.birth_date, today)) for m, p in rows]
    facts = [
        MemberFacts(v.member.relation, v.age, v.member.is_carer, v.member.needs_care)
        for v in members
    ]
    return members, household_patterns(facts)


async def do_merge_people(
    session: AsyncSession, actor: ActorInfo, survivor: Person, duplicate: Person
) -> None:
    """Move everything recorded for ``duplicate`` to ``survivor``; keep the duplicate row
    (pointing at the survivor) so old references and the audit trail still resolve."""
    from kasane.core.cases.models import Case
    from kasane.core.consent.models import Consent, Disclosure
    from kasane.core.intake.models import Consultation
    from kasane.core.outreach.models import OutreachRecord
    from kasane.core.participation.models import ParticipationMatch
    from kasane.core.referrals.models import Referral

    if survivor.id == duplicate.id or duplicate.merged_into_id is not None:
        raise ValueError("cannot merge a person into itself or merge twice")
    for model in (Case, Consent, Disclosure, Consultation, Referral, ParticipationMatch):
        await session.execute(
            update(model).where(model.person_id == duplicate.id).values(person_id=survivor.id)
        )
    await session.execute(
        update(OutreachRecord)
        .where(OutreachRecord.person_id == duplicate.id)
        .values(person_id=survivor.id)
    )
    survivor_households = set(
        (
            await session.execute(
                select(HouseholdMember.household_id).where(HouseholdMember.person_id == survivor.id)
            )
        ).scalars()
    )
    for member in (
        await session.execute(
            select(HouseholdMember).where(HouseholdMember.person_id == duplicate.id)
        )
    ).scalars():
        if member.household_id in survivor_households:
            await session.delete(member)
        else:
            member.person_id = survivor.id
    for field in PERSON_FIELDS:  # fill gaps in the survivor from the duplicate
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    _refresh_keys(survivor)
    duplicate.merged_into_id = survivor.id
    await do_audit(
        session, actor.ref, "person.merge", f"person:{survivor.id}", merged=str(duplicate.id)
    )
