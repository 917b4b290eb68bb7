"""Drilling a figure down to the records behind it — within the viewer's need-to-know.

A figure is the town's total for everyone who may read reports; the records behind it are
not. Each record is shown only when the actor could open it anyway: a case its agency takes
part in, a referral it sent or received, a meeting it sits on, an outreach record it
follows; a consultation at its own counter (or any, for the municipal section that keeps
every person's record). The rest are counted, never named: "N more are outside your
agency's need-to-know".
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import visible_to
from kasane.core.community.models import CommunityPlace
from kasane.core.config_types import TenantConfig
from kasane.core.gaps.models import ResourceGap
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.intake.models import Consultation
from kasane.core.meetings.models import Meeting
from kasane.core.outreach.models import OutreachRecord
from kasane.core.people.access import is_record_keeper
from kasane.core.referrals.models import STATUSES, Referral
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.counting import SOURCES
from kasane.core.reports.dimensions import STATIC_VALUES
from kasane.core.reports.facts import Scope, as_uuid, jst_day
from kasane.core.reports.periods import Period

LIMIT = 200  # rows listed; the rest are counted


@dataclass(frozen=True)
class DrillRow:
    on: date
    what: str
    where: str
    href: str | None


@dataclass
class Drill:
    """The records behind one figure (or one cell of its breakdown)."""

    records: int = 0  # records behind the number (a person seen twice: two consultations)
    rows: list[DrillRow] = field(default_factory=list)
    hidden: int = 0  # outside the actor's need-to-know
    more: int = 0  # visible but beyond the listing limit


Resolved = dict[uuid.UUID, DrillRow | None]  # None: the actor may not see it
Resolver = Callable[
    [AsyncSession, ActorInfo, TenantConfig, dict[uuid.UUID, date]], Awaitable[Resolved]
]


def _case_no(no: int | None) -> str:
    return _(N_("Case No. %(no)s"), no=no) if no else _(N_("Consultation"))


async def _consultations(s, actor, config, ids):  # type: ignore[no-untyped-def]
    keeper = is_record_keeper(actor)
    rows = await s.execute(
        select(
            Consultation.id,
            Consultation.counter_key,
            Consultation.person_id,
            Case.id.label("case_id"),
            Case.case_no,
            visible_to(actor).label("case_visible"),
        )
        .outerjoin(
            Case, (Case.tenant_id == Consultation.tenant_id) & (Case.id == Consultation.case_id)
        )
        .where(Consultation.id.in_(ids))
    )
    out: Resolved = {}
    for r in rows.all():
        counter = config.counter(r.counter_key)
        own = counter is not None and counter.agency == actor.agency_key
        if not (keeper or own or r.case_visible):
            out[r.id] = None
            continue
        href = (
            f"/cases/{r.case_id}"
            if r.case_visible
            else f"/people/{r.person_id}"
            if keeper
            else None
        )
        where = _(counter.name) if counter else r.counter_key
        out[r.id] = DrillRow(
            ids[r.id], _case_no(r.case_no if r.case_visible else None), where, href
        )
    return out


async def _cases(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(
        select(Case.id, Case.case_no, Case.counter_key, visible_to(actor).label("visible")).where(
            Case.id.in_(ids)
        )
    )
    out: Resolved = {}
    for r in rows.all():
        counter = config.counter(r.counter_key)
        where = _(counter.name) if counter else r.counter_key
        out[r.id] = (
            DrillRow(ids[r.id], _case_no(r.case_no), where, f"/cases/{r.id}") if r.visible else None
        )
    return out


async def _referrals(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(select(Referral).where(Referral.id.in_(ids)))
    out: Resolved = {}
    for r in rows.scalars():
        if actor.agency_key not in (r.from_agency_key, r.to_agency_key):
            out[r.id] = None
            continue
        where = (
            f"{_(config.agency_name(r.from_agency_key))} → {_(config.agency_name(r.to_agency_key))}"
        )
        out[r.id] = DrillRow(
            jst_day(r.sent_at), _(STATUSES.get(r.status, r.status)), where, f"/referrals/{r.id}"
        )
    return out


async def _meetings(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(select(Meeting.id, Meeting.meeting_type_key).where(Meeting.id.in_(ids)))
    out: Resolved = {}
    for r in rows.all():
        mt = config.meeting_type(r.meeting_type_key)
        if mt is None or actor.agency_key not in mt.members:
            out[r.id] = None
            continue
        basis = _(STATIC_VALUES["legal_basis"].get(mt.legal_basis, ""))
        out[r.id] = DrillRow(ids[r.id], _(mt.name), basis, f"/meetings/{r.id}")
    return out


async def _outreach(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(
        select(OutreachRecord.id, OutreachRecord.title, OutreachRecord.agency_key).where(
            OutreachRecord.id.in_(ids)
        )
    )
    out: Resolved = {}
    for r in rows.all():
        mine = r.agency_key == (actor.agency_key or "")
        where = _(config.agency_name(r.agency_key))
        out[r.id] = DrillRow(ids[r.id], r.title, where, f"/outreach/{r.id}") if mine else None
    return out


async def _places(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(
        select(CommunityPlace.id, CommunityPlace.name, CommunityPlace.area_key).where(
            CommunityPlace.id.in_(ids)
        )
    )
    may = actor.can("community:activities:read")
    out: Resolved = {}
    for r in rows.all():
        area = config.area(r.area_key) if r.area_key else None
        where = _(area.name) if area else _("Whole town")
        out[r.id] = DrillRow(ids[r.id], r.name, where, "/community") if may else None
    return out


async def _gaps(s, actor, config, ids):  # type: ignore[no-untyped-def]
    rows = await s.execute(
        select(ResourceGap.id, ResourceGap.category, ResourceGap.area_key).where(
            ResourceGap.id.in_(ids)
        )
    )
    may = actor.can("gaps:list:read")
    labels = STATIC_VALUES["gap_category"]
    out: Resolved = {}
    for r in rows.all():
        area = config.area(r.area_key) if r.area_key else None
        what = _(labels.get(r.category, r.category))
        where = _(area.name) if area else _("Whole town")
        out[r.id] = DrillRow(ids[r.id], what, where, "/gaps") if may else None
    return out


RESOLVERS: dict[str, Resolver] = {
    "consultation": _consultations,
    "case": _cases,
    "referral": _referrals,
    "meeting": _meetings,
    "outreach": _outreach,
    "place": _places,
    "gap": _gaps,
}


async def get_drill(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    key: str,
    period: Period,
    *,
    dimension: str = "",
    value: str = "",
    today: date,
) -> Drill:
    """The records behind a core figure (or one value of one breakdown), as ``actor`` may
    see them, newest first.

    Raises:
        KeyError: not a core indicator (local indicators count the plugin's units).
    """
    indicator = CATALOGUE[key]
    facts = (await SOURCES[indicator.section](Scope(session, config, period, today)))[key]
    if dimension:
        facts = [f for f in facts if f.dims.get(dimension, "") == value]
    by_kind: dict[str, dict[uuid.UUID, date]] = {}
    for f in sorted(facts, key=lambda f: f.on):
        if f.ref is not None:
            by_kind.setdefault(f.ref[0], {}).setdefault(as_uuid(f.ref[1]), f.on)
    drill = Drill(records=sum(len(ids) for ids in by_kind.values()))
    found: list[DrillRow] = []
    for kind, ids in by_kind.items():
        resolved = await RESOLVERS[kind](session, actor, config, ids)
        found += [row for row in resolved.values() if row is not None]
        drill.hidden += sum(1 for row in resolved.values() if row is None)
    found.sort(key=lambda r: r.on, reverse=True)
    drill.rows, drill.more = found[:LIMIT], max(0, len(found) - LIMIT)
    return drill
