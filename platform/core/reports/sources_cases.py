"""Sources of the support flow: consultations, referrals, case progress, meetings.

Each source reads one area's records of the scope's period with a few column-only queries
(no sealed text) in the caller's tenant-bound session, and returns the facts of every
indicator it feeds, by key. Dates are calendar days in Japan: a timestamp (a referral's
sending, a stage move) counts on its JST date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select

from kasane.core.cases.models import (
    Case,
    CaseDecision,
    CollaborationPeriod,
    StageEvent,
    SupportPlan,
)
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.referrals.models import Referral
from kasane.core.reports.dimensions import fields_of
from kasane.core.reports.facts import Fact, Facts, Scope, dims_of, fact, jst_day, raw
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.reports.reads import consultation_rows


def _on(fields: dict[str, str], counter: str, area: str | None) -> dict[str, str | None]:
    """The case-side dimensions of a record: its counter, that counter's field, the area."""
    return {"counter": counter, "field": fields.get(counter, "other"), "area": area}


async def consultations(scope: Scope) -> Facts:
    """相談受付: every consultation, new (the person's first of the fiscal year) or continued.

    To tell new from continued, the fiscal year is read from its April 1 even when the
    period starts later (a month, a quarter)."""
    config, period = scope.config, scope.period
    rows = list(await consultation_rows(scope))  # a copy: sorted here
    rows.sort(key=lambda r: (r.received_on, r.created_at, r.id))
    first_of: set[tuple[Any, int]] = set()
    fields = fields_of(config)
    areas = {c.key: c.area for c in config.counters}
    out: Facts = {k: [] for k in ("total", "new", "continued", "persons")}
    for r in rows:
        seen = (r.person_id, fiscal_year_of(r.received_on))
        new = seen not in first_of
        first_of.add(seen)
        if r.received_on < period.start:
            continue
        # one dims mapping shared by the row's facts (never changed after): a large town has
        # tens of thousands of consultations a year
        on, kind, ref = r.received_on, "new" if new else "continued", ("consultation", r.id)
        dims = dims_of(
            on,
            counter=r.counter_key,
            field=fields.get(r.counter_key, "other"),
            area=r.area_key or areas.get(r.counter_key),
            channel=r.channel,
        )
        out["total"].append(Fact(r.id, on, {**dims, "kind": kind}, 1, ref))
        out[kind].append(Fact(r.id, on, dims, 1, ref))
        out["persons"].append(Fact(r.person_id, on, dims, 1, ref))
    return {f"consultations.{k}": v for k, v in out.items()}


async def referrals(scope: Scope) -> Facts:
    """つなぎ sent in the period and, of those, accepted, declined, acknowledged late."""
    lo, hi = scope.moments
    rows = (
        await scope.session.execute(
            select(
                Referral.id,
                Referral.from_agency_key,
                Referral.to_agency_key,
                Referral.status,
                Referral.sent_at,
                Referral.ack_due_on,
                Referral.acknowledged_at,
            ).where(Referral.sent_at >= lo, Referral.sent_at < hi)
        )
    ).all()
    out: Facts = {k: [] for k in ("sent", "accepted", "declined", "overdue")}
    for r in rows:
        f = fact(
            r.id,
            jst_day(r.sent_at),
            ref=("referral", r.id),
            from_agency=r.from_agency_key,
            to_agency=r.to_agency_key,
        )
        out["sent"].append(f)
        if r.status in ("accepted", "completed"):
            out["accepted"].append(f)
        elif r.status == "declined":
            out["declined"].append(f)
        acknowledged = jst_day(r.acknowledged_at) if r.acknowledged_at else None
        if (acknowledged and acknowledged > r.ack_due_on) or (
            acknowledged is None and r.ack_due_on < scope.today
        ):
            out["overdue"].append(f)
    return {f"referrals.{k}": v for k, v in out.items()}


def _with_case(model: Any, *cols: Any) -> Select[Any]:
    """``model``'s id, case id and ``cols``, with the case's counter and area."""
    return select(raw(model.id), raw(model.case_id), *cols, Case.counter_key, Case.area_key).join(
        Case, (Case.tenant_id == model.tenant_id) & (Case.id == model.case_id)
    )


async def case_progress(scope: Scope) -> Facts:
    """多機関協働 taken in, first plans, support decisions, closures, suspensions, resumptions."""
    fields = fields_of(scope.config)
    spans = await _collaboration_spans(scope)

    def collab(case_id: Any, day: date) -> str:
        under = any(a <= day and (b is None or day <= b) for a, b in spans.get(case_id, []))
        return "yes" if under else "no"

    out: Facts = {
        "taken_in": await _taken_in(scope, fields),
        "plans": await _first_plans(scope, fields, collab),
        "decisions": await _support_decisions(scope),
        **await _closed_suspended_resumed(scope, fields, collab),
    }
    return {f"collaboration.{k}": v for k, v in out.items()}


async def _collaboration_spans(scope: Scope) -> dict[Any, list[tuple[date, date | None]]]:
    """Case id → its 多機関協働 spans that reach into the period (was an event under one?)."""
    period = scope.period
    spans: dict[Any, list[tuple[date, date | None]]] = {}
    for c, started, ended in (
        await scope.session.execute(
            select(
                raw(CollaborationPeriod.case_id),
                CollaborationPeriod.started_on,
                CollaborationPeriod.ended_on,
            ).where(
                CollaborationPeriod.started_on <= period.end,
                or_(
                    CollaborationPeriod.ended_on.is_(None),
                    CollaborationPeriod.ended_on >= period.start,
                ),
            )
        )
    ).all():
        spans.setdefault(c, []).append((started, ended))
    return spans


async def _taken_in(scope: Scope, fields: dict[str, str]) -> list[Fact]:
    """Cases taken into 多機関協働 in the period."""
    rows = await scope.session.execute(
        _with_case(CollaborationPeriod, CollaborationPeriod.started_on).where(
            CollaborationPeriod.started_on.between(scope.period.start, scope.period.end)
        )
    )
    return [
        fact(
            r.id,
            r.started_on,
            _on(fields, r.counter_key, r.area_key),
            ref=("case", r.case_id),
            collaboration="yes",
        )
        for r in rows.all()
    ]


async def _first_plans(
    scope: Scope, fields: dict[str, str], collab: Callable[[Any, date], str]
) -> list[Fact]:
    """First support plans (プラン作成) made in the period."""
    lo, hi = scope.moments
    rows = await scope.session.execute(
        _with_case(SupportPlan, SupportPlan.created_at).where(
            SupportPlan.version == 1, SupportPlan.created_at >= lo, SupportPlan.created_at < hi
        )
    )
    facts = []
    for r in rows.all():
        day = jst_day(r.created_at)
        dims = _on(fields, r.counter_key, r.area_key)
        facts.append(
            fact(r.id, day, dims, ref=("case", r.case_id), collaboration=collab(r.case_id, day))
        )
    return facts


async def _support_decisions(scope: Scope) -> list[Fact]:
    """支援決定 made in the period, with where they were decided."""
    rows = await scope.session.execute(
        select(
            raw(CaseDecision.id),
            raw(CaseDecision.case_id),
            CaseDecision.decided_on,
            CaseDecision.source,
            CaseDecision.meeting_type_key,
        ).where(
            CaseDecision.kind == "support_decision",
            CaseDecision.decided_on.between(scope.period.start, scope.period.end),
        )
    )
    return [
        fact(
            r.id,
            r.decided_on,
            ref=("case", r.case_id),
            decision_source=r.source,
            meeting_type=r.meeting_type_key,
        )
        for r in rows.all()
    ]


async def _closed_suspended_resumed(
    scope: Scope, fields: dict[str, str], collab: Callable[[Any, date], str]
) -> Facts:
    """終結, 中断 and 再開 in the period, from the cases' stage moves."""
    lo, hi = scope.moments
    rows = await scope.session.execute(
        _with_case(StageEvent, StageEvent.at, StageEvent.from_stage, StageEvent.to_stage).where(
            StageEvent.at >= lo,
            StageEvent.at < hi,
            or_(
                StageEvent.to_stage.in_(("closed", "suspended")),
                and_(StageEvent.from_stage == "suspended", StageEvent.to_stage != "closed"),
            ),
        )
    )
    out: Facts = {"closed": [], "suspended": [], "resumed": []}
    for r in rows.all():
        day = jst_day(r.at)
        key = "resumed" if r.from_stage == "suspended" and r.to_stage != "closed" else r.to_stage
        dims = _on(fields, r.counter_key, r.area_key)
        out[key].append(
            fact(r.id, day, dims, ref=("case", r.case_id), collaboration=collab(r.case_id, day))
        )
    return out


async def meetings(scope: Scope) -> Facts:
    """Meetings held in the period and the cases (and outreach records) on their agendas."""
    lo, hi = scope.moments
    held = (
        await scope.session.execute(
            select(Meeting.id, Meeting.meeting_type_key, Meeting.starts_at).where(
                Meeting.status == "held", Meeting.starts_at >= lo, Meeting.starts_at < hi
            )
        )
    ).all()
    out: Facts = {k: [] for k in ("held", "items", "cases")}
    by_meeting = {}
    for m in held:
        mt = scope.config.meeting_type(m.meeting_type_key)
        dims = {"meeting_type": m.meeting_type_key, "legal_basis": mt.legal_basis if mt else ""}
        by_meeting[m.id] = (jst_day(m.starts_at), dims)
        out["held"].append(fact(m.id, by_meeting[m.id][0], dims, ref=("meeting", m.id)))
    if by_meeting:
        items = (
            await scope.session.execute(
                select(
                    AgendaItem.id, AgendaItem.meeting_id, AgendaItem.case_id, AgendaItem.outreach_id
                ).where(
                    AgendaItem.meeting_id.in_(by_meeting),
                    or_(AgendaItem.case_id.is_not(None), AgendaItem.outreach_id.is_not(None)),
                )
            )
        ).all()
        for item in items:
            day, dims = by_meeting[item.meeting_id]
            ref = ("meeting", item.meeting_id)
            out["items"].append(fact(item.id, day, dims, ref=ref))
            subject = ("case", item.case_id) if item.case_id else ("outreach", item.outreach_id)
            out["cases"].append(fact(subject, day, dims, ref=ref))
    return {f"meetings.{k}": v for k, v in out.items()}
