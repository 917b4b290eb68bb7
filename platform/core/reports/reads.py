"""Reads shared by the readers of one count: the core's consultations source and the local
indicators' records both need the year's consultations; a large town has tens of thousands,
so one count fetches them once (:class:`~.facts.SharedReads`, as long as the count lives).

Each reader says which columns it needs: the local indicators' records need the intake's
values (``data``) too, which the core's own figures never read — so the core asks for them
only when the same count will hand records to a plugin (``SharedReads.with_records``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Text, cast, select

from kasane.core.intake.models import Consultation
from kasane.core.people.models import Person
from kasane.core.reports.facts import Scope, raw
from kasane.core.reports.periods import fiscal_year_of

_CORE = (
    raw(Consultation.id),
    raw(Consultation.person_id),
    Consultation.received_on,
    raw(Consultation.created_at),  # only orders a day's consultations
    Consultation.counter_key,
    Consultation.channel,
    Person.area_key,
)
_RECORDS = (
    Consultation.outcome,
    Consultation.referred_to,
    Consultation.main_category,
    raw(Consultation.case_id),
    # JSON as its text, decoded by the reader (:func:`json_of`): the driver's decoder per row
    # was a good part of a large town's report
    cast(Consultation.categories, Text).label("categories"),
    cast(Consultation.data, Text).label("data"),
)


def json_of(text: str | None) -> Any:
    """A JSON column read as text (``_RECORDS``), decoded."""
    return msgspec.json.decode(text) if text else None


async def consultation_rows(scope: Scope, *, records: bool = False) -> list[Any]:
    """The consultations received from the April 1 of the period's fiscal year (new or
    continued is told from there) to the period's end, with the person's area; with
    ``records`` (or when the count builds records anyway) the columns of
    :class:`~kasane.core.reports.snapshot.ConsultationRecord` too. Read once per count."""
    shared = scope.shared
    records = records or shared.with_records
    since = date(fiscal_year_of(scope.period.start), 4, 1)
    key = (since, scope.period.end, records)
    if key not in shared.consultations:
        columns = _CORE + _RECORDS if records else _CORE
        shared.consultations[key] = list(
            await scope.session.execute(
                select(*columns)
                .outerjoin(
                    Person,
                    (Person.tenant_id == Consultation.tenant_id)
                    & (Person.id == Consultation.person_id),
                )
                .where(Consultation.received_on.between(since, scope.period.end))
            )
        )
    return shared.consultations[key]
