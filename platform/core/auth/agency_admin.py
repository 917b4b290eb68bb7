"""``/admin/agencies``: the plugin's agencies (read-only) and the admin's own — add, rename,
deactivate, reactivate. Needs ``tenant:agencies:manage`` (enforced by ``requires_login``).

After a change the tenant resolver forgets the tenant, so the next request's
``TenantContext.config`` has the new list (pickers, names, the invitation form).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.agencies import (
    FIELDS,
    KINDS,
    AgencyForm,
    agency_problems,
    do_add_agency,
    do_set_agency_active,
    do_update_agency,
    get_local_agency,
    list_local_agencies,
)
from kasane.core.auth.permissions import needs
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login
from kasane.core.web.templating import render

LOGIN = {"actor": Provide(requires_login)}
DONE: dict[str, str] = {
    "added": N_("The agency was added."),
    "saved": N_("The agency was saved."),
    "deactivated": N_("The agency was deactivated: it is no longer offered anywhere."),
    "reactivated": N_("The agency was reactivated."),
}


def _tenant(request: Request[Any, Any, Any]) -> TenantContext:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant


async def _page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    status: int = 200,
    **state: Any,
) -> Response[str]:
    tenant = _tenant(request)
    return render(
        request,
        "admin/agencies",
        {
            "plugin_agencies": tenant.plugin_config.agencies,
            "local_agencies": await list_local_agencies(session),
            "fields": FIELDS,
            "kinds": KINDS,
            "new": state.get("new", AgencyForm()),
            "new_errors": state.get("new_errors", {}),
            "edit_id": state.get("edit_id"),
            "edit": state.get("edit"),
            "edit_errors": state.get("edit_errors", {}),
            "done": state.get("done"),
            "done_messages": DONE,
        },
        status_code=status,
        fragment=False,
    )


def _changed(request: Request[Any, Any, Any], done: str) -> Response[Any]:
    request.app.state.resolver.forget(_tenant(request).slug)
    back = request.query_params.get("back") or ""
    if back.startswith("/admin/setup/"):  # the first-run setup's step (never another site)
        return Redirect(f"{back}?done=agency-{done}", status_code=303)
    return Redirect(f"/admin/agencies?done={done}", status_code=303)


@get(
    "/admin/agencies",
    name="admin_agencies",
    dependencies=LOGIN,
    opt=needs("tenant:agencies:manage"),
)
async def admin_agencies(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    done = request.query_params.get("done")
    return await _page(request, db_session, done=done if done in DONE else None)


@post(
    "/admin/agencies",
    name="admin_agency_add",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:agencies:manage"),
)
async def admin_agency_add(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    form = AgencyForm.of(data)
    plugin_keys = {a.key for a in _tenant(request).plugin_config.agencies}
    local_keys = {a.key for a in await list_local_agencies(db_session)}
    if not form.key and request.query_params.get("back"):
        # the first-run setup lets the key be made: agency-1, agency-2 …
        n = 1
        while f"agency-{n}" in plugin_keys | local_keys:
            n += 1
        form.key = f"agency-{n}"
    problems = agency_problems(form, plugin_keys=plugin_keys, local_keys=local_keys, new=True)
    if problems:
        errors = {k: _(v) for k, v in problems.items()}
        return await _page(request, db_session, status=422, new=form, new_errors=errors)
    await do_add_agency(db_session, form, actor=actor.ref)
    return _changed(request, "added")


@post(
    "/admin/agencies/{agency_id:uuid}",
    name="admin_agency_update",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:agencies:manage"),
)
async def admin_agency_update(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    agency_id: FromPath[uuid.UUID],
    data: FormBody,
) -> Response[Any]:
    """Rename (or re-file) one of the admin's agencies; the key stays."""
    row = await get_local_agency(db_session, agency_id)
    form = AgencyForm.of({**data, "key": row.key})
    problems = agency_problems(form, plugin_keys=set(), local_keys=set(), new=False)
    if problems:
        errors = {k: _(v) for k, v in problems.items()}
        return await _page(
            request, db_session, status=422, edit_id=row.id, edit=form, edit_errors=errors
        )
    await do_update_agency(db_session, row, form, actor=actor.ref)
    return _changed(request, "saved")


@post(
    "/admin/agencies/{agency_id:uuid}/deactivate",
    name="admin_agency_deactivate",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:agencies:manage"),
)
async def admin_agency_deactivate(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    agency_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _set_active(request, db_session, actor, agency_id, active=False)


@post(
    "/admin/agencies/{agency_id:uuid}/reactivate",
    name="admin_agency_reactivate",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:agencies:manage"),
)
async def admin_agency_reactivate(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    agency_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _set_active(request, db_session, actor, agency_id, active=True)


async def _set_active(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    agency_id: uuid.UUID,
    *,
    active: bool,
) -> Response[Any]:
    row = await get_local_agency(db_session, agency_id)
    await do_set_agency_active(db_session, row, active, actor=actor.ref)
    return _changed(request, "reactivated" if active else "deactivated")


ROUTES: list[Any] = [
    admin_agencies,
    admin_agency_add,
    admin_agency_update,
    admin_agency_deactivate,
    admin_agency_reactivate,
]
