"""Outreach records: start unnamed, log contacts, later link a person (and consent)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.db import uuid7
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.outreach.models import CONTACT_KINDS, OutreachContact, OutreachRecord
from kasane.core.protection.sealing import seal


class OutreachRuleError(ValueError):
    """msgid"""


async def do_start_outreach(
    session: AsyncSession,
    actor: ActorInfo,
    *,
    title: str,
    description: str,
    place: str,
    noticed_by: str,
    area_key: str | None,
    today: date,
) -> OutreachRecord:
    row_id = uuid7()
    record = OutreachRecord(
        id=row_id,
        title=title,
        place=place,
        noticed_by=noticed_by,
        area_key=area_key,
        description_sealed=await seal(
            session, "outreach_records", row_id, "description", description
        ),
        agency_key=actor.agency_key or "",
        started_on=today,
        created_by=actor.id,
    )
    session.add(record)
    await do_audit(session, actor.ref, "outreach.start", f"outreach:{row_id}")
    return record


async def access_outreach(
    session: AsyncSession, actor: ActorInfo, outreach_id: uuid.UUID
) -> OutreachRecord:
    """Outreach is followed by one agency; others get NotFound."""
    record = (
        await session.execute(
            select(OutreachRecord).where(
                OutreachRecord.id == outreach_id,
                OutreachRecord.agency_key == (actor.agency_key or ""),
            )
        )
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("outreach")
    return record


async def list_outreach(session: AsyncSession, actor: ActorInfo) -> list[OutreachRecord]:
    return list(
        (
            await session.execute(
                select(OutreachRecord)
                .where(OutreachRecord.agency_key == (actor.agency_key or ""))
                .order_by(OutreachRecord.started_on.desc(), OutreachRecord.created_at.desc())
            )
        ).scalars()
    )


async def do_log_contact(
    session: AsyncSession,
    actor: ActorInfo,
    record: OutreachRecord,
    *,
    kind: str,
    occurred_on: date,
    note: str,
) -> OutreachContact:
    if kind not in CONTACT_KINDS:
        raise OutreachRuleError(N_("Choose the kind of contact."))
    row_id = uuid7()
    contact = OutreachContact(
        id=row_id,
        outreach_id=record.id,
        kind=kind,
        occurred_on=occurred_on,
        created_by=actor.id,
        note_sealed=await seal(session, "outreach_contacts", row_id, "note", note),
    )
    session.add(contact)
    await do_audit(session, actor.ref, "outreach.contact", f"outreach:{record.id}", kind=kind)
    return contact


async def contacts_of(session: AsyncSession, record: OutreachRecord) -> list[OutreachContact]:
    return list(
        (
            await session.execute(
                select(OutreachContact)
                .where(OutreachContact.outreach_id == record.id)
                # same-day contacts: the one logged last comes first
                .order_by(OutreachContact.occurred_on.desc(), OutreachContact.created_at.desc())
            )
        ).scalars()
    )


async def do_link_person(
    session: AsyncSession,
    actor: ActorInfo,
    record: OutreachRecord,
    person_id: uuid.UUID,
    today: date,
) -> None:
    """The person is identified: link them (consent is recorded on the person)."""
    if record.person_id is not None:
        raise OutreachRuleError(N_("This outreach record is already linked to a person."))
    record.person_id, record.linked_on = person_id, today
    await do_audit(
        session, actor.ref, "outreach.link", f"outreach:{record.id}", person=str(person_id)
    )
