"""Staff shell: home (the tenant's own counters, meetings, menus), staff directory, language."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect

from kasane.core.auth.permissions import ROLE_LABELS
from kasane.core.auth.services import get_account, list_accounts
from kasane.core.i18n import LOCALES
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import render

LANG_COOKIE = "kasane_lang"


class StaffShellController(Controller):
    """Pages every logged-in staff member sees. All need a login on this tenant."""

    path = "/"
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="home")
    async def home(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        return render(request, "home")

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


@get("/lang/{code:str}", name="set_language")
async def set_language(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """Switch the UI language (a preference cookie; changes no data)."""
    back = request.headers.get("referer", "/")
    host = request.headers.get("host", "")
    if f"//{host}/" not in back + "/" and not back.startswith("/"):
        back = "/"
    response: Response[Any] = Redirect(back if code in LOCALES else "/")
    if code in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="lax",
            path="/",
            secure=request.app.state.settings.secure_cookies,
        )
    return response
