"""The case page's actions on the agencies taking part: bring one in, end one's part, hand
the lead over, start or end 多機関協働."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from kasane.core.cases.case_actions import CaseActions
from kasane.core.cases.case_page import tenant_config
from kasane.core.cases.models import Case
from kasane.core.cases.page_forms import FormState
from kasane.core.cases.services import (
    CaseRuleError,
    access_case,
    active_agencies,
    do_add_agency,
    do_end_agency,
    do_end_collaboration,
    do_set_lead,
    do_start_collaboration,
)
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import Actor, DbSession, requires_writable


class CaseAgencyController(CaseActions):
    """The agencies taking part in a case, and 多機関協働."""

    @post("/{case_id:uuid}/agencies", name="case_agency_add", status_code=200)
    async def add_agency(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Bring an agency in: a disclosure, by consent or under a named law."""

        def check(v: dict[str, Any], _data: Any) -> dict[str, str]:
            if v["basis"] == "other_law" and not (v["law"] or "").strip():
                return {"law": _("Name the law that allows sharing without consent.")}
            return {}

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            by_law = v["basis"] == "other_law"
            await do_add_agency(
                db_session,
                actor,
                tenant_config(request),
                case,
                v["agency"],
                today_jst(),
                basis="other_law" if by_law else None,
                basis_note=(v["law"] or "").strip() if by_law else "",
            )

        refused = await self._run(request, db_session, actor, case_id, "agency", act, check=check)
        return refused or await self._done(db_session, actor, case_id, "#agencies")

    @post("/{case_id:uuid}/agencies/{agency_key:str}/end", name="case_agency_end", status_code=200)
    async def end_agency(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        agency_key: FromPath[str],
    ) -> Response[Any]:
        """End an agency's part in the case (never the lead's)."""
        requires_writable(request)
        case = await access_case(db_session, actor, case_id)
        taking_part = {p.agency_key for p in await active_agencies(db_session, case.id)}
        try:
            if agency_key not in taking_part:
                raise CaseRuleError(N_("That agency does not take part in this case."))
            await do_end_agency(db_session, actor, case, agency_key, today_jst())
        except CaseRuleError as exc:
            state = FormState(alert=_(str(exc)))
            return await self._refused(request, db_session, actor, case_id, "agencies", state)
        return await self._done(db_session, actor, case_id, "#agencies")

    @post("/{case_id:uuid}/lead", name="case_lead", status_code=200)
    async def lead(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Hand the lead (主担当) to an agency taking part."""

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            await do_set_lead(db_session, actor, case, v["agency"])

        refused = await self._run(request, db_session, actor, case_id, "lead", act)
        return refused or await self._done(db_session, actor, case_id, "#agencies")

    @post("/{case_id:uuid}/collaboration", name="case_collaboration", status_code=200)
    async def collaboration(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Start or end 多機関協働 (``action``); ending needs a reason."""
        config = tenant_config(request)

        def check(v: dict[str, Any], data: Any) -> dict[str, str]:
            if data.get("action") == "end" and not (v["reason"] or "").strip():
                return {"reason": _("Say why multi-agency collaboration ends.")}
            return {}

        async def act(case: Case, v: dict[str, Any], data: Any) -> None:
            today = today_jst()
            if data.get("action") == "start":
                await do_start_collaboration(db_session, actor, config, case, today)
            elif data.get("action") == "end":
                reason = (v["reason"] or "").strip()
                await do_end_collaboration(db_session, actor, config, case, today, reason)
            else:
                raise CaseRuleError(N_("Choose to start or to end multi-agency collaboration."))

        refused = await self._run(request, db_session, actor, case_id, "collab", act, check=check)
        return refused or await self._done(db_session, actor, case_id, "#agencies")
