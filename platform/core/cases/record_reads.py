"""Every record of one case, in one statement: what the case page reads.

The page needs the case's rows of nine tables (stage moves, consultations, assessments,
plans, notes, monitorings, decisions, evaluations, referrals). Read one table at a time,
that was nine statements, ~0.5 ms each on this machine, whatever the handful of rows they
return. Here one ``UNION ALL`` reads them all: each branch selects its own table's columns
and a typed NULL for every other table's, plus the branch's number, so each row comes back
with its columns converted by their own types and is made into an instance of its model.

The instances are transient (not in the session): the page only reads them. Being a Core
statement, it names the tenant itself (the ORM's tenant criteria apply to mapped classes
only); PostgreSQL's RLS checks it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, cast, inspect, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import (
    Assessment,
    CaseDecision,
    Evaluation,
    Monitoring,
    ProgressNote,
    StageEvent,
    SupportPlan,
)
from kasane.core.intake.models import Consultation
from kasane.core.referrals.models import Referral


@dataclass
class CaseRecords:
    """Every record of one case that the case page shows, each table read once: the
    timeline, the facts the stage rules test, the plan and version lists all use these."""

    stage_events: list[StageEvent]
    consultations: list[Consultation]
    assessments: list[Assessment]
    plans: list[SupportPlan]
    notes: list[ProgressNote]
    monitorings: list[Monitoring]
    decisions: list[CaseDecision]
    evaluations: list[Evaluation]
    referrals: list[Referral]

    @property
    def latest_plan(self) -> SupportPlan | None:
        return max(self.plans, key=lambda p: p.version, default=None)


# In CaseRecords' field order.
_MODELS: tuple[type[Any], ...] = (
    StageEvent,
    Consultation,
    Assessment,
    SupportPlan,
    ProgressNote,
    Monitoring,
    CaseDecision,
    Evaluation,
    Referral,
)


@dataclass(frozen=True)
class _Reading:
    statement: CompoundSelect[Any]
    attributes: list[list[tuple[str, Any]]]  # per model: (attribute, column), as selected
    first: list[int]  # per model: where its columns start in a row


@cache  # built once, after the mappers are configured: the same object each time is then
def _reading() -> _Reading:  # found in SQLAlchemy's compiled cache by its memoized key
    attributes = [[(a.key, a.columns[0]) for a in inspect(m).column_attrs] for m in _MODELS]
    branches = []
    for n, model in enumerate(_MODELS):
        table = model.__table__
        columns: list[Any] = [literal(n).label("branch")]
        for m, own in enumerate(attributes):
            for key, column in own:
                value = column if m == n else cast(null(), column.type)
                columns.append(value.label(f"c{m}_{key}"))
        branches.append(
            select(*columns).where(
                table.c.tenant_id == bindparam("tenant_id"), table.c.case_id == bindparam("case_id")
            )
        )
    first = [1 + sum(len(a) for a in attributes[:n]) for n in range(len(_MODELS))]
    return _Reading(union_all(*branches), attributes, first)


async def case_records(session: AsyncSession, case_id: uuid.UUID) -> CaseRecords:
    """The case's records of the nine tables, in one statement (after writing what the
    session holds: a Core statement does not autoflush, and a page shown after a save must
    show what was saved)."""
    await session.flush()
    reading = _reading()
    found: list[list[Any]] = [[] for _ in _MODELS]
    params = {"tenant_id": session.info["tenant_id"], "case_id": case_id}
    for row in await session.execute(reading.statement, params):
        n, first = row[0], reading.first[row[0]]
        values = {key: row[first + i] for i, (key, _) in enumerate(reading.attributes[n])}
        found[n].append(_MODELS[n](**values))
    return CaseRecords(*found)
