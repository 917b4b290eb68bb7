"""Reads shared by the readers of one count: the core's consultations source and the local
indicators' records both need the year's consultations; a large town has tens of thousands,
so one count fetches them once (:attr:`Scope.shared`, a memo that lives as long as the count).

Each reader says which columns it needs: the local indicators' records need the intake's
values (``data``) too, which the core's own figures never read — so the core asks for them
only when the same count will hand records to a plugin (``WITH_RECORDS`` set by the report).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Text, cast, select

from kasane.core.intake.models import Consultation
from kasane.core.people.models import Person
from kasane.core.reports.facts import Scope, raw

# Set in Scope.shared when the count will also build the local indicators' records.
WITH_RECORDS = "with_records"

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


async def consultation_rows(scope: Scope, since: date, *, records: bool = False) -> list[Any]:
    """The consultations received from ``since`` to the end of the scope's period, with the
    person's area; with ``records`` (or when the count builds records anyway) the columns of
    :class:`~kasane.core.reports.snapshot.ConsultationRecord` too. Read once per count."""
    records = records or bool(scope.shared.get(WITH_RECORDS))
    key = ("consultations", since, scope.period.end, records)
    rows = scope.shared.get(key)
    if rows is None:
        columns = _CORE + _RECORDS if records else _CORE
        rows = list(
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
        scope.shared[key] = rows
    return rows
