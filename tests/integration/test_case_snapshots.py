"""The case page builds the town rules' snapshot of a case from what it has read already;
it must be the very snapshot the lists and agendas make with their own queries."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from kasane.core.cases.models import Case
from kasane.core.cases.record_reads import case_records
from kasane.core.cases.services import active_agencies
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.people.services import household_view
from kasane.core.rules.apply import case_snapshots, page_snapshot
from kasane.core.rules.snapshots import CaseSnapshot
from kasane.tenants.services import TenantResolver
from tests.conftest import Env


def _comparable(snapshot: CaseSnapshot) -> CaseSnapshot:
    """The snapshot with its household's members in one order (the page lists them by age)."""
    members = tuple(sorted(snapshot.household.members, key=repr))
    return replace(snapshot, household=replace(snapshot.household, members=members))


def test_the_case_pages_snapshot_is_the_one_the_lists_make(any_env: Env) -> None:
    async def go(db: Database) -> list[tuple[CaseSnapshot, CaseSnapshot]]:
        pairs = []
        for slug in ("usuki", "marugame"):
            context = await TenantResolver(db, "kasane.test").resolve(slug)
            assert context is not None
            async with db.session(context.id) as s:
                cases = list((await s.execute(select(Case).order_by(Case.case_no))).scalars())
                today = today_jst()
                listed = await case_snapshots(s, context.config, cases, today)
                for case, expected in zip(cases, listed, strict=True):
                    members, _ = await household_view(s, case.household_id, today)
                    records = await case_records(s, case.id)
                    parts = await active_agencies(s, case.id)
                    made = await page_snapshot(
                        s,
                        context.config,
                        case,
                        today,
                        agencies=[p.agency_key for p in parts],
                        categories=[c for r in records.consultations for c in r.categories or ()],
                        entered=max((e.at for e in records.stage_events), default=None),
                        has_plan=bool(records.plans),
                        members=members,
                    )
                    pairs.append((made, expected))
        return pairs

    # given every demo case of both towns (all stages, with and without plans, 多機関協働
    # and households of every shape), then the page's snapshot is the list's, field by field
    pairs = any_env.run(go)
    assert len(pairs) > 40
    assert {p.stage for p, _ in pairs} >= {"intake", "closed"}
    assert any(p.collaboration_since for p, _ in pairs) and any(p.has_plan for p, _ in pairs)
    for made, expected in pairs:
        assert _comparable(made) == _comparable(expected), made.case_no
