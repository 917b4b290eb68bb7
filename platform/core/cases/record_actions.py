"""The case page's records: progress notes, monitoring, evaluation, the person's agreement
to the plan."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from kasane.core.cases.case_actions import CaseActions
from kasane.core.cases.case_page import case_context, tenant_config, tenant_rules
from kasane.core.cases.models import Case
from kasane.core.cases.page_forms import judged_goals
from kasane.core.cases.records import (
    do_add_note,
    do_record_agreement,
    do_record_evaluation,
    do_record_monitoring,
    latest_plan,
)
from kasane.core.cases.services import CaseRuleError
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.rules.apply import case_snapshots, monitoring_days
from kasane.core.web.deps import Actor, DbSession
from kasane.core.web.templating import is_htmx, render


class CaseRecordController(CaseActions):
    """The records written on the case page."""

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
