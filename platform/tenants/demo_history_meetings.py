"""The demo's past meetings: every regular meeting from last April up to where the demo's
recent meetings begin, held, with the cases that were open on its day. ALL FICTITIOUS.

Reuses :class:`~kasane.tenants.demo_meetings.MeetingSeeder` (its agendas, discussions,
decisions, attendance and minutes); only which cases a past meeting may take changes: those
opened by its day and not yet closed then. Nothing is cancelled and no decision moves a
case, as in the recent meetings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import exists, select

from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.db import Database
from kasane.core.meetings.models import Meeting
from kasane.core.meetings.services import at_jst, do_generate_meetings
from kasane.tenants.demo_meetings import MONTHS_BACK, MeetingSeeder, _add_months
from kasane.tenants.models import Tenant


class PastMeetingSeeder(MeetingSeeder):
    """Holds the regular meetings of an earlier window, with the cases of their day."""

    async def candidates(self, mt: MeetingType) -> list[Case]:
        """Every case a member agency took part in, open or closed since (by case number)."""
        takes_part = exists().where(
            CaseAgency.case_id == Case.id, CaseAgency.agency_key.in_(mt.members)
        )
        return list(
            (await self.s.execute(select(Case).where(takes_part).order_by(Case.case_no))).scalars()
        )

    async def eligible(self, mt: MeetingType, cases: list[Case], day: date) -> list[Case]:
        still_open = [c for c in cases if c.closed_on is None or c.closed_on >= day]
        return await super().eligible(mt, still_open, day)

    async def run_window(self, start: date, end: date) -> str:
        await do_generate_meetings(self.s, self.config, start, end)
        meetings = list(
            (
                await self.s.execute(
                    select(Meeting)
                    .where(
                        Meeting.starts_at >= at_jst(start, "00:00"),
                        Meeting.starts_at < at_jst(end, "00:00"),
                        Meeting.status == "scheduled",
                    )
                    .order_by(Meeting.starts_at)
                )
            ).scalars()
        )
        for mt in self.config.meeting_types:
            actor = self.actor_for(mt)
            if actor is None:
                continue
            cases = await self.candidates(mt)
            if mt.consent_required:
                await self.ensure_consents(mt, cases, actor)
            for meeting in (m for m in meetings if m.meeting_type_key == mt.key):
                meeting.place = meeting.place or self.place
                await self.hold(meeting, mt, actor, cases)
        return str(self.summary)


async def seed_past_meetings(
    db: Database,
    tenant: Tenant,
    config: TenantConfig,
    accounts: Mapping[str, StaffAccount],
    since: date,
) -> str:
    """Hold the regular meetings from ``since`` to where the recent ones start; a summary."""
    async with db.session(tenant.id) as session:
        seeder = PastMeetingSeeder(session, tenant, config, accounts)
        end = _add_months(seeder.today, -MONTHS_BACK) - timedelta(days=1)
        return f"past meetings: {await seeder.run_window(since, end)}"
