"""Decisions on a case: recorded at a meeting (dated on its day) or as an exception with its
reason, and applied through the state machine (支援決定, 終結, 中断).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, CaseDecision
from kasane.core.cases.services import CaseRuleError, do_move
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import N_
from kasane.core.japan_time import JST


async def meeting_held_on(
    session: AsyncSession, meeting_type_key: str, day: date
) -> uuid.UUID | None:
    """The meeting of ``meeting_type_key`` on ``day`` (JST) that was not cancelled, if any:
    a decision "taken at a meeting" is dated on that meeting's day (issue 12)."""
    from kasane.core.meetings.models import Meeting  # meetings import cases, not the reverse

    start = datetime.combine(day, time(0, 0), tzinfo=JST)
    return (
        await session.execute(
            select(Meeting.id)
            .where(
                Meeting.meeting_type_key == meeting_type_key,
                Meeting.starts_at >= start,
                Meeting.starts_at < start + timedelta(days=1),
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def last_meeting_day(
    session: AsyncSession, meeting_type_key: str, today: date
) -> date | None:
    """The JST day of the latest meeting of ``meeting_type_key`` held on or before ``today``
    (not cancelled): the date a decision form proposes for that meeting's decision."""
    from kasane.core.meetings.models import Meeting

    end = datetime.combine(today + timedelta(days=1), time(0, 0), tzinfo=JST)
    starts = (
        await session.execute(
            select(Meeting.starts_at)
            .where(
                Meeting.meeting_type_key == meeting_type_key,
                Meeting.starts_at < end,
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return starts.astimezone(JST).date() if starts else None


DECISION_MOVES = {"support_decision": "decision", "closure": "closed", "suspension": "suspended"}


async def do_record_decision(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    *,
    kind: str,
    source: str,
    decided_on: date,
    meeting_type_key: str | None = None,
    meeting_id: uuid.UUID | None = None,
    note: str = "",
    apply: bool = True,
) -> CaseDecision:
    """Record a decision (at a meeting, or an exception with its reason); by default apply
    it through the state machine (支援決定 → decision stage, 終結, 中断)."""
    if source == "meeting":
        meeting = config.meeting_type(meeting_type_key or "")
        if meeting is None:
            raise CaseRuleError(N_("Choose the meeting that took the decision."))
        if kind not in meeting.decisions:
            raise CaseRuleError(N_("This meeting may not take that decision."))
    elif source == "exception":
        if not note.strip():
            raise CaseRuleError(N_("An exception needs its reason recorded."))
    else:
        raise CaseRuleError(N_("Say whether a meeting decided or an exception applies."))
    if kind == "closure" and not note.strip():
        raise CaseRuleError(N_("Say why the case is closed."))
    decision = CaseDecision(
        case_id=case.id,
        kind=kind,
        source=source,
        meeting_type_key=meeting_type_key if source == "meeting" else None,
        meeting_id=meeting_id,
        decided_on=decided_on,
        note=note,
        recorded_by=actor.id,
    )
    session.add(decision)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "case.decision",
        f"case:{case.id}",
        kind=kind,
        source=source,
        meeting_type=meeting_type_key,
    )
    target = DECISION_MOVES.get(kind)
    if apply and target and case.stage != target:
        await do_move(session, actor, case, target, today=decided_on, note=note or kind)
    return decision
