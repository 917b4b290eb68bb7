"""Every record of one case, in one statement: what the case page reads.

The page needs the case's rows of eleven tables (stage moves, consultations, assessments,
plans, notes, monitorings, decisions, evaluations, referrals, the agencies taking part and
the plans' rows). Read one table at a time, that was eleven statements, ~0.5 ms each on
this machine, whatever the handful of rows they return. Here one ``UNION ALL`` reads them
all: each branch selects its own table's columns and a typed NULL for every other table's,
plus the branch's number, so each row comes back with its columns converted by their own
types and is made into an instance of its model.

The instances are transient (not in the session): the page only reads them. Being a Core
statement, it names the tenant itself (the ORM's tenant criteria apply to mapped classes
only); PostgreSQL's RLS checks it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    bindparam,
    cast,
    inspect,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import (
    Assessment,
    CaseAgency,
    CaseDecision,
    Evaluation,
    Monitoring,
    PlanRow,
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
    participations: list[CaseAgency]  # the ended ones too
    plan_rows: list[PlanRow]  # of every plan version

    @property
    def latest_plan(self) -> SupportPlan | None:
        return max(self.plans, key=lambda p: p.version, default=None)

    @property
    def taking_part(self) -> list[CaseAgency]:
        """The participations that have not ended, the lead first (as ``active_agencies``)."""
        now = [p for p in self.participations if p.ended_on is None]
        return sorted(now, key=lambda p: (p.role, p.started_on))

    def rows_of(self, plan: SupportPlan) -> list[PlanRow]:
        """The plan's rows in their order (as ``plan_rows``)."""
        return sorted((r for r in self.plan_rows if r.plan_id == plan.id), key=lambda r: r.position)


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
    CaseAgency,
    PlanRow,
)


@dataclass(frozen=True)
class _Reading:
    statement: CompoundSelect[Any]
    attributes: list[list[tuple[str, Any]]]  # per model: (attribute, column), as selected
    first: list[int]  # per model: where its columns start in a row


_TENANT: BindParameter[Any] = bindparam("tenant_id")


def _of_the_case(table: Any) -> Any:
    """A row of the case: by its ``case_id``, or a plan row by its plan's."""
    if "case_id" in table.c:
        return table.c.case_id == bindparam("case_id")
    plans = SupportPlan.__table__
    case_plans = select(plans.c.id).where(
        plans.c.tenant_id == _TENANT, plans.c.case_id == bindparam("case_id")
    )
    return table.c.plan_id.in_(case_plans)


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
        branches.append(select(*columns).where(table.c.tenant_id == _TENANT, _of_the_case(table)))
    first = [1 + sum(len(a) for a in attributes[:n]) for n in range(len(_MODELS))]
    return _Reading(union_all(*branches), attributes, first)


async def case_records(session: AsyncSession, case_id: uuid.UUID) -> CaseRecords:
    """The case's records of the eleven tables, in one statement (after writing what the
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
