"""What the referral pages are made of: their form fields, which cases a person may be referred
from, the referral page's context (an audited read), and the case a referral's accept joins.

``referable_cases`` is the access rule for sending: an agency refers a person onward only
when it takes part in a case of theirs or received a referral for them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import (
    active_agencies,
    do_add_agency,
    visible_to,
)
from kasane.core.config_types import Choice, FormField, TenantConfig, Validation
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.people.models import HouseholdMember, Person
from kasane.core.people.services import get_person
from kasane.core.protection.sealing import unseal
from kasane.core.referrals.models import STATUSES, Referral
from kasane.core.referrals.services import (
    NEXT,
    answer_texts,
)

DECLINE_REASON = FormField(
    name="reason",
    label=N_("Reason for declining"),
    type="textarea",
    required=True,
    validation=Validation(max_length=300),
    help=N_("The sending agency reads this to find another way for the person."),
)
OUTCOME = FormField(
    name="outcome",
    label=N_("Outcome"),
    type="textarea",
    required=True,
    validation=Validation(max_length=300),
    help=N_("What came of the referral, in a few words."),
)
SEND_REASON = FormField(
    name="reason",
    label=N_("Reason for the referral"),
    type="textarea",
    required=True,
    validation=Validation(max_length=2000),
    help=N_("What the receiving agency needs to know. It is stored encrypted."),
)


def is_overdue(referral: Referral, today: date) -> bool:
    """Sent, not yet acknowledged, and past its acknowledgement due day."""
    return referral.status == "sent" and referral.ack_due_on < today


async def person_names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(set(ids))))
    return {pid: name for pid, name in rows.all()}


async def referable_cases(
    session: AsyncSession, actor: ActorInfo, person_id: uuid.UUID
) -> tuple[Person, list[Case]]:
    """The person and the cases of theirs the actor's agency takes part in.

    An agency may refer a person onward when it takes part in a case of theirs (as the case's
    person or a household member) or received a referral for them; otherwise NotFound.
    """
    in_household = select(HouseholdMember.household_id).where(
        HouseholdMember.person_id == person_id
    )
    cases = list(
        (
            await session.execute(
                select(Case)
                .where(
                    visible_to(actor),
                    or_(Case.person_id == person_id, Case.household_id.in_(in_household)),
                )
                .order_by(Case.case_no)
            )
        ).scalars()
    )
    if not cases:
        received = (
            await session.execute(
                select(Referral.id)
                .where(
                    Referral.person_id == person_id,
                    Referral.to_agency_key == (actor.agency_key or ""),
                )
                .limit(1)
            )
        ).first()
        if received is None:
            raise NotFound("person")
    return await get_person(session, person_id), cases


async def accept_into_case(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    referral: Referral,
    today: date,
) -> None:
    """After an accept: the receiving agency joins the referral's case (a disclosure).

    Raises CaseRuleError (the sharing message) when no consent covers that agency.
    """
    if referral.case_id is None:
        return
    case = (
        await session.execute(select(Case).where(Case.id == referral.case_id))
    ).scalar_one_or_none()
    if case is None or case.stage == "closed":  # nothing left to join
        return
    if referral.to_agency_key in {a.agency_key for a in await active_agencies(session, case.id)}:
        return
    await do_add_agency(session, actor, config, case, referral.to_agency_key, today)


async def detail_context(
    session: AsyncSession, actor: ActorInfo, referral: Referral, **extra: Any
) -> dict[str, Any]:
    """Everything the referral page and its next-step panel show (an audited read)."""
    person = await get_person(session, referral.person_id)
    reason = await unseal(session, "referrals", referral.id, "reason", referral.reason_sealed)
    do_audit_read(
        session,
        actor.ref,
        "referral.read",
        f"referral:{referral.id}",
        person=str(referral.person_id),
    )
    receiving = actor.agency_key == referral.to_agency_key
    case = None
    case_visible = False
    if referral.case_id is not None:
        case = (
            await session.execute(select(Case).where(Case.id == referral.case_id))
        ).scalar_one_or_none()
        visible = select(Case.id).where(Case.id == referral.case_id, visible_to(actor))
        case_visible = (await session.execute(visible)).first() is not None
    try:
        await referable_cases(session, actor, referral.person_id)
        may_refer = True
    except NotFound:
        may_refer = False
    today = today_jst()
    return {
        "referral": referral,
        "person": person,
        "reason": reason,
        "answer": await answer_texts(session, referral),
        "receiving": receiving,
        "steps": [s for s in NEXT[referral.status] if receiving or s == "completed"],
        "statuses": STATUSES,
        "overdue": is_overdue(referral, today),
        "today": today,
        "case": case,
        "case_visible": case_visible,
        "may_refer": may_refer,
        "fields": {"reason": DECLINE_REASON, "outcome": OUTCOME},
        "errors": {},
        "values": {},
        "notice": "",
        "step": "",
        **extra,
    }


def send_fields(config: TenantConfig, actor: ActorInfo, cases: list[Case]) -> list[FormField]:
    agencies = [Choice(a.key, a.name) for a in config.agencies if a.key != actor.agency_key]
    case_choices = [Choice(str(c.id), _("Case No. %(no)s", no=c.case_no)) for c in cases]
    return [
        FormField(
            name="to_agency",
            label=N_("Agency the person is referred to"),
            type="select",
            required=True,
            choices=agencies,
        ),
        FormField(
            name="case_id",
            label=N_("Case"),
            type="select",
            choices=case_choices,
            help=N_("When the receiving agency accepts, it joins this case (consent needed)."),
        ),
        SEND_REASON,
    ]
