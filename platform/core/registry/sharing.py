"""Sharing chosen services read-only with named neighbouring tenants (regional resources).

A tenant shares a service by adding a ``resource_shares`` row that names the other tenant;
only that tenant sees it, only read-only, and only while the row exists. Writing shares is
ordinary tenant-scoped work. *Reading* what others shared with us crosses tenants, and that
happens in exactly one place, :func:`read_shared`:

* On SQLite (no RLS) it runs ORM queries with the ``ALL_TENANTS`` execution option, each
  restricted to the owning tenant and to services whose share names the current tenant.
* On PostgreSQL the app role's RLS hides every other tenant's row, so those queries would
  return nothing. There it calls ``registry_shared_rows()`` (migration 0004): a
  ``SECURITY DEFINER`` function owned by ``kasane_owner`` that reads ``app.tenant_id``,
  finds the shares naming that tenant (the ``resource_shares`` policy lets only the owner
  role see rows shared *with* the current tenant), and for each owning tenant switches
  ``app.tenant_id`` to it for the length of one query that returns only the shared
  services and what they link to, then switches back. The app role gets rows as JSON and
  never gains read access to the tables themselves.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    Integer,
    Select,
    String,
    Uuid,
    column,
    delete,
    func,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import ALL_TENANTS, TenantScoped, UTCDateTime
from kasane.core.registry.graph import KIND_OF_TABLE, KINDS, Graph, load_graph
from kasane.core.registry.models import ResourceShare, Service

# The platform's tenants table, read for names only (the core never imports kasane.tenants).
TENANTS = table(
    "tenants",
    column("id", Uuid),
    column("slug", String),
    column("name", String),
    column("municipality_code", String),
)


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str
    name: str
    municipality_code: str


async def tenant_refs(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, TenantRef]:
    """Names of tenants, for "shared by 臼杵市" and the list of shares."""
    if not ids:
        return {}
    rows = await session.execute(select(TENANTS).where(TENANTS.c.id.in_(sorted(ids))))
    return {r.id: TenantRef(r.id, r.slug, r.name, r.municipality_code) for r in rows}


async def find_tenant(session: AsyncSession, code_or_slug: str) -> TenantRef | None:
    """A tenant by 全国地方公共団体コード or slug (to name whom to share with)."""
    text = code_or_slug.strip()
    if not text:
        return None
    row = (
        await session.execute(
            select(TENANTS).where((TENANTS.c.municipality_code == text) | (TENANTS.c.slug == text))
        )
    ).first()
    return TenantRef(row.id, row.slug, row.name, row.municipality_code) if row else None


async def shares_of(session: AsyncSession, service_id: uuid.UUID) -> list[TenantRef]:
    """The tenants this tenant shares ``service_id`` with."""
    ids = set(
        (
            await session.execute(
                select(ResourceShare.shared_with_tenant_id).where(
                    ResourceShare.service_id == service_id
                )
            )
        ).scalars()
    )
    refs = await tenant_refs(session, ids)
    return sorted(refs.values(), key=lambda t: t.municipality_code)


async def do_share(
    session: AsyncSession, actor: str, service: Service, with_tenant: TenantRef
) -> bool:
    """Share ``service`` read-only with one tenant; False when it already was."""
    exists = (
        await session.execute(
            select(ResourceShare.id).where(
                ResourceShare.service_id == service.id,
                ResourceShare.shared_with_tenant_id == with_tenant.id,
            )
        )
    ).first()
    if exists:
        return False
    by = uuid.UUID(actor.split(":", 1)[1]) if actor.startswith("account:") else None
    session.add(
        ResourceShare(service_id=service.id, shared_with_tenant_id=with_tenant.id, created_by=by)
    )
    await session.flush()
    await do_audit(
        session,
        actor,
        "registry.share",
        f"registry_service:{service.id}",
        tenant=str(with_tenant.id),
    )
    return True


async def do_unshare(
    session: AsyncSession, actor: str, service: Service, tenant_id: uuid.UUID
) -> bool:
    """Stop sharing ``service`` with one tenant; False when it was not shared."""
    result = await session.execute(
        delete(ResourceShare).where(
            ResourceShare.service_id == service.id,
            ResourceShare.shared_with_tenant_id == tenant_id,
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # CursorResult has rowcount
        return False
    await do_audit(
        session, actor, "registry.unshare", f"registry_service:{service.id}", tenant=str(tenant_id)
    )
    return True


# ------------------------------------------------------------------ the cross-tenant read


def row_from_json(model: type[TenantScoped], data: dict[str, Any]) -> Any:
    """A detached, read-only model instance from ``to_jsonb(row)`` (or an import's
    snapshot, which undo puts back)."""
    values: dict[str, Any] = {}
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        raw = data.get(col.name)
        if raw is None:
            values[col.key] = None
        elif isinstance(col.type, Uuid):
            values[col.key] = uuid.UUID(raw)
        elif isinstance(col.type, UTCDateTime):
            values[col.key] = datetime.fromisoformat(raw)
        elif isinstance(col.type, Date):
            values[col.key] = date.fromisoformat(raw)
        elif isinstance(col.type, Boolean):
            values[col.key] = bool(raw)
        elif isinstance(col.type, Integer):
            values[col.key] = int(raw)
        elif isinstance(col.type, Float):
            values[col.key] = float(raw)
        else:
            values[col.key] = raw
    return model(**values)


async def read_shared(
    session: AsyncSession, service_ids: set[uuid.UUID] | None = None
) -> list[Graph]:
    """Services other tenants share with the session's tenant, one graph per owner.

    The only cross-tenant read in the registry (see the module doc). ``service_ids``
    narrows the result to those services. Rows come back detached: never add them to a
    session, never write them.
    """
    me = session.info.get("tenant_id")
    if me is None:
        return []
    graphs: dict[uuid.UUID, Graph] = {}
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        fn = func.registry_shared_rows().table_valued(column("kind", String), column("data", JSONB))
        for kind_table, data in await session.execute(select(fn.c.kind, fn.c.data)):
            row_data = json.loads(data) if isinstance(data, str) else data
            kind = KIND_OF_TABLE[kind_table]
            row = row_from_json(KINDS[kind], row_data)
            graphs.setdefault(row.tenant_id, Graph(tenant_id=row.tenant_id)).add(kind, row)
    else:
        shares = await session.execute(
            select(ResourceShare.tenant_id, ResourceShare.service_id)
            .where(ResourceShare.shared_with_tenant_id == me, ResourceShare.tenant_id != me)
            .execution_options(**{ALL_TENANTS: True})
        )
        by_owner: dict[uuid.UUID, set[uuid.UUID]] = {}
        for owner, sid in shares:
            by_owner.setdefault(owner, set()).add(sid)
        for owner, sids in by_owner.items():

            def prepare(
                stmt: Select[Any], model: type[TenantScoped], owner: uuid.UUID = owner
            ) -> Select[Any]:
                return stmt.where(model.tenant_id == owner).execution_options(**{ALL_TENANTS: True})

            graphs[owner] = await load_graph(session, sids, prepare=prepare, tenant_id=owner)
    out = []
    for graph in graphs.values():
        if service_ids is not None:
            keep = set(graph.services) & service_ids
            if not keep:
                continue
            graph.services = {k: v for k, v in graph.services.items() if k in keep}
        out.append(graph)
    return out


async def shared_service(session: AsyncSession, service_id: uuid.UUID) -> Graph | None:
    """The graph holding one service shared with this tenant, or None."""
    found = await read_shared(session, {service_id})
    return found[0] if found else None
