"""``/admin/setup``: the first-run setup a new town's admin walks after the first login.

A few screens — agencies, counters, areas, meetings, staff — each prefilled with what the
town has now (the national defaults for a new town), each skippable. Their forms post to the
admin pages' own routes (``/admin/agencies``, ``/admin/town/…``) with ``back`` set to the
step, so the checks, the audit and the messages are those pages' own.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from kasane.core.auth.agencies import FIELDS, KINDS
from kasane.core.auth.permissions import needs
from kasane.core.auth.services import list_accounts
from kasane.core.errors import NotFound
from kasane.core.tenancy import TenantContext
from kasane.core.town.forms import FREQUENCIES, LEGAL_BASES, NTHS
from kasane.core.town.setup import STEP_KEYS, STEPS, checklist, missing_text
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import WEEKDAYS, render

LOGIN = {"actor": Provide(requires_login)}


def _tenant(request: Request[Any, Any, Any]) -> TenantContext:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant


async def _context(request: Request[Any, Any, Any], db_session: DbSession) -> dict[str, Any]:
    config = _tenant(request).config
    staff = len([a for a in await list_accounts(db_session) if a.is_active])
    missing = checklist(config, staff=staff)
    return {
        "steps": STEPS,
        "missing": [(m, missing_text(m)) for m in missing],
        "open_steps": {m.step for m in missing},
        "staff_count": staff,
    }


@get("/admin/setup", name="admin_setup", dependencies=LOGIN, opt=needs("tenant:config:manage"))
async def admin_setup(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """The overview: every step, what is still missing, where to start."""
    return render(
        request,
        "admin/setup",
        {**await _context(request, db_session), "step": None, "done": None},
        fragment=False,
    )


@get(
    "/admin/setup/{step:str}",
    name="admin_setup_step",
    dependencies=LOGIN,
    opt=needs("tenant:config:manage"),
)
async def admin_setup_step(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, step: FromPath[str]
) -> Response[str]:
    if step not in STEP_KEYS:
        raise NotFound("setup_step")
    index = STEP_KEYS.index(step)
    return render(
        request,
        "admin/setup",
        {
            **await _context(request, db_session),
            "step": step,
            "step_title": STEPS[index][1],
            "step_help": STEPS[index][2],
            "next_step": STEP_KEYS[index + 1] if index + 1 < len(STEP_KEYS) else None,
            "next_title": STEPS[index + 1][1] if index + 1 < len(STEPS) else "",
            "back": f"/admin/setup/{step}",
            "done": request.query_params.get("done"),
            "fields": FIELDS,
            "kinds": KINDS,
            "legal_bases": LEGAL_BASES,
            "frequencies": FREQUENCIES,
            "nths": NTHS,
            "weekdays": WEEKDAYS,
        },
        fragment=False,
    )


ROUTES: list[Any] = [admin_setup, admin_setup_step]
