"""Who may see a person's record: need-to-know, answered like a missing id otherwise.

A staff member sees a person when their agency takes part now (an active ``CaseAgency``)
in a case of that person — a case opened for them, or for a household they belong to — or
when their agency sent or received a referral for them, or follows an outreach record
linked to them, or when they themselves took a consultation for that person. The
municipal section that answers 開示請求 and merges duplicates (the roles with
``person:records:read_all``: tenant_admin, supervisor) sees every person of the tenant.
Anyone else gets :class:`NotFound`, exactly as for an id that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.errors import NotFound
from kasane.core.intake.models import Consultation
from kasane.core.outreach.models import OutreachRecord
from kasane.core.people.matching import PersonKeys
from kasane.core.people.models import HouseholdMember, Person
from kasane.core.people.services import Candidate, get_person, match_people
from kasane.core.referrals.models import Referral


def is_record_keeper(actor: ActorInfo) -> bool:
    """True for the municipal section, which sees every person (exporting and merging are
    their own permissions, checked for the route by ``requires_login``)."""
    return actor.can("person:records:read_all")


async def may_see_person(session: AsyncSession, actor: ActorInfo, person_id: uuid.UUID) -> bool:
    """Need-to-know for ``person_id`` (already resolved past any merge)."""
    return person_id in await visible_people(session, actor, [person_id])


async def visible_people(
    session: AsyncSession, actor: ActorInfo, person_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``person_ids`` that ``actor`` may see, in one query (a search or duplicate
    check judges all its candidates at once): the agency takes part in an open case of the
    person or of their household, sent or received a referral for them, or followed them up
    in outreach; and whoever took a consultation keeps access to it (decision 0004)."""
    if is_record_keeper(actor):
        return set(person_ids)
    if not person_ids:
        return set()
    agency = actor.agency_key or ""
    # every subquery is about the outer row's person (correlated explicitly: the tenant
    # criteria the session adds must not turn Person into a FROM of its own in them)
    households = (
        select(HouseholdMember.household_id)
        .where(HouseholdMember.person_id == Person.id)
        .correlate(Person)
    )
    in_case = (
        select(Case.id)
        .join(
            CaseAgency,
            (CaseAgency.case_id == Case.id) & (CaseAgency.tenant_id == Case.tenant_id),
        )
        .where(
            CaseAgency.agency_key == agency,
            CaseAgency.ended_on.is_(None),
            or_(Case.person_id == Person.id, Case.household_id.in_(households)),
        )
        .correlate(Person)
    )
    referred = (
        select(Referral.id)
        .where(
            Referral.person_id == Person.id,
            or_(Referral.to_agency_key == agency, Referral.from_agency_key == agency),
        )
        .correlate(Person)
    )
    followed = (
        select(OutreachRecord.id)
        .where(OutreachRecord.person_id == Person.id, OutreachRecord.agency_key == agency)
        .correlate(Person)
    )
    recorded = (
        select(Consultation.id)
        .where(Consultation.person_id == Person.id, Consultation.received_by == actor.id)
        .correlate(Person)
    )
    found = await session.execute(
        select(Person.id).where(
            Person.id.in_(list(person_ids)),
            in_case.exists() | referred.exists() | followed.exists() | recorded.exists(),
        )
    )
    return set(found.scalars())


async def access_person(session: AsyncSession, actor: ActorInfo, person_id: uuid.UUID) -> Person:
    """The person if ``actor`` may see them; otherwise NotFound, as for a missing id.

    A merged duplicate is judged by its survivor, where its records now are; the caller
    decides whether to show the duplicate or send the user on to the survivor.

    Raises:
        NotFound: no such person in this tenant, or not the actor's to see.
    """
    person = await get_person(session, person_id)
    if not await may_see_person(session, actor, person.merged_into_id or person.id):
        raise NotFound("person")
    return person


@dataclass(frozen=True)
class Duplicates:
    """What a duplicate check may show: the matches within the actor's need-to-know, and
    whether others exist beyond it (announced without identity: "ask the coordinator")."""

    candidates: list[Candidate] = field(default_factory=list)
    elsewhere: bool = False


async def find_duplicates(
    session: AsyncSession,
    actor: ActorInfo,
    keys: PersonKeys,
    exclude: uuid.UUID | None = None,
    limit: int = 5,
) -> Duplicates:
    """People who may be the same as ``keys`` — only those ``actor`` may see — audited.

    Every path that finds people by what was typed (the intake's duplicate check, outreach
    linking, the merge list) goes through here, so need-to-know applies the same way to all.
    """
    shown: list[Candidate] = []
    hidden: list[uuid.UUID] = []
    candidates = await match_people(session, keys, exclude)
    visible = await visible_people(session, actor, [c.person.id for c in candidates])
    for candidate in candidates:
        if candidate.person.id in visible:
            if len(shown) < limit:
                shown.append(candidate)
        else:
            hidden.append(candidate.person.id)
    if shown or hidden:
        await do_audit(
            session,
            actor.ref,
            "person.duplicate_search",
            "",
            shown=[str(c.person.id) for c in shown],
            elsewhere=[str(i) for i in hidden],
        )
    return Duplicates(shown, bool(hidden))


async def find_linkable_person(
    session: AsyncSession, actor: ActorInfo, raw_id: str, purpose: str
) -> Person | None:
    """The person ``raw_id`` names when ``actor`` may link a record to them, else None.

    Linking a consultation or an outreach record to a person would open that person's
    record to the actor's agency, so it needs the same need-to-know as seeing them. A
    missing id, another tenant's and one outside need-to-know all answer None (no oracle);
    a refusal is audited with the ``purpose`` (``intake``, ``outreach``).
    """
    try:
        person_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    try:
        person = await access_person(session, actor, person_id)
    except NotFound:
        await do_audit(session, actor.ref, "person.link_refused", "", purpose=purpose, id=raw_id)
        return None
    return person
