"""``/admin/export``: the tenant admin downloads the full export, cancelled or not.

Two steps, no server-side state: the first POST makes a fresh export key and shows it (the
page is ``no-store``); the admin writes it down, confirms, and the second POST — carrying
the key back — streams the zip sealed with it. The key is never stored: lose it and the
export's sealed fields cannot be imported. The path is in ``ALWAYS_OPEN`` (``kasane.app``)
so a cancelled tenant's admin can still take their data ("export offered").
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import Provide
from litestar.response import File

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import JST
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login, requires_tenant
from kasane.core.web.templating import render
from kasane.tenants.models import Tenant
from kasane.tenants.portability.export import do_export_tenant_zip
from kasane.tenants.portability.export_key import (
    ExportKeyInvalid,
    format_export_key,
    new_export_key,
    parse_export_key,
)
from kasane.tenants.portability.layout import table_files

NO_STORE = {"Cache-Control": "no-store"}


async def _page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: ActorInfo,
    *,
    export_key: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response[str]:
    row = await db_session.get(Tenant, actor.tenant_id)
    assert row is not None  # the actor's own tenant
    response = render(
        request,
        "admin/export",
        {"row": row, "table_count": len(table_files()), "export_key": export_key, "error": error},
        status_code=status,
        fragment=False,
    )
    response.headers.update(NO_STORE)  # the key must not stay in a cache
    return response


@get(
    "/admin/export",
    name="admin_export",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:data:export"),
)
async def admin_export(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """What the export holds, and the button that makes its key."""
    return await _page(request, db_session, actor)


@post(
    "/admin/export",
    name="admin_export_run",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:data:export"),
)
async def admin_export_run(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    """Step 1 (no key in the form): show a fresh key. Step 2: the zip sealed with it."""
    tenant = requires_tenant(request)
    given = (data.get("export_key") or "").strip()
    if not given:
        return await _page(
            request, db_session, actor, export_key=format_export_key(new_export_key())
        )
    try:
        key = parse_export_key(given)
    except ExportKeyInvalid:
        # Only a tampered form gets here: start again with a fresh key.
        return await _page(
            request,
            db_session,
            actor,
            export_key=format_export_key(new_export_key()),
            error=_("The export key was damaged. Write down this new key instead."),
            status=422,
        )
    if data.get("key_saved") != "yes":
        return await _page(
            request,
            db_session,
            actor,
            export_key=format_export_key(key),
            error=_("Confirm that you have written down the export key"),
            status=422,
        )
    scratch = Path(tempfile.mkdtemp(prefix="kasane-export-"))
    stamp = datetime.now(JST).strftime("%Y%m%d-%H%M")
    name = f"kasane-export-{tenant.slug}-{stamp}.zip"
    try:
        await do_export_tenant_zip(
            request.app.state.db, actor.tenant_id, scratch / name, actor.ref, key
        )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return File(
        scratch / name,
        filename=name,
        media_type="application/zip",
        headers=NO_STORE,
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


ROUTES: list[Any] = [admin_export, admin_export_run]
