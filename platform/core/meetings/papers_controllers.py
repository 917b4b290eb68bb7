"""Printable meeting papers (HTML and PDF) and the staff member's iCalendar feed.

``/meetings/{id}/papers`` and ``/meetings/{id}/papers.pdf`` are for the meeting's members
(``access_meeting``: anyone else gets the 404 of a missing id). ``/calendar/feed`` lets a
logged-in staff member make a personal feed URL; ``/calendar/{token}.ics`` is fetched by
calendar apps without a login — the token is the credential, looked up in the tenant's own
session, so a token only ever works on the host of the tenant that issued it.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.errors import NotFound
from kasane.core.japan_time import today_jst
from kasane.core.meetings.papers import (
    Papers,
    calendar_feed,
    do_issue_calendar_token,
    do_revoke_calendar_token,
    get_calendar_account,
    has_calendar_token,
    meeting_papers,
    render_pdf,
)
from kasane.core.meetings.services import access_meeting
from kasane.core.web.deps import (
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render

PRIVATE = {"Cache-Control": "no-store"}  # papers and feed URLs stay out of every cache


async def _papers(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    meeting_id: uuid.UUID,
    output: str,
) -> Papers:
    tenant = requires_tenant(request)
    meeting, mt = await access_meeting(session, actor, tenant.config, meeting_id)
    return await meeting_papers(
        session, actor, tenant.config, meeting, mt, municipality=tenant.name, output=output
    )


@get(
    "/meetings/{meeting_id:uuid}/papers",
    name="meeting_papers",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("meeting:meetings:read"),
)
async def papers_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    meeting_id: FromPath[uuid.UUID],
) -> Response[str]:
    """The agenda and minutes of one meeting, laid out for A4 printing."""
    papers = await _papers(request, db_session, actor, meeting_id, "html")
    response = render(request, "meetings/papers", {"papers": papers, "pdf": False})
    response.headers.update(PRIVATE)
    return response


@get(
    "/meetings/{meeting_id:uuid}/papers.pdf",
    name="meeting_papers_pdf",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("meeting:meetings:read"),
)
async def papers_pdf(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    meeting_id: FromPath[uuid.UUID],
) -> Response[bytes]:
    """The same papers as a PDF (WeasyPrint in a worker thread)."""
    papers = await _papers(request, db_session, actor, meeting_id, "pdf")
    return await pdf_page(
        request, "meetings/papers_pdf", {"papers": papers, "pdf": True}, papers.filename
    )


async def pdf_page(
    request: Request[Any, Any, Any], template: str, context: dict[str, Any], filename: str
) -> Response[bytes]:
    """``template`` rendered as an A4 PDF answer, never stored by a browser or a proxy
    (the meeting papers, the case's printable sheets)."""
    html = render(request, template, context, fragment=False).content
    pdf = await render_pdf(str(html))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', **PRIVATE},
    )


class CalendarFeedController(Controller):
    """Where a staff member makes (or stops) their personal meetings feed."""

    path = "/calendar"
    opt = needs("meeting:meetings:read")
    dependencies = {"actor": Provide(requires_login)}

    @get("/feed", name="calendar_feed_page")
    async def feed_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        ctx = {"has_feed": await has_calendar_token(db_session, actor), "feed_url": None}
        return render(request, "meetings/calendar_feed", ctx)

    @post("/token", name="calendar_token", status_code=200)
    async def token(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        data: FormBody,
    ) -> Response[str]:
        """Make a new feed URL (the old one stops working) and show it once; or stop it."""
        requires_writable(request)
        feed_url = None
        if data.get("step") == "revoke":
            await do_revoke_calendar_token(db_session, actor)
        else:
            token = await do_issue_calendar_token(db_session, actor)
            settings = request.app.state.settings
            scheme = "https" if settings.secure_cookies else request.url.scheme
            host = request.headers.get("host", "")
            feed_url = f"{scheme}://{host}/calendar/{token}.ics"
        ctx = {"has_feed": feed_url is not None, "feed_url": feed_url}
        response = render(request, "meetings/calendar_feed", ctx)
        response.headers.update(PRIVATE)
        return response


@get("/calendar/{feed_file:str}", name="calendar_ics")
async def calendar_ics(
    request: Request[Any, Any, Any], db_session: DbSession, feed_file: FromPath[str]
) -> Response[bytes]:
    """``/calendar/{token}.ics`` — no login: calendar apps cannot log in."""
    tenant = requires_tenant(request)
    token, dot, suffix = feed_file.rpartition(".")
    if not dot or suffix != "ics":
        raise NotFound("calendar")
    account = await get_calendar_account(db_session, token)
    body = await calendar_feed(
        db_session,
        tenant.config,
        account,
        tenant_slug=tenant.slug,
        municipality=tenant.name,
        today=today_jst(),
    )
    return Response(
        body,
        media_type="text/calendar",  # Litestar adds the charset
        headers={
            "Content-Disposition": 'inline; filename="kasane-meetings.ics"',
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


ROUTES: list[Any] = [papers_page, papers_pdf, CalendarFeedController, calendar_ics]
