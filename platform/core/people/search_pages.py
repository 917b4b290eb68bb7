"""``/search``: the header's search (htmx, live) and its results page (works without script)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import Provide
from litestar.params import FromQuery

from kasane.core.auth.permissions import needs
from kasane.core.people.search import search
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import htmx_of, render


@get(
    "/search",
    name="search",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("account:session:use"),
)
async def search_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    q: FromQuery[str | None] = None,
) -> Response[str]:
    """People and cases matching ``q`` within need-to-know; the header's live list for htmx."""
    result = await search(db_session, actor, q or "")
    ctx = {"result": result}
    if htmx_of(request).target == "search-live":
        return render(request, "search/live", ctx, fragment=True)
    return render(request, "search/search", ctx)
