"""The case page and its actions. The case list and "my tasks" live in
:mod:`kasane.core.cases.list_pages`, assessment and plan pages in
:mod:`~kasane.core.cases.assessment_pages` and :mod:`~kasane.core.cases.plan_pages`;
``ROUTES`` gathers them all.

Every handler fetches the case through ``access_case`` (need-to-know: another agency's case,
another tenant's and a missing one are the same 404). A refused action re-renders the page
with the rule's message and status 422, after rolling back whatever the service had begun.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.assessment_pages import AssessmentPagesController
from kasane.core.cases.case_page import (
    FormState,
    case_context,
    judged_goals,
    page_forms,
    parse,
    tenant_config,
    tenant_rules,
)
from kasane.core.cases.list_pages import CaseListController, my_tasks_page
from kasane.core.cases.models import Case
from kasane.core.cases.plan_pages import PlanPagesController
from kasane.core.cases.records import (
    do_add_note,
    do_record_agreement,
    do_record_evaluation,
    do_record_monitoring,
    latest_plan,
)
from kasane.core.cases.services import (
    CaseRuleError,
    access_case,
    active_agencies,
    do_add_agency,
    do_end_agency,
    do_end_collaboration,
    do_move,
    do_record_decision,
    do_set_lead,
    do_start_collaboration,
    meeting_held_on,
)
from kasane.core.errors import NotFound
from kasane.core.forms.validation import Submission
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.rules.apply import case_snapshots, monitoring_days
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import is_htmx, render


def _state(sub: Submission, alert: str = "") -> FormState:
    return FormState(values=dict(sub.raw), errors=dict(sub.errors), alert=alert)


class CaseController(Controller):
    """The case page and every action on it. All need a login."""

    path = "/cases"
    opt = needs("case:cases")
    dependencies = {"actor": Provide(requires_login)}

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

    # ------------------------------------------------------------------ helpers

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

    @post("/{case_id:uuid}/notes", name="case_note", status_code=200)
    async def note(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """A progress note; htmx gets the refreshed timeline (with an empty form) back."""
        saved: list[Case] = []

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            await do_add_note(
                db_session,
                actor,
                case,
                kind=v["kind"],
                occurred_on=v["occurred_on"],
                body=v["body"],
            )
            saved.append(case)

        refused = await self._run(
            request, db_session, actor, case_id, "note", act, fragment="cases/timeline"
        )
        if refused:
            return refused
        if is_htmx(request):
            ctx = await case_context(
                db_session,
                actor,
                tenant_config(request),
                saved[0],
                today_jst(),
                rules=tenant_rules(request),
            )
            return render(request, "cases/timeline", {**ctx, "saved": True}, fragment=True)
        return await self._done(db_session, actor, case_id, "#timeline")

    @post("/{case_id:uuid}/monitoring", name="case_monitoring", status_code=200)
    async def monitoring(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Record a monitoring; the case moves to monitoring with its next date."""

        def check(v: dict[str, Any], _data: Any) -> dict[str, str]:
            if v["next_on"] and v["next_on"] <= v["done_on"]:
                return {"next_on": _("The next monitoring must come after this one.")}
            return {}

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            next_on = v["next_on"]
            if next_on is None:  # left blank: the town's monitoring interval sets it
                config = tenant_config(request)
                [snapshot] = await case_snapshots(db_session, config, [case], v["done_on"])
                days = await monitoring_days(tenant_rules(request), snapshot)
                next_on = v["done_on"] + timedelta(days=days)
            await do_record_monitoring(
                db_session,
                actor,
                case,
                done_on=v["done_on"],
                summary=v["summary"],
                plan_review_needed=bool(v["plan_review_needed"]),
                next_on=next_on,
            )

        refused = await self._run(
            request, db_session, actor, case_id, "monitoring", act, check=check
        )
        return refused or await self._done(db_session, actor, case_id)

    @post("/{case_id:uuid}/evaluation", name="case_evaluation", status_code=200)
    async def evaluation(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Record the evaluation that closure needs."""

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            _plan, goals = await latest_plan(db_session, case.id)
            await do_record_evaluation(
                db_session,
                actor,
                case,
                evaluated_on=v["evaluated_on"],
                goals=judged_goals(goals, v),
                outcome=v.get("outcome"),
                summary=v["summary"],
            )

        refused = await self._run(request, db_session, actor, case_id, "evaluation", act)
        return refused or await self._done(db_session, actor, case_id)

    @post("/{case_id:uuid}/plan/agreement", name="case_plan_agreement", status_code=200)
    async def agreement(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The person's agreement to the current plan (e.g. after the meeting decided it)."""

        async def act(case: Case, v: dict[str, Any], _data: Any) -> None:
            plan, _rows = await latest_plan(db_session, case.id)
            if plan is None:
                raise CaseRuleError(
                    N_("There is no plan to decide on: write the draft plan first.")
                )
            await do_record_agreement(db_session, actor, case, plan, v["agreed_on"], v["method"])

        refused = await self._run(request, db_session, actor, case_id, "agreement", act)
        return refused or await self._done(db_session, actor, case_id)


ROUTES: list[Any] = [
    CaseListController,
    CaseController,
    AssessmentPagesController,
    PlanPagesController,
    my_tasks_page,
]
