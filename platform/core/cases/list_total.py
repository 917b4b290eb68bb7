"""The case list's total: exact up to a cap, counted once per change of the records."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.versions import UntilNextChange, version_key
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.cases.services import takes_part_now, visible_to

if TYPE_CHECKING:  # the list's own module imports this one
    from kasane.core.cases.queries import CaseFilters

# The list counts the cases it shows up to this many, then says "1,000 or more": an exact
# total would cost a scan of every case the agency takes part in, on every request.
TOTAL_CAP = 1_000

# Totals by (database, tenant, data version, agency, filters, the day for "monitoring due"): the
# same number as counting again until the tenant's next audited change, so paging through
# a list or coming back to it counts once.
_TOTALS: UntilNextChange[int] = UntilNextChange(512)


async def count_capped(
    session: AsyncSession,
    actor: ActorInfo,
    filters: CaseFilters,
    chosen: list[Any],
    today: date,
    version: int | None = None,
) -> int:
    """How many cases the list holds, counted up to TOTAL_CAP + 1: its cost does not grow
    with the tenant's archive. Unfiltered, the count reads the agency's current
    participations in their partial index (ix_case_agencies_active_agency_case) alone;
    filtered (``chosen``), it walks the cases with the page's own need-to-know test, ~10 ms
    at the cap, hence the count is kept until the next change. ``version``: the data
    version the page's own statement read."""
    asked = replace(filters, page=1, after=None, before=None)
    key = await version_key(
        session, actor.agency_key, asked, today if filters.monitoring_due else None, version=version
    )
    total = _TOTALS.get(key)
    if total is not None:
        return total
    if chosen:
        counted = select(Case.id).where(visible_to(actor), *chosen)
    else:
        counted = select(CaseAgency.case_id).where(takes_part_now(actor)).distinct()
    capped = counted.limit(TOTAL_CAP + 1).subquery()
    total = int((await session.execute(select(func.count()).select_from(capped))).scalar_one())
    _TOTALS.put(key, total)
    return total
