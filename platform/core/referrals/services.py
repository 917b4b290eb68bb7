"""The referral loop and the receiving agency's inbox. Every step is audited."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.db import utcnow, uuid7
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.protection.sealing import seal, unseal
from kasane.core.referrals.models import ACK_DAYS, Referral


class ReferralRuleError(ValueError):
    """The step is not possible in the referral's state (msgid)."""


async def do_send_referral(
    session: AsyncSession,
    actor: ActorInfo,
    *,
    person_id: uuid.UUID,
    case_id: uuid.UUID | None,
    consultation_id: uuid.UUID | None,
    from_agency: str,
    to_agency: str,
    reason: str,
    today: date,
) -> Referral:
    if from_agency == to_agency:
        raise ReferralRuleError(N_("A referral goes to another agency."))
    row_id = uuid7()
    referral = Referral(
        id=row_id,
        person_id=person_id,
        case_id=case_id,
        consultation_id=consultation_id,
        from_agency_key=from_agency,
        to_agency_key=to_agency,
        reason_sealed=await seal(session, "referrals", row_id, "reason", reason),
        ack_due_on=today + timedelta(days=ACK_DAYS),
        sent_by=actor.id,
    )
    session.add(referral)
    await do_audit(session, actor.ref, "referral.send", f"referral:{row_id}", to=to_agency)
    return referral


async def access_referral(
    session: AsyncSession, actor: ActorInfo, referral_id: uuid.UUID
) -> Referral:
    """A referral its sending or receiving agency may see; else NotFound."""
    referral = (
        await session.execute(select(Referral).where(Referral.id == referral_id))
    ).scalar_one_or_none()
    if referral is None or actor.agency_key not in (
        referral.to_agency_key,
        referral.from_agency_key,
    ):
        raise NotFound("referral")
    return referral


NEXT: dict[str, tuple[str, ...]] = {
    "sent": ("acknowledged",),
    "acknowledged": ("accepted", "declined"),
    "accepted": ("completed",),
    "declined": (),
    "completed": (),
}


async def do_answer_referral(
    session: AsyncSession,
    actor: ActorInfo,
    referral: Referral,
    *,
    step: str,
    reason: str = "",
    outcome: str = "",
    today: date,
) -> None:
    """Acknowledge, accept, decline (with a reason) or record the outcome."""
    receiving = actor.agency_key == referral.to_agency_key
    if step not in NEXT[referral.status]:
        raise ReferralRuleError(N_("This referral cannot take that step now."))
    if step in ("acknowledged", "accepted", "declined") and not receiving:
        raise ReferralRuleError(N_("Only the receiving agency can answer a referral."))
    if step == "declined" and not reason.strip():
        raise ReferralRuleError(N_("Say why the referral is declined."))
    if step == "completed" and not outcome.strip():
        raise ReferralRuleError(N_("Describe the outcome."))
    now = utcnow()
    referral.status = step
    if step == "acknowledged":
        referral.acknowledged_at = now
    elif step in ("accepted", "declined"):
        referral.responded_at = now
        why = reason if step == "declined" else ""
        referral.decline_reason_sealed = await seal(
            session, "referrals", referral.id, "decline_reason", why
        )
    else:
        referral.outcome_sealed = await seal(session, "referrals", referral.id, "outcome", outcome)
        referral.outcome_on = today
    await do_audit(session, actor.ref, f"referral.{step}", f"referral:{referral.id}")


async def answer_texts(session: AsyncSession, referral: Referral) -> dict[str, str]:
    """The answer's free text, opened: ``decline_reason`` and ``outcome``."""
    return {
        "decline_reason": await unseal(
            session, "referrals", referral.id, "decline_reason", referral.decline_reason_sealed
        ),
        "outcome": await unseal(
            session, "referrals", referral.id, "outcome", referral.outcome_sealed
        ),
    }


async def inbox(session: AsyncSession, actor: ActorInfo) -> list[Referral]:
    """Referrals to the actor's agency that are not finished, oldest due first."""
    return list(
        (
            await session.execute(
                select(Referral)
                .where(
                    Referral.to_agency_key == (actor.agency_key or ""),
                    Referral.status.in_(("sent", "acknowledged", "accepted")),
                )
                .order_by(Referral.ack_due_on)
            )
        ).scalars()
    )


async def sent_by_agency(session: AsyncSession, actor: ActorInfo) -> list[Referral]:
    return list(
        (
            await session.execute(
                select(Referral)
                .where(Referral.from_agency_key == (actor.agency_key or ""))
                .order_by(Referral.sent_at.desc())
                .limit(100)
            )
        ).scalars()
    )
