"""The language switch: a preference cookie, the same on every host (tenants, operator,
central). It holds no data and changes none."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

from kasane.core.i18n import LOCALES

LANG_COOKIE = "kasane_lang"


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
