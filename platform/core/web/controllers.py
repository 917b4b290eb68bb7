"""Staff shell: home (my work), the town's page (its counters, meetings, menus), staff
directory, language."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from kasane.core.audit.services import do_audit
from kasane.core.auth.permissions import ROLE_LABELS, needs
from kasane.core.auth.services import get_account, list_accounts
from kasane.core.cases.records import NOTE_KINDS
from kasane.core.cases.worklist import my_work
from kasane.core.japan_time import today_jst
from kasane.core.meetings.models import AGENDA_KINDS
from kasane.core.referrals.models import STATUSES as REFERRAL_STATUSES
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.language import LANG_COOKIE as LANG_COOKIE
from kasane.core.web.language import set_language as set_language
from kasane.core.web.templating import render


class StaffShellController(Controller):
    """Pages every logged-in staff member sees. All need a login on this tenant."""

    path = "/"
    opt = needs("tenant:staff:read")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="home", opt=needs("account:session:use"))
    async def home(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """My work: the active agency's cases, monitoring, referrals, meetings, activity."""
        today = today_jst()
        work = await my_work(db_session, actor, request.scope["state"]["tenant"].config, today)
        if work.shown_case_ids:
            await do_audit(
                db_session, actor.ref, "case.list", "", shown=work.shown_case_ids, view="home"
            )
        return render(
            request,
            "home",
            {
                "work": work,
                "today": today,
                "referral_statuses": REFERRAL_STATUSES,
                "agenda_kinds": AGENDA_KINDS,
                "note_kinds": NOTE_KINDS,
            },
        )

    @get("/town", name="town", opt=needs("account:session:use"))
    async def town(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        """The town's introduction: its counters, meetings, participation menus, stages."""
        return render(request, "town")

    @get("/staff", name="staff_list")
    async def staff_list(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        accounts = await list_accounts(db_session)
        return render(request, "staff_list", {"accounts": accounts, "role_labels": ROLE_LABELS})

    @get("/staff/{account_id:uuid}", name="staff_detail")
    async def staff_detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        account_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        account = await get_account(db_session, account_id)
        return render(request, "staff_detail", {"account": account, "role_labels": ROLE_LABELS})
