"""Search the tenant's registry, and the entries other tenants share with it.

:func:`search_services` matches free text in kanji or kana, a category (with its
sub-categories), an area (with the areas inside it) and "open now"; each :class:`Hit` is a
service with the graph it was loaded in, and who shared it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.db import utcnow
from kasane.core.registry.graph import Graph, load_graph
from kasane.core.registry.models import Attribute, Organization, Service
from kasane.core.registry.schedules import is_open
from kasane.core.registry.search_keys import like, query_keys
from kasane.core.registry.services import list_terms
from kasane.core.registry.sharing import TenantRef, read_shared, tenant_refs

SEARCH_LIMIT = 300


@dataclass
class Hit:
    """One search result: the service with its graph, and who shared it (if anyone)."""

    service: Service
    graph: Graph
    shared_by: TenantRef | None = None
    open_now: bool = False

    @property
    def organization(self) -> Organization | None:
        return self.graph.organizations.get(self.service.organization_id)


@dataclass(frozen=True)
class _Filters:
    """A search's filters, ready to match: the text's search keys (kanji, kana), the areas,
    and the categories (ids for this tenant, codes or names for shared entries)."""

    qn: str
    qk: str
    areas: set[str]
    by_term: bool
    term_ids: set[uuid.UUID]
    term_labels: set[str]


def _with_children(keys: set[str], parents: dict[str, str | None]) -> set[str]:
    """The keys and every key below them (``parents``: key → its parent key)."""
    out = set(keys)
    changed = True
    while changed:
        changed = False
        for key, parent in parents.items():
            if parent in out and key not in out:
                out.add(key)
                changed = True
    return out


async def search_services(
    session: AsyncSession,
    *,
    q: str = "",
    term_id: uuid.UUID | None = None,
    area_key: str | None = None,
    area_parents: dict[str, str | None] | None = None,
    open_now: bool = False,
    now: datetime | None = None,
    include_shared: bool = True,
) -> list[Hit]:
    """Services matching every given filter: free text in kanji or kana (name, reading,
    description, organization), a category (and its sub-categories), an area (and the
    areas inside it), open now (JST). Entries shared with the tenant are included and
    matched the same way (their category by the term's code or name)."""
    now = now or utcnow()
    filters = await _filters(session, q, term_id, area_key, area_parents)
    ids = await _own_matches(session, filters)
    graph = await load_graph(session, ids)
    hits = [Hit(graph.services[i], graph) for i in ids if i in graph.services]
    if include_shared:
        hits += await _shared_hits(session, filters)
    for hit in hits:
        hit.open_now = is_open(hit.graph.service_schedules(hit.service.id), now)
    if open_now:
        hits = [h for h in hits if h.open_now]
    return sorted(hits, key=lambda h: (h.shared_by is not None, h.service.name))


async def _filters(
    session: AsyncSession,
    q: str,
    term_id: uuid.UUID | None,
    area_key: str | None,
    area_parents: dict[str, str | None] | None,
) -> _Filters:
    """The search's filters with the categories and areas inside the chosen ones."""
    qn, qk = query_keys(q.strip()) if q.strip() else ("", "")
    terms = await list_terms(session)
    term_ids: set[uuid.UUID] = set()
    term_labels: set[str] = set()
    if term_id is not None:
        parents = {str(t.id): str(t.parent_id) if t.parent_id else None for t in terms}
        term_ids = {uuid.UUID(k) for k in _with_children({str(term_id)}, parents)}
        term_labels = {t.code or t.name for t in terms if t.id in term_ids}
    areas = _with_children({area_key}, area_parents or {}) if area_key else set()
    return _Filters(qn, qk, areas, term_id is not None, term_ids, term_labels)


async def _own_matches(session: AsyncSession, filters: _Filters) -> list[uuid.UUID]:
    """Ids of the tenant's own matching services, by name (at most :data:`SEARCH_LIMIT`)."""
    qn, qk = filters.qn, filters.qk
    stmt = select(Service.id).join(
        Organization,
        and_(
            Organization.tenant_id == Service.tenant_id,
            Organization.id == Service.organization_id,
        ),
    )
    if qn:
        stmt = stmt.where(
            or_(
                Service.search_norm.like(like(qn), escape="\\"),
                Service.kana_norm.like(like(qk), escape="\\"),
                Organization.name_norm.like(like(qn), escape="\\"),
                Organization.kana_norm.like(like(qk), escape="\\"),
            )
        )
    if filters.areas:
        stmt = stmt.where(Service.area_key.in_(sorted(filters.areas)))
    if filters.by_term:
        stmt = stmt.where(
            Service.id.in_(
                select(Attribute.link_id).where(
                    Attribute.link_entity == "service",
                    Attribute.taxonomy_term_id.in_(sorted(filters.term_ids)),
                )
            )
        )
    return list((await session.execute(stmt.order_by(Service.name).limit(SEARCH_LIMIT))).scalars())


async def _shared_hits(session: AsyncSession, filters: _Filters) -> list[Hit]:
    """The matching entries other tenants share with this one."""
    qn, qk, areas = filters.qn, filters.qk, filters.areas
    hits: list[Hit] = []
    shared = await read_shared(session)
    refs = await tenant_refs(session, {g.tenant_id for g in shared if g.tenant_id})
    for g in shared:
        for s in g.rows("services"):
            org = g.organizations.get(s.organization_id)
            if qn and not (
                qn in s.search_norm
                or (qk and qk in s.kana_norm)
                or (org and (qn in org.name_norm or (qk and qk in org.kana_norm)))
            ):
                continue
            if areas and s.area_key not in areas:
                continue
            if (
                filters.by_term
                and not {t.code or t.name for t in g.service_terms(s.id)} & filters.term_labels
            ):
                continue
            hits.append(Hit(s, g, shared_by=refs.get(g.tenant_id)))  # type: ignore[arg-type]
    return hits
