"""Scheduling, membership, agenda (with the consent rule), minutes and decisions.

Who may see a meeting: an agency listed among the meeting type's members (支援会議 papers are
for its members only — 社会福祉法106条の6 binds them to confidentiality). Anyone else gets
the same NotFound as for a missing meeting.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.consent.services import do_disclose, valid_consent
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.japan_time import JST
from kasane.core.meetings.calendar import occurrences
from kasane.core.meetings.models import AgendaItem, Attendance, Meeting
from kasane.core.outreach.models import OutreachRecord
from kasane.core.protection.sealing import seal


class MeetingRuleError(ValueError):
    """A meeting rule refused the change (msgid)."""


def member_types(config: TenantConfig, actor: ActorInfo) -> list[MeetingType]:
    """The meeting types whose members include the actor's agency."""
    return [m for m in config.meeting_types if actor.agency_key in m.members]


def at_jst(day: date, hhmm: str | None) -> datetime:
    hour, minute = (int(x) for x in (hhmm or "14:00").split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=JST).astimezone(UTC)


async def do_generate_meetings(
    session: AsyncSession, config: TenantConfig, start: date, end: date
) -> int:
    """Create the regular meetings of every cadence between two dates (idempotent: an
    occurrence already created — even if moved or cancelled since — is not recreated)."""
    existing = {
        (m, k)
        for m, k in (
            await session.execute(
                select(Meeting.meeting_type_key, Meeting.occurrence_key).where(
                    Meeting.occurrence_key.is_not(None)
                )
            )
        ).all()
    }
    new = [
        Meeting(
            meeting_type_key=mt.key,
            occurrence_key=nominal.isoformat(),
            starts_at=(starts := at_jst(actual, mt.cadence.time)),
            ends_at=starts + timedelta(minutes=mt.cadence.duration_minutes),
        )
        for mt in config.meeting_types
        for nominal, actual in occurrences(mt.cadence, start, end)
        if (mt.key, nominal.isoformat()) not in existing
    ]
    if not new:
        return 0
    try:
        # A savepoint: two first visits of the same month race to create the same
        # occurrences; the loser's insert fails on the unique key and the winner's rows stand.
        async with session.begin_nested():
            session.add_all(new)
            await session.flush()
    except IntegrityError:
        return 0
    await do_audit(session, "system", "meeting.generate", "", count=len(new))
    return len(new)


async def do_create_meeting(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    meeting_type_key: str,
    starts_at: datetime,
    place: str = "",
) -> Meeting:
    """An ad hoc meeting (e.g. a 支援会議 called as needed)."""
    mt = config.meeting_type(meeting_type_key)
    if mt is None or mt not in member_types(config, actor):
        raise MeetingRuleError(N_("Choose a meeting your agency takes part in."))
    meeting = Meeting(
        meeting_type_key=mt.key,
        starts_at=starts_at,
        place=place,
        ends_at=starts_at + timedelta(minutes=mt.cadence.duration_minutes),
        created_by=actor.id,
    )
    session.add(meeting)
    await session.flush()
    await do_audit(session, actor.ref, "meeting.create", f"meeting:{meeting.id}", type=mt.key)
    return meeting


async def access_meeting(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, meeting_id: uuid.UUID
) -> tuple[Meeting, MeetingType]:
    meeting = await session.get(Meeting, (session.info["tenant_id"], meeting_id))
    mt = config.meeting_type(meeting.meeting_type_key) if meeting else None
    if meeting is None or mt is None or actor.agency_key not in mt.members:
        raise NotFound("meeting")
    return meeting, mt


async def list_meetings(
    session: AsyncSession, actor: ActorInfo, config: TenantConfig, *, start: datetime, end: datetime
) -> list[Meeting]:
    keys = [m.key for m in member_types(config, actor)]
    return list(
        (
            await session.execute(
                select(Meeting)
                .where(
                    Meeting.meeting_type_key.in_(keys),
                    Meeting.starts_at >= start,
                    Meeting.starts_at < end,
                )
                .order_by(Meeting.starts_at)
            )
        ).scalars()
    )


async def do_reschedule(
    session: AsyncSession,
    actor: ActorInfo,
    meeting: Meeting,
    starts_at: datetime,
    place: str | None = None,
) -> None:
    if meeting.status != "scheduled":
        raise MeetingRuleError(N_("Only a scheduled meeting can be moved."))
    length = meeting.ends_at - meeting.starts_at
    old = meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
    if place is not None:
        meeting.place = place
    await do_audit(
        session,
        actor.ref,
        "meeting.reschedule",
        f"meeting:{meeting.id}",
        old=old.isoformat(),
        new=starts_at.isoformat(),
    )


async def do_cancel(session: AsyncSession, actor: ActorInfo, meeting: Meeting, reason: str) -> None:
    if meeting.status != "scheduled":
        raise MeetingRuleError(N_("Only a scheduled meeting can be cancelled."))
    if not reason.strip():
        raise MeetingRuleError(N_("Say why the meeting is cancelled."))
    meeting.status, meeting.cancel_reason = "cancelled", reason[:300]
    await do_audit(session, actor.ref, "meeting.cancel", f"meeting:{meeting.id}")


def _basis(mt: MeetingType) -> str:
    return {"consent": "consent", "art106_6": "art106_6"}.get(mt.legal_basis, "other_law")


NO_CASES = N_(
    "This meeting reviews the support system and takes no individual cases or outreach records."
)


async def do_add_case_to_agenda(
    session: AsyncSession,
    actor: ActorInfo,
    meeting: Meeting,
    mt: MeetingType,
    case: Case,
    kind: str,
    *,
    today: date,
    proposed: bool = False,
) -> AgendaItem:
    """Put a case on the agenda — a disclosure to the meeting's members, recorded with its
    legal basis. A consent-based meeting refuses a case without valid consent."""
    await _check_case_may_join(session, meeting, mt, case, today)
    disclosure = await do_disclose(
        session,
        actor,
        case.person_id,
        case_id=case.id,
        today=today,
        meeting_type=mt.key,
        basis=_basis(mt),
        basis_note=mt.legal_basis_note if mt.legal_basis != "consent" else "",
    )
    disclosure.meeting_id = meeting.id  # which meeting's members it was shown to
    count = len(
        (
            await session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id))
        ).all()
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        position=count,
        kind=kind,
        case_id=case.id,
        title=f"No.{case.case_no}",
        basis=_basis(mt),
        proposed=proposed,
    )
    session.add(item)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "agenda.add",
        f"meeting:{meeting.id}",
        case=str(case.id),
        kind=kind,
        basis=item.basis,
    )
    return item


async def _check_case_may_join(
    session: AsyncSession, meeting: Meeting, mt: MeetingType, case: Case, today: date
) -> None:
    """Raise MeetingRuleError unless the case may go on this meeting's agenda now."""
    if meeting.status == "cancelled":
        raise MeetingRuleError(N_("This meeting is cancelled."))
    if not mt.discusses_cases:
        raise MeetingRuleError(NO_CASES)
    on_agenda = (
        await session.execute(
            select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case.id
            )
        )
    ).first()
    if on_agenda:
        raise MeetingRuleError(N_("This case is already on the agenda."))
    if (
        mt.legal_basis == "consent"
        and await valid_consent(session, case.person_id, today, meeting_type=mt.key) is None
    ):
        raise MeetingRuleError(
            N_(
                "This case has no valid consent covering this meeting, so it cannot be put on a "
                "consent-based meeting's agenda. Discuss it at a support meeting (Art. 106-6) or "
                "record the person's consent first."
            )
        )


async def do_add_outreach_to_agenda(
    session: AsyncSession,
    actor: ActorInfo,
    meeting: Meeting,
    mt: MeetingType,
    record: OutreachRecord,
) -> AgendaItem:
    """Unnamed outreach records may only go to a meeting that needs no consent."""
    if not mt.discusses_cases:
        raise MeetingRuleError(NO_CASES)
    if mt.legal_basis == "consent":
        raise MeetingRuleError(
            N_(
                "An outreach record without consent can only be discussed at "
                "a support meeting (Art. 106-6)."
            )
        )
    if meeting.status == "cancelled":
        raise MeetingRuleError(N_("This meeting is cancelled."))
    if (
        await session.execute(
            select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.outreach_id == record.id
            )
        )
    ).first():
        raise MeetingRuleError(N_("This outreach record is already on the agenda."))
    count = len(
        (
            await session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id))
        ).all()
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        position=count,
        kind="outreach",
        outreach_id=record.id,
        title=record.title,
        basis=_basis(mt),
    )
    session.add(item)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "agenda.add",
        f"meeting:{meeting.id}",
        outreach=str(record.id),
        basis=item.basis,
    )
    return item


async def agenda_of(session: AsyncSession, meeting: Meeting) -> list[AgendaItem]:
    return list(
        (
            await session.execute(
                select(AgendaItem)
                .where(AgendaItem.meeting_id == meeting.id)
                .order_by(AgendaItem.position)
            )
        ).scalars()
    )


async def do_record_discussion(
    session: AsyncSession, actor: ActorInfo, item: AgendaItem, text: str, status: str = "discussed"
) -> None:
    item.discussion_sealed = await seal(session, "agenda_items", item.id, "discussion", text)
    if item.status != "decided":  # a note added after the decision does not undo it
        item.status = status
    await do_audit(session, actor.ref, "agenda.discuss", f"agenda_item:{item.id}")


async def do_record_attendance(
    session: AsyncSession,
    actor: ActorInfo,
    meeting: Meeting,
    mt: MeetingType,
    present: dict[str, bool],
) -> None:
    rows = {
        a.agency_key: a
        for a in (
            await session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id))
        ).scalars()
    }
    for agency in mt.members:
        row = rows.get(agency)
        if row is None:
            session.add(
                Attendance(
                    meeting_id=meeting.id, agency_key=agency, present=present.get(agency, False)
                )
            )
        else:
            row.present = present.get(agency, False)
    if meeting.status == "scheduled" and meeting.starts_at <= datetime.now(UTC):
        meeting.status = "held"
    await do_audit(
        session,
        actor.ref,
        "meeting.attendance",
        f"meeting:{meeting.id}",
        present=sorted(k for k, v in present.items() if v),
    )


async def do_record_minutes(
    session: AsyncSession, actor: ActorInfo, meeting: Meeting, text: str
) -> None:
    if meeting.status == "cancelled":
        raise MeetingRuleError(N_("This meeting is cancelled."))
    meeting.minutes_sealed = await seal(session, "meetings", meeting.id, "minutes", text)
    if meeting.starts_at <= datetime.now(UTC):  # minutes drafted ahead do not hold it
        meeting.status = "held"
    await do_audit(session, actor.ref, "meeting.minutes", f"meeting:{meeting.id}")
