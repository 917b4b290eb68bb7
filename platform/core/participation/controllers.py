"""Staff pages for participation: the case's candidates and matches.

``/cases/{id}/participation`` lists the ranked candidates (with their reasons) and the
case's matches; a match's start, 定着支援 contact and end are posted to
``/participation/matches/{id}/…``. ``/cases/{id}/participation/suggestions`` is the top few
of the same ranking, which the case page loads with htmx. Every handler reaches the case
through ``access_case`` (need-to-know: another agency's or tenant's case, or a missing one,
is the same 404).
A refused action re-renders the page with the rule's message, status 422.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.case_page import tenant_config
from kasane.core.cases.models import Case
from kasane.core.cases.services import CaseRuleError, access_case
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.participation.candidates import candidates
from kasane.core.participation.models import ParticipationMatch
from kasane.core.participation.services import (
    CATEGORY_LABELS,
    END_REASON_LABELS,
    case_matches,
    do_end_match,
    do_log_retention,
    do_propose_match,
    do_start_match,
    retention_contacts,
)
from kasane.core.people.models import Person
from kasane.core.web.deps import Actor, DbSession, Form, requires_login, requires_writable
from kasane.core.web.templating import render

BAD_DATE = N_("Enter a valid date.")
SUGGESTIONS = 3  # how many candidates the case page shows


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CaseRuleError(BAD_DATE) from None


class ProposeForm(msgspec.Struct):
    kind: str = ""  # "menu" (a participation menu of the town) or "service" (the registry)
    ref: str = ""


class OnForm(msgspec.Struct):
    on: str = ""


class RetentionForm(msgspec.Struct):
    occurred_on: str = ""
    note: str = ""


class EndForm(msgspec.Struct):
    reason: str = ""
    on: str = ""


async def _match(
    session: AsyncSession, actor: ActorInfo, match_id: uuid.UUID
) -> tuple[Case, ParticipationMatch]:
    """The match and its case, if the actor may see the case; otherwise NotFound."""
    match = (
        await session.execute(select(ParticipationMatch).where(ParticipationMatch.id == match_id))
    ).scalar_one_or_none()
    if match is None:
        raise NotFound("participation_match")
    return await access_case(session, actor, match.case_id), match


async def _page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    case_id: uuid.UUID,
    *,
    alert: str = "",
    status_code: int = 200,
) -> Response[str]:
    config = tenant_config(request)
    case = await access_case(session, actor, case_id)
    person = (await session.execute(select(Person).where(Person.id == case.person_id))).scalar_one()
    today = today_jst()
    matches = await case_matches(session, case.id)
    area = config.area(case.area_key) if case.area_key else None
    return render(
        request,
        "participation/case",
        {
            "case": case,
            "person": person,
            "area": area,
            "candidates": await candidates(session, config, case, today),
            "matches": matches,
            "contacts": await retention_contacts(session, [m.id for m in matches]),
            "categories": CATEGORY_LABELS,
            "end_reasons": END_REASON_LABELS,
            "today": today,
            "alert": alert,
        },
        status_code=status_code,
        fragment=False,
    )


class ParticipationController(Controller):
    """Matching for a case. All need a login."""

    path = "/"
    opt = needs("case:cases")
    dependencies = {"actor": Provide(requires_login)}

    @get("/cases/{case_id:uuid}/participation", name="case_participation")
    async def page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """Ranked candidates with their reasons, and the case's matches."""
        return await _page(request, db_session, actor, case_id)

    @get("/cases/{case_id:uuid}/participation/suggestions", name="case_suggestions")
    async def suggestions(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The best few candidates with a propose button each (the case page loads them)."""
        config = tenant_config(request)
        case = await access_case(db_session, actor, case_id)
        ranked = await candidates(db_session, config, case, today_jst())
        return render(
            request,
            "participation/suggestions",
            {
                "case": case,
                "suggestions": [c for c in ranked if not c.full][:SUGGESTIONS],
                "more": len(ranked),
                "categories": CATEGORY_LABELS,
            },
        )

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: ActorInfo,
        case_id: uuid.UUID,
        exc: CaseRuleError,
    ) -> Response[str]:
        await session.rollback()
        return await _page(request, session, actor, case_id, alert=_(str(exc)), status_code=422)

    @post("/cases/{case_id:uuid}/participation/propose", name="match_propose", status_code=200)
    async def propose(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        data: Form[ProposeForm],
    ) -> Response[Any]:
        """Propose one of the candidates."""
        requires_writable(request)
        case = await access_case(db_session, actor, case_id)
        try:
            await do_propose_match(
                db_session,
                actor,
                tenant_config(request),
                case,
                kind=data.kind,
                ref=data.ref,
                today=today_jst(),
            )
        except CaseRuleError as exc:
            return await self._refused(request, db_session, actor, case.id, exc)
        return Redirect(f"/cases/{case.id}/participation#matches", status_code=303)

    @post("/participation/matches/{match_id:uuid}/start", name="match_start", status_code=200)
    async def start(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        match_id: FromPath[uuid.UUID],
        data: Form[OnForm],
    ) -> Response[Any]:
        """The person starts taking part."""
        requires_writable(request)
        case, match = await _match(db_session, actor, match_id)
        try:
            await do_start_match(
                db_session, actor, tenant_config(request), match, on=_date(data.on)
            )
        except CaseRuleError as exc:
            return await self._refused(request, db_session, actor, case.id, exc)
        return Redirect(f"/cases/{case.id}/participation#matches", status_code=303)

    @post(
        "/participation/matches/{match_id:uuid}/retention",
        name="match_retention",
        status_code=200,
    )
    async def retention(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        match_id: FromPath[uuid.UUID],
        data: Form[RetentionForm],
    ) -> Response[Any]:
        """Record a 定着支援 contact."""
        requires_writable(request)
        case, match = await _match(db_session, actor, match_id)
        try:
            await do_log_retention(
                db_session, actor, match, on=_date(data.occurred_on), note=data.note
            )
        except CaseRuleError as exc:
            return await self._refused(request, db_session, actor, case.id, exc)
        return Redirect(f"/cases/{case.id}/participation#matches", status_code=303)

    @post("/participation/matches/{match_id:uuid}/end", name="match_end", status_code=200)
    async def end(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        match_id: FromPath[uuid.UUID],
        data: Form[EndForm],
    ) -> Response[Any]:
        """End the match with its reason ("no place fits" records a resource gap)."""
        requires_writable(request)
        case, match = await _match(db_session, actor, match_id)
        try:
            await do_end_match(
                db_session, actor, case, match, reason=data.reason, on=_date(data.on)
            )
        except CaseRuleError as exc:
            return await self._refused(request, db_session, actor, case.id, exc)
        return Redirect(f"/cases/{case.id}/participation#matches", status_code=303)


ROUTES: list[Any] = [ParticipationController]
