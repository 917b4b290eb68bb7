"""The case page reads a case's records of eleven tables in one statement
(``kasane.core.cases.record_reads``); it must give exactly what reading each table gives —
the same rows, every column with the same value and Python type — on both backends, for
every demo case of both towns, and nothing of another town's case."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kasane.core.cases.models import Case, PlanRow, SupportPlan
from kasane.core.cases.record_reads import _MODELS, CaseRecords, case_records
from kasane.core.cases.services import active_agencies
from kasane.core.db import Database
from tests.conftest import Env


async def _table_by_table(s: Any, model: type[Any], case_id: uuid.UUID) -> list[Any]:
    if model is PlanRow:
        of_the_case = select(PlanRow).join(SupportPlan, SupportPlan.id == PlanRow.plan_id)
        stmt = of_the_case.where(SupportPlan.case_id == case_id)
    else:
        stmt = select(model).where(model.case_id == case_id)  # type: ignore[attr-defined]
    return list((await s.execute(stmt)).scalars())


def _values(rows: list[Any], model: type[Any]) -> list[list[tuple[Any, type]]]:
    columns = [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]
    ordered = sorted(rows, key=lambda r: r.id)
    return [[(getattr(r, c), type(getattr(r, c))) for c in columns] for r in ordered]


def test_one_statement_reads_what_the_tables_hold(any_env: Env) -> None:
    towns = {slug: any_env.tenant_id(slug) for slug in ("usuki", "marugame")}

    async def go(db: Database) -> dict[str, int]:
        seen: dict[str, int] = {}
        usuki_case = None
        for slug, tenant in towns.items():
            async with db.session(tenant) as s:
                cases = list((await s.execute(select(Case.id))).scalars())
                usuki_case = usuki_case or cases[0]
                for case_id in cases:
                    got = await case_records(s, case_id)
                    for field, model in zip(CaseRecords.__dataclass_fields__, _MODELS, strict=True):
                        want = await _table_by_table(s, model, case_id)
                        have = getattr(got, field)
                        assert _values(have, model) == _values(want, model), (slug, field)
                        seen[field] = seen.get(field, 0) + len(have)
                    taking_part = await active_agencies(s, case_id)
                    assert [p.id for p in got.taking_part] == [p.id for p in taking_part]
                    if got.latest_plan is not None:
                        ordered = await s.execute(
                            select(PlanRow.id)
                            .where(PlanRow.plan_id == got.latest_plan.id)
                            .order_by(PlanRow.position)
                        )
                        assert [r.id for r in got.rows_of(got.latest_plan)] == list(
                            ordered.scalars()
                        )
        # a case of usuki, read in marugame's session: nothing at all
        async with db.session(towns["marugame"]) as s:
            assert usuki_case is not None
            theirs = await case_records(s, usuki_case)
        assert not any(getattr(theirs, f) for f in CaseRecords.__dataclass_fields__)
        return seen

    seen = any_env.run(go)
    # the demo holds every kind of record, so every branch was compared on real rows
    assert all(seen[f] > 0 for f in CaseRecords.__dataclass_fields__), seen
