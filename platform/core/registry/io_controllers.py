"""HSDS export (a JSON download) and import (a file or pasted JSON) for staff.

The import reads at most :data:`~.hsds_input.MAX_IMPORT_MB` MB nested at most
:data:`~.hsds_input.MAX_DEPTH` deep (:mod:`.hsds_input`); beyond either it answers 422 with
the page and a message naming the field, never a 500."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from kasane.core.audit.services import do_audit
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import JST
from kasane.core.registry.graph import load_graph
from kasane.core.registry.hsds import export_dataset
from kasane.core.registry.hsds_import import ImportReport, Problem, import_dataset
from kasane.core.registry.hsds_input import (
    FORM_ALLOWANCE,
    MAX_DEPTH,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_MB,
    check_json,
    too_large,
)
from kasane.core.web.deps import (
    Actor,
    DbSession,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render

LIMITS = {"max_mb": MAX_IMPORT_MB, "max_depth": MAX_DEPTH}


def _too_large_body(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    """A body over the limit is refused before it is read (by the CSRF check's form parse
    or the handler's): the page again, 422, saying so. Only the empty form and the message
    are shown, so answering before the login check gives nobody anything."""
    csrf = request.app.csrf_config
    token = request.cookies.get(csrf.cookie_name, "") if csrf else ""
    report = ImportReport(problems=[too_large("file / json")])
    ctx = {"report": report, "pasted": "", "dry_run": True, "partial": False, **LIMITS}
    return render(request, "registry/import", {**ctx, "csrf_token": token}, status_code=422)


class RegistryIOController(Controller):
    """Export and import of the whole registry in HSDS 3.0 JSON."""

    path = "/registry"
    dependencies = {"actor": Provide(requires_login)}

    @get("/export.json", name="registry_export")
    async def export(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[bytes]:
        """Every organization, service, location … of this tenant as one HSDS dataset."""
        tenant = requires_tenant(request)
        dataset = export_dataset(await load_graph(db_session))
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
    async def import_page(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        return render(
            request,
            "registry/import",
            {"report": None, "pasted": "", "dry_run": True, "partial": False, **LIMITS},
        )

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
        data, problem = None, None
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read()
            if len(raw) > MAX_IMPORT_BYTES:
                problem = too_large("file")
            else:
                text = raw.decode("utf-8-sig", errors="replace")
                data, problem = check_json(text, "file")
        elif pasted:
            data, problem = check_json(pasted, "json")
        else:
            problem = Problem("dataset", "$", "file", _("Choose a file or paste the JSON."))
        if problem is not None:
            report.problems.append(problem)
        else:
            report = await import_dataset(
                db_session,
                data,
                actor=actor.ref,
                area_keys={a.key for a in tenant.config.areas},
                dry_run=dry_run,
                partial=partial,
            )
        ctx = {
            "report": report,
            "pasted": pasted if len(pasted) < 200_000 else "",
            "dry_run": dry_run,
            "partial": partial,
            **LIMITS,
        }
        status = 422 if report.problems and not report.imported else 200
        return render(request, "registry/import", ctx, status_code=status)
