"""Consent ledger and disclosures: sharing needs a legal basis, and it is recorded."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.consent.models import CONSENT_METHODS, Consent, Disclosure
from kasane.core.errors import NotFound
from kasane.core.i18n import N_

CONSENT_TEXT_VERSION = "kasane-consent-2026.1"


class SharingRefused(ValueError):
    """No valid legal basis to share with that agency or meeting (message is a msgid)."""


async def consents_of(session: AsyncSession, person_id: uuid.UUID) -> list[Consent]:
    return list(
        (
            await session.execute(
                select(Consent)
                .where(Consent.person_id == person_id)
                .order_by(Consent.obtained_on.desc())
            )
        ).scalars()
    )


async def valid_consent(
    session: AsyncSession,
    person_id: uuid.UUID,
    day: date,
    *,
    agency: str | None = None,
    meeting_type: str | None = None,
) -> Consent | None:
    """The consent that covers sharing with ``agency`` / ``meeting_type`` today, if any."""
    for consent in await consents_of(session, person_id):
        if not consent.valid_on(day):
            continue
        if agency and not consent.covers_agency(agency):
            continue
        if meeting_type and not consent.covers_meeting(meeting_type):
            continue
        return consent
    return None


async def do_record_consent(
    session: AsyncSession,
    actor: ActorInfo,
    person_id: uuid.UUID,
    *,
    agencies: list[str],
    meeting_types: list[str],
    purposes: list[str],
    obtained_on: date,
    method: str,
    expires_on: date | None = None,
) -> Consent:
    if method not in CONSENT_METHODS:
        raise ValueError(method)
    consent = Consent(
        person_id=person_id,
        agencies=agencies,
        meeting_types=meeting_types,
        purposes=purposes,
        text_version=CONSENT_TEXT_VERSION,
        obtained_on=obtained_on,
        method=method,
        obtained_by=actor.id,
        expires_on=expires_on,
    )
    session.add(consent)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "consent.record",
        f"consent:{consent.id}",
        person=str(person_id),
        agencies=agencies,
        meeting_types=meeting_types,
    )
    return consent


async def do_withdraw_consent(
    session: AsyncSession, actor: ActorInfo, consent_id: uuid.UUID, on: date, note: str = ""
) -> Consent:
    consent = await session.get(Consent, (session.info["tenant_id"], consent_id))
    if consent is None:
        raise NotFound("consent")
    consent.withdrawn_on, consent.withdrawn_by, consent.withdrawal_note = on, actor.id, note
    await do_audit(
        session,
        actor.ref,
        "consent.withdraw",
        f"consent:{consent.id}",
        person=str(consent.person_id),
    )
    return consent


async def do_disclose(
    session: AsyncSession,
    actor: ActorInfo,
    person_id: uuid.UUID,
    *,
    case_id: uuid.UUID | None,
    today: date,
    agency: str | None = None,
    meeting_type: str | None = None,
    basis: str | None = None,
    basis_note: str = "",
) -> Disclosure:
    """Record a sharing and its legal basis; refuse one with no basis.

    ``basis`` None means "by consent": a valid consent covering the agency or meeting must
    exist. ``art106_6`` (支援会議) and ``other_law`` (named in ``basis_note``) need no consent.
    """
    consent = None
    if basis in (None, "consent"):
        consent = await valid_consent(
            session, person_id, today, agency=agency, meeting_type=meeting_type
        )
        if consent is None:
            raise SharingRefused(
                N_(
                    "There is no valid consent covering this sharing. Record the person's consent "
                    "first, or name the law that allows it."
                )
            )
        basis = "consent"
    elif basis == "other_law" and not basis_note.strip():
        raise SharingRefused(N_("Name the law that allows sharing without consent."))
    elif basis not in ("art106_6", "other_law"):
        raise ValueError(basis)
    disclosure = Disclosure(
        person_id=person_id,
        case_id=case_id,
        to_agency_key=agency,
        to_meeting_type=meeting_type,
        basis=basis,
        basis_note=basis_note,
        consent_id=consent.id if consent else None,
        by=actor.id,
    )
    session.add(disclosure)
    await session.flush()
    await do_audit(
        session,
        actor.ref,
        "disclosure.record",
        f"disclosure:{disclosure.id}",
        basis=basis,
        agency=agency,
        meeting_type=meeting_type,
    )
    return disclosure
