"""The responses the meeting controller renders: the month calendar and one meeting's page.

Both can be rendered again after a refusal, with the reason and what was typed (422).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.config_types import TenantConfig
from kasane.core.errors import NotFound
from kasane.core.japan_time import JST, today_jst
from kasane.core.meetings import meeting_forms as forms
from kasane.core.meetings import meeting_page as page
from kasane.core.meetings.models import MEETING_STATUSES, AgendaItem, Meeting
from kasane.core.meetings.services import (
    access_meeting,
    do_generate_meetings,
    list_meetings,
    member_types,
)
from kasane.core.rules.runner import Rules
from kasane.core.tenancy import TenantContext
from kasane.core.web.templating import WEEKDAYS, render


def tenant_config(request: Request[Any, Any, Any]) -> TenantConfig:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant.config


async def calendar_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    month: str | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    config = tenant_config(request)
    today = today_jst()
    first = page.month_bounds(month, today)
    after = page.add_months(first, 1)
    # Regular meetings exist once someone looks: generate the shown range (never the past,
    # which would invent meetings that were not held) and the "my meetings" window.
    upto = max(after + page.GENERATE_MARGIN, today + timedelta(days=page.UPCOMING_DAYS + 1))
    if request.scope["state"]["tenant"].writable:
        await do_generate_meetings(session, config, max(first - page.GENERATE_MARGIN, today), upto)
    shown = await list_meetings(
        session, actor, config, start=page.jst_start(first), end=page.jst_start(after)
    )
    upcoming = await list_meetings(
        session,
        actor,
        config,
        start=datetime.now(JST),
        end=page.jst_start(today + timedelta(days=page.UPCOMING_DAYS + 1)),
    )
    types = member_types(config, actor)
    default_time = next((m.cadence.time for m in types if m.cadence.time), None) or "14:00"
    return render(
        request,
        "meetings/calendar",
        {
            "first": first,
            "month": first.strftime("%Y-%m"),
            "prev": page.add_months(first, -1).strftime("%Y-%m"),
            "next": after.strftime("%Y-%m"),
            "days": page.by_day(page.rows_of(shown, config)),
            "upcoming": page.rows_of(upcoming, config),
            "types": types,
            "weekdays": WEEKDAYS,
            "statuses": MEETING_STATUSES,
            "form": forms.calendar_form(types),
            "values": values or {"new-date": "", "new-time": default_time},
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def meeting_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    meeting_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    refused: forms.Refused | None = None,
) -> Response[str]:
    """The meeting page; after a refusal, the same page with the reason and what was typed."""
    config = tenant_config(request)
    meeting, mt = await access_meeting(session, actor, config, meeting_id)
    do_audit_read(session, actor.ref, "meeting.read", f"meeting:{meeting.id}")
    rules = Rules.of(request.scope["state"]["tenant"])
    ctx = await page.page_context(session, config, meeting, mt, today_jst(), rules)
    ctx.update(
        values=values or {},
        errors=refused.errors if refused else {},
        alert=refused.alert if refused else "",
    )
    return render(request, "meetings/page", ctx, status_code=422 if refused else 200)


async def get_agenda_item(
    session: AsyncSession, meeting: Meeting, item_id: uuid.UUID
) -> AgendaItem:
    item = (
        await session.execute(
            select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound("agenda item")
    return item


def parse_uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID((text or "").strip())
    except ValueError:
        return None
