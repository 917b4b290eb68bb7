"""``/admin/import``: the tenant admin brings the caseload the town kept in Excel or kintone.

Upload → map columns (guessed, or a saved mapping) → check (the dry run: every problem by
row and column, proposed duplicates, what would be made) → import as one batch in the
background with a progress bar → undo while nobody has worked on it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.caseload.checking import MAX_SHOWN_PROBLEMS
from kasane.core.caseload.fields import FIELDS, guess_mapping
from kasane.core.caseload.models import CaseloadImport
from kasane.core.caseload.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB, UnreadableFile
from kasane.core.caseload.services import (
    CheckReport,
    ImportRefused,
    do_check,
    do_import,
    do_undo_import,
    do_upload,
    get_import,
    list_imports,
    list_mappings,
)
from kasane.core.db import Database
from kasane.core.db.claims import compare_and_set
from kasane.core.ephemeral import ephemeral_of
from kasane.core.i18n import N_
from kasane.core.japan_time import today_jst
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import (
    Actor,
    DbSession,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render

log = logging.getLogger("kasane.caseload")
LOGIN = {"actor": Provide(requires_login)}
PROGRESS = "caseload_import"  # ephemeral kind: {done, total, state} per batch
FORM_ALLOWANCE = 64 * 1024


def _too_large(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    return Response(
        "The file is larger than 50 MB.", status_code=413, media_type="text/plain; charset=utf-8"
    )


async def _index(
    request: Request[Any, Any, Any], db_session: DbSession, problem: str | None, status: int
) -> Response[str]:
    return render(
        request,
        "caseload/index",
        {
            "imports": await list_imports(db_session),
            "mappings": await list_mappings(db_session),
            "problem": problem,
            "max_mb": MAX_IMPORT_MB,
            "fields": FIELDS,
        },
        status_code=status,
    )


@get(
    "/admin/import",
    name="caseload_import_index",
    dependencies=LOGIN,
    opt=needs("tenant:data:import"),
)
async def import_index(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    return await _index(request, db_session, None, 200)


@post(
    "/admin/import",
    name="caseload_upload",
    dependencies=LOGIN,
    request_max_body_size=MAX_IMPORT_BYTES + FORM_ALLOWANCE,
    exception_handlers={RequestEntityTooLarge: _too_large},
    opt=needs("tenant:data:import"),
)
async def upload(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[Any]:
    """Keep the file (sealed) and go on to the column mapping."""
    requires_writable(request)
    form = await request.form()
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return await _index(request, db_session, N_("Choose a CSV or Excel file."), 422)
    raw = await upload_file.read()
    try:
        batch = await do_upload(db_session, actor, upload_file.filename, raw)
    except UnreadableFile as exc:
        return await _index(request, db_session, str(exc.args[0]), 422)
    mapping = form.get("mapping") or ""
    suffix = f"?mapping={quote(mapping)}" if isinstance(mapping, str) and mapping else ""
    return Redirect(f"/admin/import/{batch.id}{suffix}", status_code=303)


async def _batch_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    batch: CaseloadImport,
    *,
    mapping: dict[str, str] | None = None,
    report: CheckReport | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response[str]:
    progress = await ephemeral_of(request).get(
        PROGRESS, requires_tenant(request).slug, str(batch.id)
    )
    return render(
        request,
        "caseload/batch",
        {
            "batch": batch,
            "fields": FIELDS,
            "mapping": mapping
            if mapping is not None
            else (batch.mapping or guess_mapping(batch.headers)),
            "mappings": await list_mappings(db_session),
            "report": report,
            "max_shown": MAX_SHOWN_PROBLEMS,
            "problem": problem,
            "progress": progress,
        },
        status_code=status,
    )


@get(
    "/admin/import/{import_id:uuid}",
    name="caseload_batch",
    dependencies=LOGIN,
    opt=needs("tenant:data:import"),
)
async def batch_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    import_id: FromPath[uuid.UUID],
    mapping: FromQuery[str] = "",
) -> Response[str]:
    batch = await get_import(db_session, import_id)
    chosen = None
    if mapping:
        saved = next((m for m in await list_mappings(db_session) if m.name == mapping), None)
        chosen = dict(saved.mapping) if saved else None
    return await _batch_page(request, db_session, batch, mapping=chosen)


def _mapping_of(form: Any, headers: list[str]) -> dict[str, str]:
    return {h: str(form.get(f"col-{i}") or "") for i, h in enumerate(headers)}


@post(
    "/admin/import/{import_id:uuid}/check",
    name="caseload_check",
    dependencies=LOGIN,
    status_code=200,
    opt=needs("tenant:data:import"),
)
async def check(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    import_id: FromPath[uuid.UUID],
) -> Response[str]:
    """The dry run: every problem, proposed duplicates, what the import would make."""
    requires_writable(request)
    batch = await get_import(db_session, import_id)
    form = await request.form()
    mapping = _mapping_of(form, batch.headers)
    try:
        report = await do_check(
            db_session,
            actor,
            requires_tenant(request).config,
            batch,
            mapping,
            today_jst(),
            save_as=str(form.get("save_as") or ""),
        )
    except ImportRefused as exc:
        return await _batch_page(request, db_session, batch, problem=str(exc.args[0]), status=422)
    status = 200 if report.checked.ok else 422
    return await _batch_page(
        request, db_session, batch, mapping=batch.mapping, report=report, status=status
    )


@post(
    "/admin/import/{import_id:uuid}/run",
    name="caseload_run",
    dependencies=LOGIN,
    opt=needs("tenant:data:import"),
)
async def run(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    import_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Start the import in the background; the page shows its progress."""
    requires_writable(request)
    tenant = requires_tenant(request)
    batch = await get_import(db_session, import_id)
    if batch.status != "checked" or not batch.checked_ok:
        return await _batch_page(
            request,
            db_session,
            batch,
            problem=N_("Run the check first; the file can be imported once it has no problems."),
            status=422,
        )
    form = await request.form()
    links: dict[int, uuid.UUID] = {}
    for value in form.getall("link", []):
        row, _, person = str(value).partition(":")
        try:
            links[int(row)] = uuid.UUID(person)
        except ValueError:
            continue
    # consumed atomically: of two runs sent at once, one starts the import, the other is told
    if not batch.checked_ok or not await compare_and_set(
        db_session, CaseloadImport, batch.id, "checked", "importing"
    ):
        return await _batch_page(
            request,
            db_session,
            batch,
            problem=N_("Run the check first; the file can be imported once it has no problems."),
            status=422,
        )
    await db_session.commit()
    store = ephemeral_of(request)
    await store.put(
        PROGRESS,
        tenant.slug,
        str(batch.id),
        {"done": 0, "total": batch.rows_total, "state": "running"},
        3600,
    )
    tasks: set[asyncio.Task[None]] = request.app.state.setdefault("caseload_tasks", set())
    task = asyncio.create_task(
        _run_import(request.app.state.db, store, tenant, actor, batch.id, links)
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return Redirect(f"/admin/import/{batch.id}", status_code=303)


async def _run_import(
    db: Database,
    store: Any,
    tenant: TenantContext,
    actor: ActorInfo,
    import_id: uuid.UUID,
    links: dict[int, uuid.UUID],
) -> None:
    """The import's own transaction, reporting progress to the shared ephemeral store."""
    key = str(import_id)

    async def progress(done: int, total: int) -> None:
        await store.put(
            PROGRESS, tenant.slug, key, {"done": done, "total": total, "state": "running"}, 3600
        )

    try:
        async with db.session(tenant.id) as s:
            batch = await get_import(s, import_id)
            batch.status = "checked"  # do_import starts from a checked batch
            made = await do_import(s, actor, tenant.config, batch, today_jst(), links, progress)
        await store.put(
            PROGRESS,
            tenant.slug,
            key,
            {"done": made["cases"], "total": made["cases"], "state": "done"},
            3600,
        )
    except Exception:  # the transaction rolled back: nothing was imported
        log.exception("caseload import failed (tenant %s)", tenant.slug)
        async with db.session(tenant.id) as s:
            batch = await get_import(s, import_id)
            batch.status = "checked"
        await store.put(
            PROGRESS, tenant.slug, key, {"done": 0, "total": 0, "state": "failed"}, 3600
        )


@get(
    "/admin/import/{import_id:uuid}/progress",
    name="caseload_progress",
    dependencies=LOGIN,
    opt=needs("tenant:data:import"),
)
async def progress_fragment(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    import_id: FromPath[uuid.UUID],
) -> Response[str]:
    """htmx: the progress bar (polls itself while the import runs)."""
    batch = await get_import(db_session, import_id)
    progress = await ephemeral_of(request).get(
        PROGRESS, requires_tenant(request).slug, str(batch.id)
    )
    return render(
        request, "caseload/progress", {"batch": batch, "progress": progress}, fragment=True
    )


@post(
    "/admin/import/{import_id:uuid}/undo",
    name="caseload_undo",
    dependencies=LOGIN,
    opt=needs("tenant:data:import"),
)
async def undo(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    import_id: FromPath[uuid.UUID],
) -> Response[Any]:
    requires_writable(request)
    batch = await get_import(db_session, import_id)
    try:
        await do_undo_import(db_session, actor, batch)
    except ImportRefused as exc:
        return await _batch_page(request, db_session, batch, problem=str(exc.args[0]), status=422)
    return Redirect(f"/admin/import/{batch.id}", status_code=303)


ROUTES: list[Any] = [import_index, upload, batch_page, check, run, progress_fragment, undo]
