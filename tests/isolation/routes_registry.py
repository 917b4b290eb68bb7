"""Registry routes for the isolation matrix: each ``make_id`` creates a fresh object in the
given tenant (a service, a contact's pending change, a confirmation link), so the POSTs the
matrix sends change nothing another test relies on."""

from __future__ import annotations

import uuid
from typing import Any

from kasane.core.db import Database
from kasane.core.registry.freshness import do_submit_change, make_link_token
from kasane.core.registry.hsds_import import import_dataset
from kasane.core.registry.models import ImportBatch
from kasane.core.registry.services import ServiceInput, do_create_service, get_service
from tests.conftest import Env
from tests.isolation.routes import IdRoute


def registry_service_id(env: Env, slug: str) -> uuid.UUID:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            service = await do_create_service(
                s,
                "system",
                ServiceInput(
                    name="マトリクス確認用サービス", organization_name="マトリクス確認用団体"
                ),
            )
            return service.id

    return env.run(go)


def pending_change_id(env: Env, slug: str) -> uuid.UUID:
    service_id = registry_service_id(env, slug)
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            service = await get_service(s, service_id)
            change = await do_submit_change(s, service, {"name": "訂正後の名前"}, "")
            return change.id

    return env.run(go)


def registry_organization_id(env: Env, slug: str) -> uuid.UUID:
    service_id = registry_service_id(env, slug)
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            return (await get_service(s, service_id)).organization_id

    return env.run(go)


def _vocabulary_ids(env: Env, slug: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A new taxonomy and a term in it (HSDS import, the way a vocabulary arrives)."""
    taxonomy_id, term_id = uuid.uuid4(), uuid.uuid4()
    data = {
        "taxonomies": [{"id": str(taxonomy_id), "name": "分類", "description": "確認用"}],
        "taxonomy_terms": [
            {
                "id": str(term_id),
                "name": "項目",
                "description": "確認用",
                "taxonomy_id": str(taxonomy_id),
            }
        ],
    }
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            report = await import_dataset(s, data, actor="system", area_keys=set())
            assert report.imported, report.problems

    env.run(go)
    return taxonomy_id, term_id


def registry_taxonomy_id(env: Env, slug: str) -> uuid.UUID:
    return _vocabulary_ids(env, slug)[0]


def registry_term_id(env: Env, slug: str) -> uuid.UUID:
    return _vocabulary_ids(env, slug)[1]


def confirm_token(env: Env, slug: str) -> Any:
    """Not a UUID: the link's signed token (the matrix only formats it into the path)."""
    service_id = registry_service_id(env, slug)
    return make_link_token(env.settings.secret_key, env.tenant_id(slug), service_id)


def _taxonomy() -> dict[str, Any]:
    return {"taxonomies": [{"id": str(uuid.uuid4()), "name": "分類", "description": "確認用"}]}


def import_preview_id(env: Env, slug: str) -> uuid.UUID:
    """A previewed import waiting for the go (issue 17)."""
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            batch = ImportBatch(status="preview", source="matrix", data=_taxonomy())
            s.add(batch)
            await s.flush()
            return batch.id

    return env.run(go)


def import_committed_id(env: Env, slug: str) -> uuid.UUID:
    """The tenant's latest committed import (the one undo accepts)."""
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            report = await import_dataset(s, _taxonomy(), actor="system", area_keys=set())
            assert report.batch_id is not None, report.problems
            return report.batch_id

    return env.run(go)


SERVICE_FORM = {
    "name": "マトリクス確認用サービス",
    "status": "active",
    "organization_id": "new",
    "organization_name": "マトリクス確認用団体",
}

ROUTES = [
    IdRoute("/registry/services/{id}", registry_service_id),
    IdRoute("/registry/services/{id}/edit", registry_service_id),
    IdRoute("/registry/services/{id}", registry_service_id, method="POST", form=SERVICE_FORM),
    IdRoute(
        "/registry/services/{id}/shares",
        registry_service_id,
        method="POST",
        form={"action": "remove", "tenant_id": str(uuid.UUID(int=1))},
    ),
    IdRoute("/registry/services/{id}/confirm-link", registry_service_id, method="POST"),
    IdRoute(
        "/registry/changes/{id}", pending_change_id, method="POST", form={"decision": "reject"}
    ),
    IdRoute("/registry/confirm/{id}", confirm_token),
    IdRoute("/registry/confirm/{id}", confirm_token, method="POST", form={"action": "confirm"}),
    IdRoute("/registry/import/batches/{id}", import_preview_id, username="supervisor"),
    IdRoute(
        "/registry/import/batches/{id}/commit",
        import_preview_id,
        method="POST",
        username="supervisor",
    ),
    IdRoute(
        "/registry/import/batches/{id}/discard",
        import_preview_id,
        method="POST",
        username="supervisor",
    ),
    IdRoute(
        "/registry/import/batches/{id}/undo",
        import_committed_id,
        method="POST",
        username="supervisor",
    ),
    IdRoute("/api/hsds/services/{id}", registry_service_id),
    IdRoute("/api/hsds/organizations/{id}", registry_organization_id),
    IdRoute("/api/hsds/taxonomies/{id}", registry_taxonomy_id),
    IdRoute("/api/hsds/taxonomy_terms/{id}", registry_term_id),
]
