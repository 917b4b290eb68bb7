"""The demo towns show a full last fiscal year and this one to date, and the figures can be
checked against the demo caseload's records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kasane.core.cases.models import StageEvent
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.japan_time import today_jst
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.counting import get_figures
from kasane.core.reports.facts import Scope
from kasane.core.reports.periods import Period, fiscal_year_of
from tests.conftest import Env
from tests.isolation.routes_cases import tenant_setup

EVERY_SECTION = (
    "consultations.total",
    "consultations.continued",
    "referrals.sent",
    "referrals.declined",
    "collaboration.taken_in",
    "collaboration.closed",
    "collaboration.suspended",
    "collaboration.resumed",
    "meetings.held",
    "meetings.cases",
    "outreach.persons",
    "participation.started",
    "participation.retained",
    "community.places",
    "community.participants",
    "gaps.found",
)


def _facts(env: Env, slug: str) -> dict[str, Any]:
    today = today_jst()
    this_fy = fiscal_year_of(today)

    async def go(db: Database) -> dict[str, Any]:
        tenant_id, config = await tenant_setup(db, slug)
        out: dict[str, Any] = {}
        async with db.session(tenant_id) as s:
            for fy in (this_fy - 1, this_fy):
                period = Period.fiscal_year(fy)
                figures = await get_figures(s, config, list(CATALOGUE), period, today=today)
                lo, hi = Scope(s, config, period, today).moments
                out[fy] = {
                    "figures": {k: f.total for k, f in figures.items()},
                    "consultations": (
                        await s.execute(
                            select(func.count())
                            .select_from(Consultation)
                            .where(Consultation.received_on.between(period.start, period.end))
                        )
                    ).scalar_one(),
                    "closed": (
                        await s.execute(
                            select(func.count())
                            .select_from(StageEvent)
                            .where(
                                StageEvent.to_stage == "closed",
                                StageEvent.at >= lo,
                                StageEvent.at < hi,
                            )
                        )
                    ).scalar_one(),
                    "people": set(
                        (
                            await s.execute(
                                select(Consultation.person_id).where(
                                    Consultation.received_on.between(period.start, period.end)
                                )
                            )
                        ).scalars()
                    ),
                }
            out["oldest"] = (
                await s.execute(select(func.min(Consultation.received_on)))
            ).scalar_one()
        return out

    return env.run(go)  # type: ignore[no-any-return]


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_the_demo_has_last_year_in_full_and_this_year_to_date(sqlite_env: Env, slug: str) -> None:
    facts = _facts(sqlite_env, slug)
    this_fy = fiscal_year_of(today_jst())
    last, this = facts[this_fy - 1], facts[this_fy]
    # last year reaches back to its April and has something in every section
    assert facts["oldest"] <= Period.fiscal_year(this_fy - 1).start + timedelta(days=45)
    empty = [k for k in EVERY_SECTION if not last["figures"][k]]
    assert not empty, f"last fiscal year shows nothing for {empty}"
    assert this["figures"]["consultations.total"] > 0
    # the figures are the records' own: a person can count them
    for year in (last, this):
        assert year["figures"]["consultations.total"] == year["consultations"]
        assert year["figures"]["collaboration.closed"] == year["closed"]
        assert year["figures"]["consultations.persons"] == len(year["people"])
    # some of last year's people came back this year: new again in the new year
    assert last["people"] & this["people"]
