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
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from kasane.core.audit.services import do_audit, do_audit_read
from kasane.core.auth.permissions import needs
from kasane.core.cases.services import (
    CaseRuleError,
)
from kasane.core.errors import NotFound
from kasane.core.forms.validation import field_problem
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.referrals.models import STATUSES
from kasane.core.referrals.referral_pages import (
    DECLINE_REASON,
    OUTCOME,
    accept_into_case,
    detail_context,
    is_overdue,
    person_names,
    referable_cases,
    send_fields,
)
from kasane.core.referrals.services import (
    ReferralRuleError,
    access_referral,
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


class ReferralController(Controller):
    """The referral inbox, one referral, its answers, and sending a referral."""

    path = "/referrals"
    opt = needs("referral:referrals")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="referral_inbox")
    async def inbox_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        incoming = await inbox(db_session, actor)
        outgoing = await sent_by_agency(db_session, actor)
        names = await person_names(db_session, [r.person_id for r in incoming + outgoing])
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

    @get("/new", name="referral_new", opt=needs("referral:referrals:write"))
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
        ctx = {"person": found, "fields": send_fields(config, actor, cases), "values": values}
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
        fields = send_fields(config, actor, cases)
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
            request, "referrals/detail", await detail_context(db_session, actor, referral)
        )

    @get(
        "/{referral_id:uuid}/answer",
        name="referral_answer_panel",
        opt=needs("referral:referrals:write"),
    )
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
            request, "referrals/answer", await detail_context(db_session, actor, referral)
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
                    await accept_into_case(db_session, actor, config, referral, today_jst())
            except (ReferralRuleError, CaseRuleError) as exc:
                # Undo the step (the accept when the case refused the agency): the referral
                # stays as it was; then show why.
                await db_session.rollback()
                referral = await access_referral(db_session, actor, referral_id)
                errors["form"] = _(str(exc))
        if not errors:
            if not is_htmx(request):
                return Redirect(f"/referrals/{referral.id}", status_code=303)
            ctx = await detail_context(db_session, actor, referral, notice=_("Saved."))
            return render(request, "referrals/answer", ctx)
        ctx = await detail_context(
            db_session, actor, referral, errors=errors, values=values, step=step
        )
        # htmx swaps only 2xx answers: the panel with its messages comes back as 200.
        return render(
            request, "referrals/answer", ctx, status_code=200 if is_htmx(request) else 422
        )


ROUTES: list[Any] = [ReferralController]  # route handlers and controllers this package serves
