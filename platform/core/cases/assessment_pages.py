"""Assessment pages: record a new version of the tenant's sheet, read any version.

The form is the tenant's ``forms["assessment"]`` (the national sheet plus the plugin's
additions); a new version starts from the latest one, its sealed part opened for the form.
A version is shown with the current form's labels and keeps the form version it was
written with.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from kasane.core.auth.permissions import needs
from kasane.core.cases.case_page import page_case, tenant_config
from kasane.core.cases.models import Assessment
from kasane.core.cases.records import do_record_assessment, latest_assessment
from kasane.core.cases.services import access_case
from kasane.core.config_types import FormField
from kasane.core.errors import NotFound
from kasane.core.forms.form_raw import form_data
from kasane.core.forms.validation import check_form
from kasane.core.i18n import gettext as _
from kasane.core.protection.sealing import unseal_json
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import render


def display(f: FormField, value: Any) -> str:
    """A stored value in the reader's words (choice labels, yes/no)."""
    labels = {c.value: c.label for c in f.choices}
    if value in (None, "", []):
        return ""
    if f.type == "boolean":
        return _("Yes") if value else _("No")
    if f.type == "checkboxes":
        return "、".join(_(labels.get(v, v)) for v in value)
    if f.type in ("select", "radio"):
        return _(labels.get(value, value))
    return str(value)


class AssessmentPagesController(Controller):
    """A new assessment version, and every version read-only."""

    path = "/cases/{case_id:uuid}/assessment"
    opt = needs("case:cases")
    dependencies = {"actor": Provide(requires_login)}

    @get("/new", name="assessment_new", opt=needs("case:cases:write"))
    async def assessment_new(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The assessment form, prefilled from the latest version."""
        case, person = await page_case(db_session, actor, case_id)
        latest = await latest_assessment(db_session, case.id)
        values: dict[str, Any] = {}
        if latest is not None:
            opened = await unseal_json(db_session, "assessments", latest.id, latest.sealed)
            values = {**latest.data, **opened}
        return render(
            request,
            "cases/assessment_form",
            {
                "case": case,
                "person": person,
                "form": tenant_config(request).forms["assessment"],
                "values": values,
                "errors": {},
                "latest": latest,
            },
        )

    @post("/", name="assessment_save", status_code=200)
    async def assessment_save(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Save a new assessment version, or show what to correct (422)."""
        requires_writable(request)
        case = await access_case(db_session, actor, case_id)
        form = tenant_config(request).forms["assessment"]
        sub = check_form(form, form_data(form, await request.form()))
        if sub.ok:
            saved = await do_record_assessment(db_session, actor, case, form, sub)
            return Redirect(f"/cases/{case.id}/assessment/{saved.version}", status_code=303)
        case, person = await page_case(db_session, actor, case_id)
        return render(
            request,
            "cases/assessment_form",
            {
                "case": case,
                "person": person,
                "form": form,
                "values": sub.raw,
                "errors": sub.errors,
                "latest": await latest_assessment(db_session, case.id),
            },
            status_code=422,
        )

    @get("/{version:int}", name="assessment_version")
    async def assessment_version(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        case_id: FromPath[uuid.UUID],
        version: FromPath[int],
    ) -> Response[str]:
        """One assessment version, read-only, with its form version."""
        case, person = await page_case(db_session, actor, case_id)
        record = (
            await db_session.execute(
                select(Assessment).where(
                    Assessment.case_id == case.id, Assessment.version == version
                )
            )
        ).scalar_one_or_none()
        if record is None:
            raise NotFound("assessment")
        values = {
            **record.data,
            **await unseal_json(db_session, "assessments", record.id, record.sealed),
        }
        form = tenant_config(request).forms["assessment"]
        known = {f.name for f in form.all_fields()}
        sections = [
            (s.title, [(f.label, display(f, values.get(f.name))) for f in s.fields])
            for s in form.sections
        ]
        other = [(k, str(v)) for k, v in sorted(values.items()) if k not in known and v]
        return render(
            request,
            "cases/assessment",
            {
                "case": case,
                "person": person,
                "record": record,
                "form": form,
                "sections": sections,
                "other": other,
            },
        )
