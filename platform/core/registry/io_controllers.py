"""HSDS export (a JSON download) and import (a file or pasted JSON) for staff.

An import is previewed first: the file is checked and kept as an
:class:`~.models.ImportBatch` whose page shows what it would create, update and keep
verbatim; the editor then imports it as one batch, or discards it. The latest committed
batch can be undone from its page (decision 0026).

The import reads at most :data:`~.hsds_input.MAX_IMPORT_MB` MB nested at most
:data:`~.hsds_input.MAX_DEPTH` deep (:mod:`.hsds_input`); beyond either it answers 422 with
the page and a message naming the field, never a 500."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from kasane.core.audit.services import do_audit
from kasane.core.auth.permissions import needs
from kasane.core.db.claims import compare_and_set
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import JST
from kasane.core.protection.mynumber import MYNUMBER_MESSAGE
from kasane.core.registry.graph import load_graph
from kasane.core.registry.hsds import export_dataset
from kasane.core.registry.hsds_import import check_dataset, import_dataset
from kasane.core.registry.hsds_input import (
    FORM_ALLOWANCE,
    MAX_DEPTH,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_MB,
    check_json,
    too_large,
)
from kasane.core.registry.hsds_records import ImportReport, Problem
from kasane.core.registry.hsds_undo import UndoRefused, latest_committed, undo_batch
from kasane.core.registry.models import ImportBatch
from kasane.core.web.deps import (
    Actor,
    DbSession,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render

LIMITS = {"max_mb": MAX_IMPORT_MB, "max_depth": MAX_DEPTH}
RECENT_BATCHES = 10
BATCH_STATES = {
    "preview": N_("Waiting for the go"),
    "committed": N_("Imported"),
    "undone": N_("Undone"),
    "discarded": N_("Discarded"),
}
ROW_ACTIONS = {
    "create": N_("Create"),
    "update": N_("Update"),
    "unchanged": N_("Leave as it is"),
    "skipped": N_("Skip (problem)"),
}


def _too_large_body(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    """A body over the limit is refused before it is read (by the CSRF check's form parse
    or the handler's): the page again, 422, saying so. Only the empty form and the message
    are shown, so answering before the login check gives nobody anything."""
    csrf = request.app.csrf_config
    token = request.cookies.get(csrf.cookie_name, "") if csrf else ""
    report = ImportReport(problems=[too_large("file / json")])
    ctx = {"report": report, "pasted": "", "dry_run": True, "partial": False, **LIMITS}
    ctx |= {"batches": [], "batch_states": BATCH_STATES}
    return render(request, "registry/import", {**ctx, "csrf_token": token}, status_code=422)


class RegistryIOController(Controller):
    """Export and import of the whole registry in HSDS 3.0 JSON."""

    path = "/registry"
    opt = needs("registry:resources:import")
    dependencies = {"actor": Provide(requires_login)}

    @get("/export.json", name="registry_export", opt=needs("registry:resources:read"))
    async def export(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[bytes]:
        """Every organization, service, location … of this tenant as one HSDS dataset."""
        tenant = requires_tenant(request)
        base = str(request.base_url).rstrip("/")
        dataset = export_dataset(await load_graph(db_session), base)
        await do_audit(
            db_session,
            actor.ref,
            "registry.export",
            "registry",
            organizations=len(dataset["organizations"]),
        )
        stamp = datetime.now(JST).strftime("%Y%m%d")
        body = json.dumps(dataset, ensure_ascii=False, indent=2).encode()
        return Response(
            body,
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="registry-{tenant.slug}-{stamp}.json"'
            },
        )

    @get("/import", name="registry_import_page")
    async def import_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        ctx: dict[str, Any] = {
            "report": None,
            "pasted": "",
            "dry_run": False,
            "partial": False,
            **LIMITS,
        }
        ctx["batches"] = await _recent(db_session)
        ctx["batch_states"] = BATCH_STATES
        return render(request, "registry/import", ctx)

    @post(
        "/import",
        name="registry_import",
        status_code=200,
        request_max_body_size=MAX_IMPORT_BYTES + FORM_ALLOWANCE,
        exception_handlers={RequestEntityTooLarge: _too_large_body},
    )
    async def do_import(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """Validate and import an uploaded file or pasted JSON; show each problem with its
        record and field. Nothing is imported when a record has a problem, unless
        "import the valid records" was chosen; "check only" imports nothing."""
        requires_writable(request)
        tenant = requires_tenant(request)
        form = await request.form()
        upload = form.get("file")
        pasted = (form.get("json") or "").strip()
        dry_run = form.get("dry_run") == "on"
        partial = form.get("partial") == "on"
        report = ImportReport()
        data, problem = await _read_json(upload, pasted)
        area_keys = {a.key for a in tenant.config.areas}
        if problem is not None:
            report.problems.append(problem)
        elif dry_run:
            report = await import_dataset(
                db_session, data, actor=actor.ref, area_keys=area_keys, dry_run=True
            )
        else:
            _c, report = await check_dataset(db_session, data, area_keys)
            mynumber = any(p.message == _(MYNUMBER_MESSAGE) for p in report.problems)
            if (not report.problems or partial) and not mynumber:
                # kept until the editor imports or discards it (its page shows the plan)
                name = upload.filename if isinstance(upload, UploadFile) else ""
                batch = await _save_preview(db_session, actor.ref, report, data, name, partial)
                return Redirect(f"/registry/import/batches/{batch.id}", status_code=303)
        ctx = {
            "report": report,
            "pasted": pasted if len(pasted) < 200_000 else "",
            "dry_run": dry_run,
            "partial": partial,
            "batches": await _recent(db_session),
            "batch_states": BATCH_STATES,
            **LIMITS,
        }
        status = 422 if report.problems and not report.imported else 200
        return render(request, "registry/import", ctx, status_code=status)

    @get("/import/batches/{batch_id:uuid}", name="registry_import_batch")
    async def batch_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        batch_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """A previewed import (what it would do, and the buttons to import or discard it)
        or a committed one (what it did, and undo while it is the latest)."""
        batch = await _batch(db_session, batch_id)
        return await _batch_response(request, db_session, batch)

    @post(
        "/import/batches/{batch_id:uuid}/commit",
        name="registry_import_commit",
        status_code=200,
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        batch_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """Import a previewed batch, as one transaction; checked again against the registry
        as it is now."""
        requires_writable(request)
        tenant = requires_tenant(request)
        batch = await _batch(db_session, batch_id)
        # consumed atomically: of two commits sent at once, one imports, the other is told
        if not await compare_and_set(db_session, ImportBatch, batch.id, "preview", "committed"):
            await db_session.refresh(batch)
            return await _batch_response(request, db_session, batch, status_code=409)
        form = await request.form()
        report = await import_dataset(
            db_session,
            batch.data,
            actor=actor.ref,
            area_keys={a.key for a in tenant.config.areas},
            partial=batch.partial,
            updates=form.get("updates") == "on",
            batch=batch,
        )
        if not report.imported:  # nothing was written: the preview stays to be fixed
            await compare_and_set(db_session, ImportBatch, batch.id, "committed", "preview")
            return await _batch_response(request, db_session, batch, status_code=422)
        return Redirect(f"/registry/import/batches/{batch.id}", status_code=303)

    @post(
        "/import/batches/{batch_id:uuid}/discard",
        name="registry_import_discard",
        status_code=200,
    )
    async def discard(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        batch_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        requires_writable(request)
        batch = await _batch(db_session, batch_id)
        if await compare_and_set(
            db_session, ImportBatch, batch.id, "preview", "discarded", data=None
        ):
            await do_audit(
                db_session, actor.ref, "registry.import.discard", f"import_batch:{batch.id}"
            )
        return Redirect("/registry/import", status_code=303)

    @post(
        "/import/batches/{batch_id:uuid}/undo",
        name="registry_import_undo",
        status_code=200,
    )
    async def undo(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        batch_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """Reverse the latest import: what it created is deleted, what it updated is put
        back (refused, with the reason, when that would lose later work)."""
        requires_writable(request)
        batch = await _batch(db_session, batch_id)
        try:
            await undo_batch(db_session, batch, actor=actor.ref)
        except UndoRefused as refused:
            return await _batch_response(
                request, db_session, batch, status_code=409, refused=str(refused)
            )
        return Redirect(f"/registry/import/batches/{batch.id}", status_code=303)


async def _read_json(upload: Any, pasted: str) -> tuple[Any, Problem | None]:
    """The JSON of the uploaded file (else of the pasted text), or the problem with it."""
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read()
        if len(raw) > MAX_IMPORT_BYTES:
            return None, too_large("file")
        text = raw.decode("utf-8-sig", errors="replace")
        return check_json(text, "file")
    if pasted:
        return check_json(pasted, "json")
    return None, Problem("dataset", "$", "file", _("Choose a file or paste the JSON."))


async def _save_preview(
    session: Any, actor: str, report: ImportReport, data: Any, name: str, partial: bool
) -> ImportBatch:
    """Keep a checked dataset as a batch waiting for the go (audited)."""
    batch = ImportBatch(
        status="preview",
        source=(name or _("Pasted JSON"))[:200],
        data=data,
        partial=partial,
        created_by=actor[:80],
        summary={"created": report.created, "updated": report.updated},
    )
    session.add(batch)
    await session.flush()
    await do_audit(session, actor, "registry.import.preview", f"import_batch:{batch.id}")
    return batch


async def _recent(session: Any) -> list[ImportBatch]:
    stmt = (
        select(ImportBatch)
        .where(ImportBatch.status != "discarded")
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(RECENT_BATCHES)
    )
    return list((await session.execute(stmt)).scalars())


async def _batch(session: Any, batch_id: uuid.UUID) -> ImportBatch:
    found: ImportBatch | None = (
        await session.execute(select(ImportBatch).where(ImportBatch.id == batch_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


async def _batch_response(
    request: Request[Any, Any, Any],
    session: Any,
    batch: ImportBatch,
    *,
    status_code: int = 200,
    refused: str = "",
) -> Response[str]:
    report = None
    if batch.status == "preview":
        tenant = requires_tenant(request)
        _c, report = await check_dataset(session, batch.data, {a.key for a in tenant.config.areas})
    latest = await latest_committed(session)
    ctx = {
        "batch": batch,
        "report": report,
        "undoable": batch.status == "committed" and latest is not None and latest.id == batch.id,
        "refused": refused,
        "row_actions": ROW_ACTIONS,
    }
    return render(request, "registry/import_batch", ctx, status_code=status_code)
