"""The case page, its stage moves and decisions. The page's other actions are in
:mod:`~kasane.core.cases.agency_actions` and :mod:`~kasane.core.cases.record_actions`, the
steps they share in :mod:`~kasane.core.cases.case_actions`; the case list and "my tasks" in
:mod:`kasane.core.cases.list_pages`, assessment and plan pages in
:mod:`~kasane.core.cases.assessment_pages` and :mod:`~kasane.core.cases.plan_pages`;
``ROUTES`` gathers them all.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from kasane.core.cases.agency_actions import CaseAgencyController
from kasane.core.cases.assessment_pages import AssessmentPagesController
from kasane.core.cases.case_actions import CaseActions
from kasane.core.cases.case_page import case_context, tenant_config, tenant_rules
from kasane.core.cases.decisions import do_record_decision, meeting_held_on
from kasane.core.cases.list_pages import CaseListController, my_tasks_page
from kasane.core.cases.models import Case
from kasane.core.cases.plan_pages import PlanPagesController
from kasane.core.cases.record_actions import CaseRecordController
from kasane.core.cases.services import CaseRuleError, access_case, do_move
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import Actor, DbSession
from kasane.core.web.templating import render


class CaseController(CaseActions):
    """The case page, its stage moves and its decisions."""

    @get("/{case_id:uuid}", name="case_page")
    async def case_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The case: header, household, stage moves, records, decisions, agencies, timeline."""
        case = await access_case(db_session, actor, case_id)
        ctx = await case_context(
            db_session,
            actor,
            tenant_config(request),
            case,
            today_jst(),
            rules=tenant_rules(request),
            decision_kind=request.query_params.get("decision-kind"),
        )
        return render(request, "cases/case", ctx)

    # ------------------------------------------------------------------ actions

    @post("/{case_id:uuid}/move", name="case_move", status_code=200)
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Move the case to the stage in ``to``; a refused move shows the rule (422)."""

        async def act(case: Case, v: dict[str, Any], data: Any) -> None:
            to, note = data.get("to") or "", v["note"] or ""
            if to == "closed" and not v["confirm"]:
                raise CaseRuleError(N_("Tick the confirmation to close the case."))
            await do_move(db_session, actor, case, to, today=today_jst(), note=note)

        refused = await self._run(request, db_session, actor, case_id, "move", act)
        return refused or await self._done(db_session, actor, case_id)

    @post("/{case_id:uuid}/decisions", name="case_decision", status_code=200)
    async def decision(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Record a decision taken at a meeting, or an exception with its reason."""
        config = tenant_config(request)

        def check(v: dict[str, Any], data: Any) -> dict[str, str]:
            meeting = config.meeting_type(v["meeting"] or "")
            if v["source"] == "meeting" and meeting is None:
                return {"meeting": _("Choose the meeting that took the decision.")}
            if v["source"] == "meeting" and meeting and v["kind"] not in meeting.decisions:
                return {"meeting": _("This meeting may not take that decision.")}
            if v["source"] == "exception" and not (v["note"] or "").strip():
                return {"note": _("An exception needs its reason recorded.")}
            if v["decided_on"] > today_jst():
                return {"decided_on": _("Decided on cannot be in the future.")}
            if v["kind"] == "closure" and not (v["note"] or "").strip():
                return {"note": _("Say why the case is closed.")}
            if v["kind"] == "closure" and not v["confirm"]:
                return {"confirm": _("Tick the confirmation to close the case.")}
            return {}

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            meeting = v["meeting"] if v["source"] == "meeting" else None
            meeting_id = None
            if meeting:
                meeting_id = await meeting_held_on(db_session, meeting, v["decided_on"])
                if meeting_id is None:
                    raise CaseRuleError(
                        N_(
                            "No meeting of that kind was held on that date: a meeting's "
                            "decision is dated on the meeting's day."
                        )
                    )
            await do_record_decision(
                db_session,
                actor,
                config,
                case,
                kind=v["kind"],
                source=v["source"],
                decided_on=v["decided_on"],
                meeting_type_key=meeting,
                meeting_id=meeting_id,
                note=v["note"] or "",
            )
            if v["kind"] == "continuation" and case.stage == "suspended":  # 再開
                resume = case.resume_stage or "intake"
                await do_move(db_session, actor, case, resume, today=v["decided_on"], note="")

        refused = await self._run(request, db_session, actor, case_id, "decision", act, check=check)
        return refused or await self._done(db_session, actor, case_id)


ROUTES: list[Any] = [
    CaseListController,
    CaseController,
    CaseAgencyController,
    CaseRecordController,
    AssessmentPagesController,
    PlanPagesController,
    my_tasks_page,
]
