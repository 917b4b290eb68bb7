"""The plan editor and plan versions.

本人の意向 and rows of 課題 → 目標 → 支援内容 → 担当機関 → 期間, the next monitoring date and
the person's agreement, and the unmet needs no resource meets (:mod:`.plan_needs`: they
roll up into the gap list). htmx appends rows and needs in place; without JavaScript the
same buttons post the form back with one more. A row left wholly empty is ignored; a row
with some parts empty is refused, naming the row and the part.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.case_page import page_case, tenant_config
from kasane.core.cases.models import Case, PlanRow, SupportPlan
from kasane.core.cases.plan_form import MAX_ROWS, PLAN_FORM, check_rows, row_fields
from kasane.core.cases.plan_needs import (
    MAX_NEEDS,
    NEED_LABELS,
    PlanNeedInput,
    check_needs,
    do_save_plan_needs,
    need_fields,
    plan_needs,
)
from kasane.core.cases.records import PlanRowInput, do_save_plan, latest_assessment, latest_plan
from kasane.core.cases.services import CaseRuleError, access_case
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.errors import NotFound
from kasane.core.forms.form_raw import form_data
from kasane.core.forms.validation import check_form
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.protection.sealing import unseal, unseal_json
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import render


def _check_agreement(v: dict[str, Any], errors: dict[str, str]) -> None:
    """The agreement's date and method go together: add to ``errors`` the one missing."""
    method_label = _("How the person agreed")
    if v["agreed_on"] and not v["agreement_method"] and "agreement_method" not in errors:
        errors["agreement_method"] = _("%(label)s is required", label=method_label)
    if v["agreement_method"] and not v["agreed_on"] and "agreed_on" not in errors:
        errors["agreed_on"] = _("%(label)s is required", label=_("Agreed on"))


async def _save(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    v: dict[str, Any],
    rows: list[PlanRowInput],
    needs: list[PlanNeedInput],
) -> SupportPlan:
    """Save the new plan version and its unmet needs."""
    plan = await do_save_plan(
        session,
        actor,
        case,
        wishes=v["wishes"] or "",
        rows=rows,
        next_monitoring_on=v["next_monitoring_on"],
        agreed_on=v["agreed_on"],
        agreement_method=v["agreement_method"] or "",
    )
    await do_save_plan_needs(session, actor, case, plan, needs, on=today_jst())
    return plan


class PlanPagesController(Controller):
    """The plan editor (a new version each save), one more row, and every version."""

    path = "/cases/{case_id:uuid}/plan"
    opt = needs("case:cases:write")
    dependencies = {"actor": Provide(requires_login)}

    @get("/new", name="plan_new")
    async def plan_new(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The plan editor, prefilled from the latest plan (not its agreement)."""
        case, person = await page_case(db_session, actor, case_id)
        plan, rows = await latest_plan(db_session, case.id)
        values: dict[str, Any] = {}
        needs: list[dict[str, Any]] = []
        if plan is not None:
            needs = [
                {"category": n.category, "area": n.area_key or "", "note": n.note}
                for n in await plan_needs(db_session, plan.id)
            ]
            values = {
                "wishes": await unseal(
                    db_session, "support_plans", plan.id, "wishes", plan.wishes_sealed
                ),
                "next_monitoring_on": plan.next_monitoring_on,
            }  # the agreement is not carried over: the person agrees to each version
        else:  # a first plan starts from the wishes the assessment heard
            latest = await latest_assessment(db_session, case.id)
            if latest is not None:
                opened = await unseal_json(db_session, "assessments", latest.id, latest.sealed)
                values = {"wishes": opened.get("wishes") or latest.data.get("wishes") or ""}
                # … and the needs it found unmet, in the case's area, as a first draft
                needs = [
                    {"category": n, "area": case.area_key or ""}
                    for n in latest.unmet_needs or []
                    if n in NEED_LABELS
                ]
        row_values = [
            {
                "issue": r.issue,
                "goal": r.goal,
                "action": r.action,
                "agency": r.agency_key,
                "period": r.period,
            }
            for r in rows
        ] + [{}]
        return self._plan_form(
            request, case, person, plan, values, {}, row_values, [], needs=[*needs, {}]
        )

    def _plan_form(
        self,
        request: Request[Any, Any, Any],
        case: Case,
        person: Any,
        plan: SupportPlan | None,
        values: dict[str, Any],
        errors: dict[str, str],
        rows: list[dict[str, Any]],
        row_errors: list[dict[str, str]],
        status: int = 200,
        alert: str = "",
        needs: list[dict[str, Any]] | None = None,
        need_errors: list[dict[str, str]] | None = None,
    ) -> Response[str]:
        needs = needs or [{}]
        need_errors = need_errors or []
        summary = list(errors.values()) + [m for e in row_errors for m in e.values()]
        summary += [m for e in need_errors for m in e.values()]
        return render(
            request,
            "cases/plan_form",
            {
                "case": case,
                "person": person,
                "plan": plan,
                "form": PLAN_FORM,
                "fields": row_fields(tenant_config(request)),
                "values": values,
                "errors": errors,
                "rows": rows,
                "row_errors": row_errors,
                "summary": summary,
                "alert": alert,
                "need_fields": need_fields(tenant_config(request)),
                "needs": needs,
                "need_errors": need_errors,
            },
            status_code=status,
        )

    @get("/row", name="plan_row")
    async def plan_row(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        index: FromQuery[int] = 0,
    ) -> Response[str]:
        """One empty row (htmx appends it), and the add button for the row after it."""
        case = await access_case(db_session, actor, case_id)
        index = min(max(index, 0), MAX_ROWS)
        return render(
            request,
            "cases/plan_row",
            {
                "case": case,
                "index": index,
                "row": {},
                "row_error": {},
                "fields": row_fields(tenant_config(request)),
                "oob": True,
            },
            fragment=True,
        )

    @get("/need", name="plan_need")
    async def plan_need(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        index: FromQuery[int] = 0,
    ) -> Response[str]:
        """One empty unmet-need row in the case's area (htmx appends it), and the add
        button for the one after it."""
        case = await access_case(db_session, actor, case_id)
        return render(
            request,
            "cases/plan_need",
            {
                "case": case,
                "index": min(max(index, 0), MAX_NEEDS),
                "need": {},
                "need_error": {},
                "need_fields": need_fields(tenant_config(request)),
                "oob": True,
            },
            fragment=True,
        )

    def _one_more(
        self,
        request: Request[Any, Any, Any],
        case: Case,
        person: Any,
        raw: dict[str, Any],
        data: Any,
        row_values: list[dict[str, Any]],
        need_values: list[dict[str, str]],
    ) -> Response[str]:
        """The form as posted with one more empty row or need (the no-JavaScript buttons)."""
        rows_shown = [*row_values, {}] if data.get("add_row") else row_values or [{}]
        needs_shown = [*need_values, {}] if data.get("add_need") else need_values
        return self._plan_form(
            request,
            case,
            person,
            None,
            raw,
            {},
            rows_shown,
            [{} for _r in rows_shown],
            needs=needs_shown,
        )

    @post("/", name="plan_save", status_code=200)
    async def plan_save(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Save a new plan version, or show what to correct (422)."""
        requires_writable(request)
        config = tenant_config(request)
        case = await access_case(db_session, actor, case_id)
        data = await request.form()
        sub = check_form(PLAN_FORM, form_data(PLAN_FORM, data))
        v, errors = sub.values, sub.errors
        _check_agreement(v, errors)
        rows, row_values, row_errors = check_rows(config, data)
        needs, need_values, need_errors = check_needs(config, data)
        if data.get("add_row") or data.get("add_need"):  # no JavaScript: one more row or need
            _case, person = await page_case(db_session, actor, case_id)
            return self._one_more(request, case, person, sub.raw, data, row_values, need_values)
        if errors or any(row_errors) or any(need_errors):
            _case, person = await page_case(db_session, actor, case_id)
            return self._plan_form(
                request,
                case,
                person,
                None,
                sub.raw,
                errors,
                row_values,
                row_errors,
                status=422,
                needs=need_values,
                need_errors=need_errors,
            )
        try:
            plan = await _save(db_session, actor, case, v, rows, needs)
        except CaseRuleError as exc:
            await db_session.rollback()
            case, person = await page_case(db_session, actor, case_id)
            return self._plan_form(
                request,
                case,
                person,
                None,
                sub.raw,
                {},
                row_values,
                row_errors,
                status=422,
                alert=_(str(exc)),
                needs=need_values,
            )
        return Redirect(f"/cases/{case.id}/plan/{plan.version}", status_code=303)

    @get("/{version:int}", name="plan_version", opt=needs("case:cases:read"))
    async def plan_version(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        version: FromPath[int],
    ) -> Response[str]:
        """One plan version, read-only."""
        case, person = await page_case(db_session, actor, case_id)
        plan = (
            await db_session.execute(
                select(SupportPlan).where(
                    SupportPlan.case_id == case.id, SupportPlan.version == version
                )
            )
        ).scalar_one_or_none()
        if plan is None:
            raise NotFound("plan")
        rows = list(
            (
                await db_session.execute(
                    select(PlanRow).where(PlanRow.plan_id == plan.id).order_by(PlanRow.position)
                )
            ).scalars()
        )
        wishes = await unseal(db_session, "support_plans", plan.id, "wishes", plan.wishes_sealed)
        latest, _rows = await latest_plan(db_session, case.id)
        return render(
            request,
            "cases/plan",
            {
                "case": case,
                "person": person,
                "plan": plan,
                "rows": rows,
                "wishes": wishes,
                "is_latest": latest is not None and latest.id == plan.id,
                "methods": CONSENT_METHODS,
                "needs": await plan_needs(db_session, plan.id),
                "need_labels": NEED_LABELS,
            },
        )
