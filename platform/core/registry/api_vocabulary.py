"""The HSDS read API's vocabulary: ``/api/hsds/taxonomies`` and ``/taxonomy_terms``, each
as a paged list and one record by id (the reference's optional endpoints).

The registry's categories are a public vocabulary: they are answered without a login, like
the open-data entries, and never include another municipality's terms.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy import select

from kasane.core.errors import NotFound
from kasane.core.people.matching import normalize_name
from kasane.core.registry.api_common import (
    DEFAULT_PER_PAGE,
    PAGING,
    FormatQ,
    PageQ,
    PerPageQ,
    RefQ,
    SearchQ,
    answer,
    check_format,
    paging,
    text_match,
)
from kasane.core.registry.api_openapi import API_TAG
from kasane.core.registry.api_problems import api_errors
from kasane.core.registry.extras import attach_extras
from kasane.core.registry.hsds import flat
from kasane.core.registry.models import Taxonomy, TaxonomyTerm
from kasane.core.registry.schemas import (
    HsdsTaxonomy,
    HsdsTaxonomyTerm,
    TaxonomyPage,
)
from kasane.core.web.deps import DbSession, requires_tenant


class TaxonomyTermPage(msgspec.Struct, kw_only=True, omit_defaults=True):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[HsdsTaxonomyTerm]


def _matches(q: str | None, *texts: str | None) -> bool:
    return not q or text_match(q, *(normalize_name(t) if t else None for t in texts))


def _term_json(term: TaxonomyTerm, taxonomies: dict[uuid.UUID, Taxonomy]) -> dict[str, Any]:
    out = flat("taxonomy_term", term)
    taxonomy = taxonomies.get(term.taxonomy_id) if term.taxonomy_id else None
    out["taxonomy_detail"] = flat("taxonomy", taxonomy) if taxonomy else None
    return out


class HsdsVocabularyController(Controller):
    """Taxonomies and taxonomy terms of the tenant's registry (HSDS 3.0)."""

    path = "/api/hsds"
    tags = [API_TAG]
    include_in_schema = True  # the app leaves every other route out of the schema

    @get(
        "/taxonomies",
        name="hsds_taxonomies",
        responses=api_errors(400),
        summary="Paginated list of taxonomies",
        description="The taxonomies the registry's categories come from (public vocabulary)."
        + PAGING,
    )
    async def taxonomies(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        search: FromQuery[SearchQ] = None,
        output_format: FormatQ = "json",
    ) -> TaxonomyPage:
        """The taxonomies the registry's categories come from (public vocabulary)."""
        requires_tenant(request)
        check_format(output_format)
        pager = paging(page, per_page)
        stmt = select(Taxonomy).order_by(Taxonomy.name, Taxonomy.id)
        rows = [
            t
            for t in (await db_session.execute(stmt)).scalars()
            if _matches(search, t.name, t.description)
        ]
        chosen = pager.slice(rows)
        await attach_extras(db_session, {"taxonomy": chosen})
        contents = [flat("taxonomy", t) for t in chosen]
        return answer(pager.page_of(rows, contents), TaxonomyPage)

    @get(
        "/taxonomies/{taxonomy_id:uuid}",
        name="hsds_taxonomy",
        responses=api_errors(400, 404),
        summary="One taxonomy",
        description="Full information on one taxonomy. 404 when the id is not this municipality's.",
    )
    async def taxonomy(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        taxonomy_id: FromPath[uuid.UUID],
    ) -> HsdsTaxonomy:
        requires_tenant(request)
        stmt = select(Taxonomy).where(Taxonomy.id == taxonomy_id)
        row = (await db_session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise NotFound()
        await attach_extras(db_session, {"taxonomy": [row]})
        return answer(flat("taxonomy", row), HsdsTaxonomy)

    @get(
        "/taxonomy_terms",
        name="hsds_taxonomy_terms",
        responses=api_errors(400),
        summary="Paginated list of taxonomy terms",
        description="The registry's categories, each with its taxonomy (``taxonomy_detail``)."
        " ``taxonomy_id`` keeps one taxonomy's terms, ``parent_id`` the children of one term,"
        " ``top_only=true`` the terms without a parent." + PAGING,
    )
    async def taxonomy_terms(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        page: FromQuery[PageQ] = 1,
        per_page: FromQuery[PerPageQ] = DEFAULT_PER_PAGE,
        search: FromQuery[SearchQ] = None,
        taxonomy_id: FromQuery[RefQ] = None,
        parent_id: FromQuery[RefQ] = None,
        top_only: FromQuery[
            Annotated[bool, Parameter(description="Only terms without a parent term.")]
        ] = False,
        output_format: FormatQ = "json",
    ) -> TaxonomyTermPage:
        requires_tenant(request)
        check_format(output_format)
        pager = paging(page, per_page)
        stmt = select(TaxonomyTerm).order_by(TaxonomyTerm.name, TaxonomyTerm.id)
        if taxonomy_id is not None:
            stmt = stmt.where(TaxonomyTerm.taxonomy_id == taxonomy_id)
        if parent_id is not None:
            stmt = stmt.where(TaxonomyTerm.parent_id == parent_id)
        if top_only:
            stmt = stmt.where(TaxonomyTerm.parent_id.is_(None))
        rows = [
            t
            for t in (await db_session.execute(stmt)).scalars()
            if _matches(search, t.name, t.description, t.code)
        ]
        chosen = pager.slice(rows)
        taxonomies = await _taxonomies(db_session, {t.taxonomy_id for t in chosen})
        await attach_extras(db_session, {"taxonomy_term": chosen, "taxonomy": taxonomies.values()})
        contents = [_term_json(t, taxonomies) for t in chosen]
        return answer(pager.page_of(rows, contents), TaxonomyTermPage)

    @get(
        "/taxonomy_terms/{term_id:uuid}",
        name="hsds_taxonomy_term",
        responses=api_errors(400, 404),
        summary="One taxonomy term",
        description="Full information on one taxonomy term, with its taxonomy. 404 when the"
        " id is not this municipality's.",
    )
    async def taxonomy_term(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        term_id: FromPath[uuid.UUID],
    ) -> HsdsTaxonomyTerm:
        requires_tenant(request)
        stmt = select(TaxonomyTerm).where(TaxonomyTerm.id == term_id)
        row = (await db_session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise NotFound()
        taxonomies = await _taxonomies(db_session, {row.taxonomy_id})
        await attach_extras(db_session, {"taxonomy_term": [row], "taxonomy": taxonomies.values()})
        return answer(_term_json(row, taxonomies), HsdsTaxonomyTerm)


async def _taxonomies(session: Any, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, Taxonomy]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = await session.execute(select(Taxonomy).where(Taxonomy.id.in_(wanted)))
    return {t.id: t for t in rows.scalars()}
