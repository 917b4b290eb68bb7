"""Search people and cases by name, kana, 異体字-folded spelling, phone or case number —
within the actor's need-to-know (decision 0004), like every path that finds people.

A person is shown when :func:`kasane.core.people.access.may_see_person` allows it; matches
beyond need-to-know are only counted, and the page says "a possible match exists elsewhere"
without identity. Cases come only through ``visible_to``. Every search that shows someone is
audited by ids (never the words typed: they may be a name).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import visible_to
from kasane.core.people.access import visible_people
from kasane.core.people.matching import normalize_kana, normalize_name, normalize_phone
from kasane.core.people.models import Person

MAX_QUERY = 100
CANDIDATES = 60  # people looked at before need-to-know is applied
SHOWN = 20
MIN_PHONE_DIGITS = 4  # the last four digits staff often remember


@dataclass(frozen=True)
class PersonHit:
    id: uuid.UUID
    name: str
    kana: str
    birth_date: date | None


@dataclass(frozen=True)
class CaseHit:
    id: uuid.UUID
    case_no: int
    stage: str
    person_name: str
    lead_agency_key: str


@dataclass
class SearchResult:
    query: str
    people: list[PersonHit] = field(default_factory=list)
    cases: list[CaseHit] = field(default_factory=list)
    elsewhere: bool = False  # someone matched whom the actor may not see

    @property
    def empty(self) -> bool:
        return not (self.people or self.cases)


def _case_number(q: str) -> int | None:
    text = q.strip().lstrip("#").removeprefix("No.").removeprefix("no.").strip()
    digits = normalize_phone(text)
    return int(digits) if digits and digits == text and len(digits) <= 7 else None


async def search(session: AsyncSession, actor: ActorInfo, raw: str) -> SearchResult:
    """People and cases matching ``raw`` that ``actor`` may see (empty for a blank query)."""
    q = " ".join(raw.split())[:MAX_QUERY]
    result = SearchResult(q)
    if not q:
        return result
    result.people, hidden = await _people(session, actor, q)
    result.elsewhere = bool(hidden)
    if actor.can("case:cases:read"):
        result.cases = await _cases(session, actor, q, result.people)
    if not result.empty or hidden:
        await do_audit(
            session,
            actor.ref,
            "person.search",
            "",
            shown=[str(p.id) for p in result.people],
            cases=[str(c.id) for c in result.cases],
            elsewhere=[str(i) for i in hidden],
        )
    return result


def _person_conditions(q: str) -> list[Any]:
    """What ``q`` can match: the name, the kana, or — when it is all digits — a phone."""
    name, kana, digits = normalize_name(q), normalize_kana(q), normalize_phone(q)
    conditions = []
    if name:
        conditions.append(Person.name_norm.contains(name, autoescape=True))
    if kana:
        conditions.append(Person.kana_norm.contains(kana, autoescape=True))
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) == len(q.replace("-", "").replace(" ", "")):
        conditions.append(Person.phone_norm.contains(digits, autoescape=True))
    return conditions


async def _people(
    session: AsyncSession, actor: ActorInfo, q: str
) -> tuple[list[PersonHit], list[uuid.UUID]]:
    """The matching people ``actor`` may see (at most ``SHOWN``), and the ids of those it
    may not (the page only says that there are some)."""
    conditions = _person_conditions(q)
    hidden: list[uuid.UUID] = []
    seen: list[PersonHit] = []
    if not conditions:
        return seen, hidden
    rows = (
        (
            await session.execute(
                select(Person)
                .where(or_(*conditions), Person.merged_into_id.is_(None))
                .order_by(Person.kana_norm, Person.name_norm)
                .limit(CANDIDATES)
            )
        )
        .scalars()
        .all()
    )
    visible = await visible_people(session, actor, [p.id for p in rows])
    for p in rows:
        if p.id in visible:
            if len(seen) < SHOWN:
                seen.append(PersonHit(p.id, p.name, p.kana, p.birth_date))
        else:
            hidden.append(p.id)
    return seen, hidden


async def _cases(
    session: AsyncSession, actor: ActorInfo, q: str, people: list[PersonHit]
) -> list[CaseHit]:
    """Cases ``actor`` may see: the one numbered ``q``, and those of the people found."""
    case_conditions = []
    number = _case_number(q)
    if number is not None:
        case_conditions.append(Case.case_no == number)
    if people:
        case_conditions.append(Case.person_id.in_([p.id for p in people]))
    if not case_conditions:
        return []
    return [
        CaseHit(*r)
        for r in (
            await session.execute(
                select(Case.id, Case.case_no, Case.stage, Person.name, Case.lead_agency_key)
                .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
                .where(or_(*case_conditions), visible_to(actor))
                .order_by(Case.case_no.desc())
                .limit(SHOWN)
            )
        ).all()
    ]
