"""Staff pages for community building and the gap list.

``/community``: the activity log, forms to add a place and record an activity, and the
indicators per area for this month and the two before (拠点数, 参加者数, 参加機関数;
every month is in the fiscal-year report), and the head of the gap list.
``/gaps``: 社会資源の充足状況, the unmet needs by category and area; ``/gaps/summary`` its
head, which meeting pages load with htmx. All need a login; a refused entry re-renders the
page with the message, status 422.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.permissions import needs
from kasane.core.cases.case_page import tenant_config
from kasane.core.cases.services import CaseRuleError
from kasane.core.community.models import AGE_BANDS
from kasane.core.community.services import (
    GAP_LABELS,
    PLACE_KIND_LABELS,
    SOURCE_LABELS,
    do_add_place,
    do_record_activity,
    gap_overview,
    indicators,
    list_places,
    recent_activities,
)
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.reports.facts import add_months
from kasane.core.reports.periods import fiscal_year_of
from kasane.core.web.deps import Actor, DbSession, Form, requires_login, requires_writable
from kasane.core.web.templating import render

BAD_DATE = N_("Enter a valid date.")
BAD_NUMBER = N_("Participant numbers must be whole numbers.")
SUMMARY_LINES = 8  # the head of the gap list that 地域づくり and meetings show


RECENT_MONTHS = 3  # the months of indicators the page shows: the reports have every month


def recent_months_start(today: date) -> date:
    """The first day of the earliest of the page's ``RECENT_MONTHS`` months (this one too)."""
    return add_months(today.replace(day=1), 1 - RECENT_MONTHS)


async def _gap_summary(session: AsyncSession) -> dict[str, Any]:
    lines = await gap_overview(session)
    return {
        "gap_lines": lines[:SUMMARY_LINES],
        "gap_count": len(lines),
        "labels": GAP_LABELS,
        "sources": SOURCE_LABELS,
    }


async def _community_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    alert: str = "",
    status_code: int = 200,
) -> Response[str]:
    places = await list_places(session)
    today = today_jst()
    return render(
        request,
        "community/community",
        {
            "places": places,
            "place_names": {p.id: p.name for p in places},
            "activities": await recent_activities(session),
            "indicators": await indicators(session, since=recent_months_start(today)),
            "fiscal_year": fiscal_year_of(today),
            "kinds": PLACE_KIND_LABELS,
            "today": today,
            "alert": alert,
            **await _gap_summary(session),
        },
        status_code=status_code,
        fragment=False,
    )


def _int(value: Any) -> int:
    text = str(value or "0").strip() or "0"
    if not text.isdigit():
        raise CaseRuleError(BAD_NUMBER)
    return int(text)


class PlaceForm(msgspec.Struct):
    name: str = ""
    kind: str = ""
    area_key: str = ""


class CommunityController(Controller):
    """地域づくり pages and the gap list. All need a login."""

    path = "/"
    opt = needs("community:activities")
    dependencies = {"actor": Provide(requires_login)}

    @get("/community", name="community")
    async def community(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """Activity log, entry forms and indicators per area and month."""
        return await _community_page(request, db_session)

    async def _refused(
        self, request: Request[Any, Any, Any], session: AsyncSession, exc: CaseRuleError
    ) -> Response[str]:
        await session.rollback()
        return await _community_page(request, session, alert=_(str(exc)), status_code=422)

    @post("/community/places", name="community_place_add", status_code=200)
    async def add_place(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        data: Form[PlaceForm],
    ) -> Response[Any]:
        """Add a place (拠点)."""
        requires_writable(request)
        try:
            if data.area_key and tenant_config(request).area(data.area_key) is None:
                raise CaseRuleError(N_("Choose an area of this town."))
            await do_add_place(
                db_session,
                actor,
                name=data.name,
                kind=data.kind,
                area_key=data.area_key or None,
            )
        except CaseRuleError as exc:
            return await self._refused(request, db_session, exc)
        return Redirect("/community", status_code=303)

    @post("/community/activities", name="community_activity_add", status_code=200)
    async def add_activity(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        """Record an activity: date, participants by age band, agencies taking part."""
        requires_writable(request)
        data = await request.form()
        known = {a.key for a in tenant_config(request).agencies}
        try:
            try:
                place_id = uuid.UUID(str(data.get("place_id") or ""))
                held_on = date.fromisoformat(str(data.get("held_on") or ""))
            except ValueError:
                raise CaseRuleError(
                    BAD_DATE if data.get("place_id") else N_("Choose the place.")
                ) from None
            await do_record_activity(
                db_session,
                actor,
                place_id=place_id,
                held_on=held_on,
                counts={band: _int(data.get(band)) for band in AGE_BANDS},
                agencies=[a for a in data.getall("agencies", []) if a in known],
            )
        except NotFound:
            return await self._refused(request, db_session, CaseRuleError(N_("Choose the place.")))
        except CaseRuleError as exc:
            return await self._refused(request, db_session, exc)
        return Redirect("/community#activities", status_code=303)

    @get("/gaps", name="gaps", opt=needs("gaps:list:read"))
    async def gaps(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """社会資源の充足状況: unmet needs by category and area."""
        return render(
            request,
            "gaps/gaps",
            {
                "lines": await gap_overview(db_session),
                "labels": GAP_LABELS,
                "sources": SOURCE_LABELS,
            },
            fragment=False,
        )

    @get("/gaps/summary", name="gaps_summary", opt=needs("gaps:list:read"))
    async def gaps_summary(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """The most frequent gaps (htmx: the table alone, for a meeting page)."""
        return render(request, "gaps/summary", await _gap_summary(db_session))


ROUTES: list[Any] = [CommunityController]
