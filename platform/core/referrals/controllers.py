"""Staff pages for referrals (つなぎ): the inbox, one referral and its next step, sending.

The loop is sent → acknowledged → accepted | declined (with a reason) → outcome. Only the
sending and the receiving agency see a referral (``access_referral``); anyone else gets the
404 of a missing id. Accepting a referral made within a case brings the receiving agency
into that case, which is a disclosure: without a legal basis (consent) the accept is
refused with the sharing message and the referral stays acknowledged.

Each sub-path that takes a POST also answers GET (the same page, or the panel for htmx), so
the isolation matrix can send it another tenant's id.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit, do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case
from kasane.core.cases.services import (
    CaseRuleError,
    active_agencies,
    do_add_agency,
    visible_to,
)
from kasane.core.config_types import Choice, FormField, TenantConfig, Validation
from kasane.core.errors import NotFound
from kasane.core.forms.validation import field_problem
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.people.models import HouseholdMember, Person
from kasane.core.people.services import get_person
from kasane.core.protection.sealing import unseal
from kasane.core.referrals.models import STATUSES, Referral
from kasane.core.referrals.services import (
    NEXT,
    ReferralRuleError,
    access_referral,
    answer_texts,
    do_answer_referral,
    do_send_referral,
    inbox,
    sent_by_agency,
)
from kasane.core.web.deps import (
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import is_htmx, render

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


async def _names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
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


async def _accept_into_case(
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


async def _detail_context(
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


def _send_fields(config: TenantConfig, actor: ActorInfo, cases: list[Case]) -> list[FormField]:
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


class ReferralController(Controller):
    """The referral inbox, one referral, its answers, and sending a referral."""

    path = "/referrals"
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="referral_inbox")
    async def inbox_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        incoming = await inbox(db_session, actor)
        outgoing = await sent_by_agency(db_session, actor)
        names = await _names(db_session, [r.person_id for r in incoming + outgoing])
        if incoming or outgoing:  # the lists name people: an audited read
            shown = [str(r.id) for r in incoming + outgoing]
            await do_audit(db_session, actor.ref, "referral.list", "", shown=shown)
        today = today_jst()
        return render(
            request,
            "referrals/inbox",
            {
                "incoming": incoming,
                "outgoing": outgoing,
                "names": names,
                "overdue": {r.id for r in incoming if is_overdue(r, today)},
                "statuses": STATUSES,
            },
        )

    @get("/new", name="referral_new")
    async def new_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person: FromQuery[uuid.UUID],
        case: FromQuery[uuid.UUID | None] = None,
    ) -> Response[str]:
        """The referral form for a person; ``case`` (from the case page) is preselected."""
        config = requires_tenant(request).config
        found, cases = await referable_cases(db_session, actor, person)
        do_audit_read(db_session, actor.ref, "person.read", f"person:{found.id}", via="referral")
        chosen = next((c for c in cases if c.id == case), None) or (
            cases[0] if len(cases) == 1 else None
        )
        values = {"case_id": str(chosen.id) if chosen else ""}
        ctx = {"person": found, "fields": _send_fields(config, actor, cases), "values": values}
        return render(request, "referrals/new", {**ctx, "errors": {}})

    @post("/", name="referral_send", status_code=200)
    async def send(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        data: FormBody,
    ) -> Response[Any]:
        requires_writable(request)
        config = requires_tenant(request).config
        try:
            person_id = uuid.UUID(data.get("person") or "")
        except ValueError:
            raise NotFound("person") from None
        found, cases = await referable_cases(db_session, actor, person_id)
        fields = _send_fields(config, actor, cases)
        values = {f.name: data.get(f.name) or "" for f in fields}
        errors: dict[str, str] = {}
        parsed: dict[str, Any] = {}
        for f in fields:
            parsed[f.name], problem = field_problem(f, values[f.name])
            if problem:
                errors[f.name] = problem
        if not errors:
            try:
                referral = await do_send_referral(
                    db_session,
                    actor,
                    person_id=found.id,
                    case_id=uuid.UUID(parsed["case_id"]) if parsed["case_id"] else None,
                    consultation_id=None,
                    from_agency=actor.agency_key or "",
                    to_agency=parsed["to_agency"],
                    reason=parsed["reason"],
                    today=today_jst(),
                )
            except ReferralRuleError as exc:
                errors["to_agency"] = _(str(exc))
            else:
                return Redirect(f"/referrals/{referral.id}", status_code=303)
        ctx = {"person": found, "fields": fields, "values": values, "errors": errors}
        return render(request, "referrals/new", ctx, status_code=422)

    @get("/{referral_id:uuid}", name="referral_detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        referral_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        referral = await access_referral(db_session, actor, referral_id)
        return render(
            request, "referrals/detail", await _detail_context(db_session, actor, referral)
        )

    @get("/{referral_id:uuid}/answer", name="referral_answer_panel")
    async def answer_panel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        referral_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The next-step panel for htmx; the whole referral page otherwise."""
        referral = await access_referral(db_session, actor, referral_id)
        return render(
            request, "referrals/answer", await _detail_context(db_session, actor, referral)
        )

    @post("/{referral_id:uuid}/answer", name="referral_answer", status_code=200)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        referral_id: FromPath[uuid.UUID],
        data: FormBody,
    ) -> Response[Any]:
        requires_writable(request)
        referral = await access_referral(db_session, actor, referral_id)
        step = data.get("step") or ""
        values = {"reason": data.get("reason") or "", "outcome": data.get("outcome") or ""}
        errors: dict[str, str] = {}
        field = {"declined": DECLINE_REASON, "completed": OUTCOME}.get(step)
        if field is not None:
            _value, problem = field_problem(field, values[field.name])
            if problem:
                errors[field.name] = problem
        if not errors:
            try:
                await do_answer_referral(
                    db_session,
                    actor,
                    referral,
                    step=step,
                    reason=values["reason"].strip(),
                    outcome=values["outcome"].strip(),
                    today=today_jst(),
                )
                if step == "accepted":
                    config = requires_tenant(request).config
                    await _accept_into_case(db_session, actor, config, referral, today_jst())
            except (ReferralRuleError, CaseRuleError) as exc:
                # Undo the step (the accept when the case refused the agency): the referral
                # stays as it was; then show why.
                await db_session.rollback()
                referral = await access_referral(db_session, actor, referral_id)
                errors["form"] = _(str(exc))
        if not errors:
            if not is_htmx(request):
                return Redirect(f"/referrals/{referral.id}", status_code=303)
            ctx = await _detail_context(db_session, actor, referral, notice=_("Saved."))
            return render(request, "referrals/answer", ctx)
        ctx = await _detail_context(
            db_session, actor, referral, errors=errors, values=values, step=step
        )
        # htmx swaps only 2xx answers: the panel with its messages comes back as 200.
        return render(
            request, "referrals/answer", ctx, status_code=200 if is_htmx(request) else 422
        )


ROUTES: list[Any] = [ReferralController]  # route handlers and controllers this package serves
