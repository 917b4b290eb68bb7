"""Sources of the supports around the cases: outreach, participation, community, gaps.

As in :mod:`.sources_cases`: column reads of the scope's period, facts by indicator key.
Something under way over time (an outreach record, a match) gives one fact per month it
went on (:func:`~kasane.core.reports.facts.span_facts`).
"""

from __future__ import annotations

from sqlalchemy import or_, select

from kasane.core.community.models import AGE_BANDS, CommunityActivity, CommunityPlace
from kasane.core.gaps.models import ResourceGap
from kasane.core.outreach.models import OutreachContact, OutreachRecord
from kasane.core.participation.models import ParticipationMatch
from kasane.core.reports.facts import Facts, Scope, add_months, fact, span_facts


async def outreach(scope: Scope) -> Facts:
    """アウトリーチ: people it went on for, contacts, records that reached the person."""
    s, period = scope.session, scope.period
    records = (
        await s.execute(
            select(
                OutreachRecord.id,
                OutreachRecord.person_id,
                OutreachRecord.agency_key,
                OutreachRecord.area_key,
                OutreachRecord.started_on,
                OutreachRecord.closed_on,
                OutreachRecord.linked_on,
            ).where(
                OutreachRecord.started_on <= period.end,
                or_(OutreachRecord.closed_on.is_(None), OutreachRecord.closed_on >= period.start),
            )
        )
    ).all()
    contacts = (
        await s.execute(
            select(
                OutreachContact.id,
                OutreachContact.outreach_id,
                OutreachContact.occurred_on,
                OutreachContact.kind,
                OutreachRecord.agency_key,
                OutreachRecord.area_key,
            )
            .join(
                OutreachRecord,
                (OutreachRecord.tenant_id == OutreachContact.tenant_id)
                & (OutreachRecord.id == OutreachContact.outreach_id),
            )
            .where(OutreachContact.occurred_on.between(period.start, period.end))
        )
    ).all()
    out: Facts = {"persons": [], "contacts": [], "linked": []}
    for r in records:
        who = ("person", r.person_id) if r.person_id else ("record", r.id)
        dims = {"agency": r.agency_key, "area": r.area_key}
        ref = ("outreach", r.id)
        out["persons"] += span_facts(
            who, r.started_on, r.closed_on, period, scope.today, ref=ref, **dims
        )
        if r.linked_on and r.linked_on in period:
            out["linked"].append(fact(r.id, r.linked_on, dims, ref=ref))
    for c in contacts:
        out["contacts"].append(
            fact(
                c.id,
                c.occurred_on,
                ref=("outreach", c.outreach_id),
                contact_kind=c.kind,
                agency=c.agency_key,
                area=c.area_key,
            )
        )
    return {f"outreach.{k}": v for k, v in out.items()}


async def participation(scope: Scope) -> Facts:
    """参加支援: people under way, matches started, kept for three months, host organisations."""
    period, today = scope.period, scope.today
    rows = (
        await scope.session.execute(
            select(
                ParticipationMatch.id,
                ParticipationMatch.case_id,
                ParticipationMatch.person_id,
                ParticipationMatch.category,
                ParticipationMatch.menu_key,
                ParticipationMatch.service_id,
                ParticipationMatch.host_organization_id,
                ParticipationMatch.proposed_on,
                ParticipationMatch.started_on,
                ParticipationMatch.ended_on,
            ).where(
                ParticipationMatch.proposed_on <= period.end,
                or_(
                    ParticipationMatch.ended_on.is_(None),
                    ParticipationMatch.ended_on >= period.start,
                ),
            )
        )
    ).all()
    out: Facts = {"persons": [], "started": [], "retained": [], "hosts": []}
    for m in rows:
        cat = {"category": m.category}
        ref = ("case", m.case_id)
        out["persons"] += span_facts(
            m.person_id, m.proposed_on, m.ended_on, period, today, ref=ref, **cat
        )
        if m.started_on is None:
            continue
        if m.started_on in period:
            out["started"].append(fact(m.id, m.started_on, cat, ref=ref))
        reached = add_months(m.started_on, 3)
        if reached in period and reached <= today and (m.ended_on is None or m.ended_on >= reached):
            out["retained"].append(fact(m.id, reached, cat, ref=ref))
        host = (
            ("organization", m.host_organization_id)
            if m.host_organization_id
            else ("service", m.service_id)
            if m.service_id
            else ("menu", m.menu_key)
        )
        out["hosts"] += span_facts(host, m.started_on, m.ended_on, period, today, ref=ref, **cat)
    return {f"participation.{k}": v for k, v in out.items()}


async def community(scope: Scope) -> Facts:
    """地域づくり: places active, participants by age band (a sum), agencies taking part."""
    period = scope.period
    rows = (
        await scope.session.execute(
            select(CommunityActivity, CommunityPlace.area_key, CommunityPlace.kind)
            .join(
                CommunityPlace,
                (CommunityPlace.tenant_id == CommunityActivity.tenant_id)
                & (CommunityPlace.id == CommunityActivity.place_id),
            )
            .where(CommunityActivity.held_on.between(period.start, period.end))
        )
    ).all()
    out: Facts = {"places": [], "participants": [], "agencies": []}
    for activity, area, kind in rows:
        on = activity.held_on
        ref = ("place", activity.place_id)
        out["places"].append(fact(activity.place_id, on, ref=ref, area=area, place_kind=kind))
        for band in AGE_BANDS:
            n = getattr(activity, band)
            if n:
                out["participants"].append(
                    fact(
                        activity.id,
                        on,
                        weight=n,
                        ref=ref,
                        age_band=band,
                        area=area,
                        place_kind=kind,
                    )
                )
        for agency in activity.agencies or []:
            out["agencies"].append(fact(agency, on, ref=ref, area=area))
    return {f"community.{k}": v for k, v in out.items()}


async def gaps(scope: Scope) -> Facts:
    """社会資源の不足 recorded and resolved in the period."""
    period = scope.period
    rows = (
        await scope.session.execute(
            select(
                ResourceGap.id,
                ResourceGap.category,
                ResourceGap.source,
                ResourceGap.area_key,
                ResourceGap.recorded_on,
                ResourceGap.resolved_on,
            ).where(
                or_(
                    ResourceGap.recorded_on.between(period.start, period.end),
                    ResourceGap.resolved_on.between(period.start, period.end),
                )
            )
        )
    ).all()
    out: Facts = {"found": [], "resolved": []}
    for g in rows:
        if g.recorded_on in period:
            out["found"].append(
                fact(
                    g.id,
                    g.recorded_on,
                    ref=("gap", g.id),
                    gap_category=g.category,
                    gap_source=g.source,
                    area=g.area_key,
                )
            )
        if g.resolved_on and g.resolved_on in period:
            out["resolved"].append(
                fact(
                    g.id, g.resolved_on, ref=("gap", g.id), gap_category=g.category, area=g.area_key
                )
            )
    return {f"gaps.{k}": v for k, v in out.items()}
