"""The case's printable sheets as A4 PDFs (``printables``): ``/cases/{id}/plan.pdf``,
``/cases/{id}/evaluation.pdf`` and ``/cases/{id}/intake.pdf?version=consent|no-consent``.

Each loads the case exactly as the case page does (``access_case``: only an agency taking
part sees it; another agency's or town's case is the 404 of a missing id) and renders
through the meeting papers' PDF answer (``meetings.papers_controllers.pdf_page``).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath, FromQuery

from kasane.core.auth.permissions import needs
from kasane.core.cases.printables import (
    INTAKE_CONSENT,
    INTAKE_VERSIONS,
    NO_CONSENT_NOTE,
    PLAN_CONSENT,
    case_sheet,
)
from kasane.core.cases.records import EVALUATION_OUTCOMES, GOAL_OUTCOMES
from kasane.core.cases.services import access_case
from kasane.core.japan_time import today_jst
from kasane.core.meetings.papers_controllers import pdf_page
from kasane.core.people.models import RELATIONS
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_tenant


async def _sheet_pdf(
    request: Request[Any, Any, Any],
    session: DbSession,
    actor: Actor,
    case_id: uuid.UUID,
    kind: str,
    version: str = "",
) -> Response[bytes]:
    tenant = requires_tenant(request)
    case = await access_case(session, actor, case_id)
    sheet = await case_sheet(
        session,
        actor,
        tenant.config,
        case,
        kind,
        municipality=tenant.name,
        today=today_jst(),
        version=version,
    )
    return await pdf_page(
        request,
        "cases/sheet_pdf",
        {
            "sheet": sheet,
            "relations": RELATIONS,
            "versions": INTAKE_VERSIONS,
            "outcomes": EVALUATION_OUTCOMES,
            "goal_outcomes": GOAL_OUTCOMES,
            "plan_consent": PLAN_CONSENT,
            "intake_consent": INTAKE_CONSENT,
            "no_consent_note": NO_CONSENT_NOTE,
        },
        sheet.filename,
    )


@get(
    "/cases/{case_id:uuid}/plan.pdf",
    name="case_plan_pdf",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("case:cases:read"),
)
async def plan_pdf(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    case_id: FromPath[uuid.UUID],
) -> Response[bytes]:
    """プランシート: the latest plan, with the person's signature and date lines."""
    return await _sheet_pdf(request, db_session, actor, case_id, "plan")


@get(
    "/cases/{case_id:uuid}/evaluation.pdf",
    name="case_evaluation_pdf",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("case:cases:read"),
)
async def evaluation_pdf(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    case_id: FromPath[uuid.UUID],
) -> Response[bytes]:
    """評価シート: one row per goal of the latest plan, and the evaluations recorded."""
    return await _sheet_pdf(request, db_session, actor, case_id, "evaluation")


@get(
    "/cases/{case_id:uuid}/intake.pdf",
    name="case_intake_pdf",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("case:cases:read"),
)
async def intake_pdf(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    case_id: FromPath[uuid.UUID],
    version: FromQuery[str] = "no-consent",
) -> Response[bytes]:
    """相談受付・申込票, ``version=consent`` (everything) or ``no-consent`` (coded facts)."""
    return await _sheet_pdf(request, db_session, actor, case_id, "intake", version)


ROUTES: list[Any] = [plan_pdf, evaluation_pdf, intake_pdf]
