"""The plan editor and plan versions.

本人の意向 and rows of 課題 → 目標 → 支援内容 → 担当機関 → 期間, the next monitoring date and
the person's agreement. htmx appends rows in place; without JavaScript the same button posts
the form back with one more row. A row left wholly empty is ignored; a row with some parts
empty is refused, naming the row and the part.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import select

from kasane.core.cases.case_page import page_case, tenant_config
from kasane.core.cases.models import Case, PlanRow, SupportPlan
from kasane.core.cases.records import (
    PlanRowInput,
    do_save_plan,
    latest_assessment,
    latest_plan,
)
from kasane.core.cases.services import CaseRuleError, access_case
from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    TenantConfig,
    Validation,
)
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.errors import NotFound
from kasane.core.forms.form_raw import form_data
from kasane.core.forms.validation import check_form, field_problem
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.protection.sealing import unseal, unseal_json
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import render

ROW_KEY = re.compile(r"^rows-(\d{1,3})-(issue|goal|action|agency|period)$")
ROW_PARTS = ("issue", "goal", "action", "agency")  # every part but the period is needed
MAX_ROWS = 100


def row_fields(config: TenantConfig) -> list[FormField]:
    """One plan row: 課題 → 目標 → 支援内容 → 担当機関 → 期間."""
    return [
        FormField(
            name="issue", label=N_("Issue"), type="textarea", validation=Validation(max_length=1000)
        ),
        FormField(
            name="goal", label=N_("Goal"), type="textarea", validation=Validation(max_length=1000)
        ),
        FormField(
            name="action",
            label=N_("Support to give"),
            type="textarea",
            validation=Validation(max_length=1000),
        ),
        FormField(
            name="agency",
            label=N_("Agency in charge"),
            type="select",
            choices=[Choice(value=a.key, label=a.name) for a in config.agencies],
        ),
        FormField(
            name="period", label=N_("Period"), type="text", validation=Validation(max_length=60)
        ),
    ]


PLAN_FORM = FormDefinition(
    key="plan",
    title=N_("Support plan"),
    version="core-plan-1",
    sections=[
        FormSection(
            key="wishes",
            title=N_("The person's wishes"),
            fields=[
                FormField(
                    name="wishes",
                    label=N_("The person's wishes"),
                    type="textarea",
                    validation=Validation(max_length=2000),
                )
            ],
        ),
        FormSection(
            key="schedule",
            title=N_("Monitoring and agreement"),
            fields=[
                FormField(name="next_monitoring_on", label=N_("Next monitoring"), type="date"),
                FormField(name="agreed_on", label=N_("Agreed on"), type="date"),
                FormField(
                    name="agreement_method",
                    label=N_("How the person agreed"),
                    type="select",
                    choices=[Choice(value=k, label=v) for k, v in CONSENT_METHODS.items()],
                ),
            ],
        ),
    ],
)


class PlanPagesController(Controller):
    """The plan editor (a new version each save), one more row, and every version."""

    path = "/cases/{case_id:uuid}/plan"
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
        if plan is not None:
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
        return self._plan_form(request, case, person, plan, values, {}, row_values, [])

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
    ) -> Response[str]:
        summary = list(errors.values()) + [m for e in row_errors for m in e.values()]
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
        method_label = _("How the person agreed")
        if v["agreed_on"] and not v["agreement_method"] and "agreement_method" not in errors:
            errors["agreement_method"] = _("%(label)s is required", label=method_label)
        if v["agreement_method"] and not v["agreed_on"] and "agreed_on" not in errors:
            errors["agreed_on"] = _("%(label)s is required", label=_("Agreed on"))
        rows, row_values, row_errors = self._rows(config, data)
        if data.get("add_row"):  # no JavaScript: the same form back with one more row
            _case, person = await page_case(db_session, actor, case_id)
            rows_shown = [*row_values, {}]
            return self._plan_form(
                request, case, person, None, sub.raw, {}, rows_shown, [{} for _r in rows_shown]
            )
        if errors or any(row_errors):
            _case, person = await page_case(db_session, actor, case_id)
            return self._plan_form(
                request, case, person, None, sub.raw, errors, row_values, row_errors, status=422
            )
        try:
            plan = await do_save_plan(
                db_session,
                actor,
                case,
                wishes=v["wishes"] or "",
                rows=rows,
                next_monitoring_on=v["next_monitoring_on"],
                agreed_on=v["agreed_on"],
                agreement_method=v["agreement_method"] or "",
            )
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
            )
        return Redirect(f"/cases/{case.id}/plan/{plan.version}", status_code=303)

    def _rows(
        self, config: TenantConfig, data: Any
    ) -> tuple[list[PlanRowInput], list[dict[str, Any]], list[dict[str, str]]]:
        """(rows to save, every posted row as typed, problems per posted row).

        A row left wholly empty is ignored; a row with some parts empty names them."""
        posted: dict[int, dict[str, str]] = {}
        for key in data.keys():
            if (m := ROW_KEY.match(key)) and len(posted) <= MAX_ROWS:
                posted.setdefault(int(m.group(1)), {})[m.group(2)] = (data.get(key) or "").strip()
        fields = {f.name: f for f in row_fields(config)}
        rows, row_values, row_errors = [], [], []
        for n, index in enumerate(sorted(posted), start=1):
            raw = posted[index]
            problems: dict[str, str] = {}
            if any(raw.values()):
                for name, f in fields.items():
                    text = raw.get(name, "")
                    _value, problem = field_problem(f, text)
                    if not text and name in ROW_PARTS:
                        problem = _("%(label)s is required", label=_(f.label))
                    if problem:
                        problems[name] = _("Row %(n)s: %(problem)s", n=n, problem=problem)
                if not problems:
                    rows.append(
                        PlanRowInput(
                            issue=raw["issue"],
                            goal=raw["goal"],
                            action=raw["action"],
                            agency_key=raw["agency"],
                            period=raw.get("period", ""),
                        )
                    )
            row_values.append(raw)
            row_errors.append(problems)
        return rows, row_values, row_errors

    @get("/{version:int}", name="plan_version")
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
            },
        )
