"""What every action on the case page shares: validate the page form, act, and either go
back to the page or show it again with the messages.

Every handler fetches the case through ``access_case`` (need-to-know: another agency's case,
another tenant's and a missing one are the same 404). A refused action re-renders the page
with the rule's message and status 422, after rolling back whatever the service had begun.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.case_page import case_context, tenant_config, tenant_rules
from kasane.core.cases.models import Case
from kasane.core.cases.page_forms import FormState, page_forms, parse
from kasane.core.cases.records import latest_plan
from kasane.core.cases.services import CaseRuleError, access_case, active_agencies
from kasane.core.errors import NotFound
from kasane.core.forms.validation import Submission
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import requires_login, requires_writable
from kasane.core.web.templating import is_htmx, render


def _state(sub: Submission, alert: str = "") -> FormState:
    """A refused form as it comes back: what was typed, its messages and the alert."""
    return FormState(values=dict(sub.raw), errors=dict(sub.errors), alert=alert)


class CaseActions(Controller):
    """The case page's actions under ``/cases``, all needing a login; the steps they share.

    It has no route of its own: the controllers of the page's actions build on it."""

    path = "/cases"
    opt = needs("case:cases")
    dependencies = {"actor": Provide(requires_login)}

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: ActorInfo,
        case_id: uuid.UUID,
        key: str,
        state: FormState,
        *,
        fragment: str | None = None,
    ) -> Response[str]:
        """Undo what the service began, then show the page (or ``fragment``) with the
        typed values and the messages, status 422."""
        await session.rollback()
        case = await access_case(session, actor, case_id)
        kind = state.values.get("kind") if key == "decision" else None
        ctx = await case_context(
            session,
            actor,
            tenant_config(request),
            case,
            today_jst(),
            rules=tenant_rules(request),
            states={key: state},
            decision_kind=kind,
        )
        if fragment and is_htmx(request):
            return render(request, fragment, ctx, status_code=422, fragment=True)
        return render(request, "cases/case", ctx, status_code=422, fragment=False)

    async def _done(
        self, session: AsyncSession, actor: ActorInfo, case_id: uuid.UUID, anchor: str = ""
    ) -> Response[Any]:
        """Back to the case page — or to the list when the action ended the actor's access
        (closing ends every agency's part, so nobody sees a closed case any more)."""
        try:
            await access_case(session, actor, case_id)
        except NotFound:
            return Redirect("/cases", status_code=303)
        return Redirect(f"/cases/{case_id}{anchor}", status_code=303)

    async def _run(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: ActorInfo,
        case_id: uuid.UUID,
        key: str,
        act: Callable[[Case, dict[str, Any], Any], Awaitable[None]],
        *,
        check: Callable[[dict[str, Any], Any], dict[str, str]] | None = None,
        fragment: str | None = None,
    ) -> Response[str] | None:
        """Validate the page form ``key``, then ``act(case, values, posted)``.

        Returns None when it worked, else the page with the messages (status 422). ``check``
        adds cross-field problems; a CaseRuleError becomes the form's alert."""
        requires_writable(request)
        case = await access_case(session, actor, case_id)
        data = await request.form()
        parts = [p.agency_key for p in await active_agencies(session, case.id)]
        goals = (await latest_plan(session, case.id))[1] if key == "evaluation" else []
        sub = parse(page_forms(tenant_config(request), parts, goals=goals)[key], data)
        if sub.ok and check:
            sub.errors.update(check(sub.values, data))
        alert = ""
        if sub.ok:
            try:
                await act(case, sub.values, data)
                return None
            except CaseRuleError as exc:
                alert = _(str(exc))
        state = _state(sub, alert)
        return await self._refused(request, session, actor, case_id, key, state, fragment=fragment)
