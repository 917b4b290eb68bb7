"""Staff pages for meetings: the month calendar, and one meeting's papers and forms.

Only agencies that sit on a meeting type see its meetings; anyone else gets the same 404
as for a missing meeting (``access_meeting``). Every read of a meeting's papers is audited.
A refused change comes back (422) with the reason and what was typed, and nothing of it
is saved.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.services import CaseRuleError
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.meetings import meeting_forms as forms
from kasane.core.meetings import meeting_page as page
from kasane.core.meetings.decisions import do_meeting_decision
from kasane.core.meetings.models import Meeting
from kasane.core.meetings.services import (
    MeetingRuleError,
    access_meeting,
    at_jst,
    do_add_case_to_agenda,
    do_add_outreach_to_agenda,
    do_cancel,
    do_create_meeting,
    do_record_attendance,
    do_record_discussion,
    do_record_minutes,
    do_reschedule,
    member_types,
)
from kasane.core.meetings.views import (
    calendar_response,
    get_agenda_item,
    meeting_response,
    parse_uuid,
    tenant_config,
)
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable

LIST_FIELDS = ("attend-present",)  # checkbox groups: what was typed is a list
NO_SUCH_CASE = N_(
    "There is no open case with that number that this meeting's agencies take part in."
)


class MeetingController(Controller):
    """Meetings of the types the actor's agency sits on. Every page needs a login."""

    path = "/meetings"
    opt = needs("meeting:meetings")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="meetings_calendar")
    async def calendar(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        month: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The month (JST) of my agency's meetings, my next meetings, and an ad hoc one."""
        return await calendar_response(request, db_session, actor, month)

    @post("/", name="meeting_create", status_code=200)
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        """Call an ad hoc meeting (e.g. a 支援会議 as needed)."""
        requires_writable(request)
        config = tenant_config(request)
        multi = await request.form()
        form = forms.calendar_form(member_types(config, actor))
        sub = forms.check_prefixed(form, multi, "new-")
        errors = {f"new-{k}": message for k, message in sub.errors.items()}
        v = sub.values
        if not errors:
            try:
                meeting = await do_create_meeting(
                    db_session,
                    actor,
                    config,
                    meeting_type_key=v["type"],
                    starts_at=at_jst(v["date"], v["time"]),
                    place=v["place"] or "",
                )
            except MeetingRuleError as exc:
                await db_session.rollback()
                errors["new-type"] = _(str(exc))
            else:
                return Redirect(f"/meetings/{meeting.id}", status_code=303)
        values = {f"new-{k}": raw for k, raw in sub.raw.items()}
        month = v["date"].strftime("%Y-%m") if isinstance(v["date"], date) else None
        return await calendar_response(
            request, db_session, actor, month, values=values, errors=errors, status_code=422
        )

    @get("/{meeting_id:uuid}", name="meeting_page")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """A meeting's papers: header, agenda, proposals, attendance, minutes, decisions."""
        return await meeting_response(request, db_session, actor, meeting_id)

    async def _change(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: ActorInfo,
        meeting_id: uuid.UUID,
        action: Any,
        anchor: str,
    ) -> Response[Any]:
        """Run ``action(meeting, mt, multi, config)``; redirect on success, or show the
        page again (422) with the refusal, after undoing anything it wrote."""
        requires_writable(request)
        config = tenant_config(request)
        meeting, mt = await access_meeting(session, actor, config, meeting_id)
        multi = await request.form()
        try:
            await action(meeting, mt, multi, config)
        except (forms.Refused, MeetingRuleError, CaseRuleError) as exc:
            await session.rollback()
            refused = exc if isinstance(exc, forms.Refused) else forms.Refused(alert=_(str(exc)))
            values = {
                k: multi.getall(k) if k in LIST_FIELDS else multi.get(k)
                for k in multi
                if k != "_csrf_token"
            }
            return await meeting_response(
                request, session, actor, meeting_id, values=values, refused=refused
            )
        return Redirect(f"/meetings/{meeting_id}#{anchor}", status_code=303)

    @post("/{meeting_id:uuid}/reschedule", name="meeting_reschedule", status_code=200)
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Move the meeting (date, time, place)."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            v = forms.checked(forms.meeting_forms(config, mt)["move"], multi, "move-")
            await do_reschedule(
                db_session,
                actor,
                meeting,
                at_jst(v["date"], v["time"]),
                v["place"] or "",
            )

        return await self._change(request, db_session, actor, meeting_id, action, "schedule")

    @post("/{meeting_id:uuid}/cancel", name="meeting_cancel", status_code=200)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Cancel the meeting, saying why."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            v = forms.checked(forms.meeting_forms(config, mt)["cancel"], multi, "cancel-")
            await do_cancel(db_session, actor, meeting, v["reason"])

        return await self._change(request, db_session, actor, meeting_id, action, "main")

    @post("/{meeting_id:uuid}/agenda", name="meeting_agenda_add", status_code=200)
    async def agenda_add(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Put a proposed case or outreach record (``case_id`` / ``outreach_id`` + ``kind``),
        or a case by number (``case-case_no`` + ``case-kind``), on the agenda."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            today = today_jst()
            if multi.get("outreach_id"):
                record = await page.eligible_outreach(
                    db_session, mt, parse_uuid(multi.get("outreach_id")) or uuid.UUID(int=0)
                )
                if record is None:
                    raise forms.Refused(
                        alert=_("That outreach record cannot be put on this agenda.")
                    )
                await do_add_outreach_to_agenda(db_session, actor, meeting, mt, record)
                return
            kinds = forms.case_kinds(mt)
            if multi.get("case_id"):
                kind = multi.get("kind") or ""
                case = await page.eligible_case(
                    db_session, mt, case_id=parse_uuid(multi.get("case_id")) or uuid.UUID(int=0)
                )
                if case is None or kind not in kinds:
                    raise forms.Refused(alert=_(NO_SUCH_CASE))
            else:
                v = forms.checked(forms.meeting_forms(config, mt)["case"], multi, "case-")
                kind = v["kind"]
                case = await page.eligible_case(db_session, mt, case_no=int(v["case_no"]))
                if case is None:
                    raise forms.Refused({"case-case_no": _(NO_SUCH_CASE)})
            await do_add_case_to_agenda(
                db_session,
                actor,
                meeting,
                mt,
                case,
                kind,
                today=today,
                proposed=bool(multi.get("case_id")),
            )

        return await self._change(request, db_session, actor, meeting_id, action, "agenda")

    @post("/{meeting_id:uuid}/attendance", name="meeting_attendance", status_code=200)
    async def attendance(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Which member agencies attended."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            v = forms.checked(forms.meeting_forms(config, mt)["attend"], multi, "attend-")
            chosen = set(v["present"])
            await do_record_attendance(
                db_session, actor, meeting, mt, {k: k in chosen for k in mt.members}
            )

        return await self._change(request, db_session, actor, meeting_id, action, "attendance")

    @post("/{meeting_id:uuid}/minutes", name="meeting_minutes", status_code=200)
    async def minutes(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The minutes (sealed; a マイナンバー is refused)."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            v = forms.checked(forms.meeting_forms(config, mt)["minutes"], multi, "minutes-")
            await do_record_minutes(db_session, actor, meeting, v["text"] or "")

        return await self._change(request, db_session, actor, meeting_id, action, "minutes")

    @post(
        "/{meeting_id:uuid}/items/{item_id:uuid}/decision",
        name="meeting_item_decision",
        status_code=200,
    )
    async def decision(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
        item_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """A decision on one agenda item, applied to the case (stage, lead, gap list)."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            item = await get_agenda_item(db_session, meeting, item_id)
            prefix = forms.item_prefix(item)
            v = forms.checked(forms.item_forms(config, mt)["decision"], multi, prefix)
            await do_meeting_decision(
                db_session,
                actor,
                config,
                meeting,
                mt,
                item,
                kind=v["kind"],
                today=min(page.meeting_day(meeting), today_jst()),
                note=v["note"] or "",
                lead_agency=v.get("lead"),
                add_agency=v.get("add"),
                gap_category=v.get("gap"),
                gap_area=v.get("area"),
            )

        return await self._change(request, db_session, actor, meeting_id, action, f"item-{item_id}")

    @post(
        "/{meeting_id:uuid}/items/{item_id:uuid}/discussion",
        name="meeting_item_discussion",
        status_code=200,
    )
    async def discussion(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        meeting_id: FromPath[uuid.UUID],
        item_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """What was said about one item (sealed)."""

        async def action(meeting: Meeting, mt: Any, multi: Any, config: TenantConfig) -> None:
            item = await get_agenda_item(db_session, meeting, item_id)
            prefix = forms.item_prefix(item)
            v = forms.checked(forms.item_forms(config, mt)["discussion"], multi, prefix)
            await do_record_discussion(db_session, actor, item, v["text"])

        return await self._change(request, db_session, actor, meeting_id, action, f"item-{item_id}")


ROUTES: list[Any] = [MeetingController]  # route handlers and controllers this module serves
