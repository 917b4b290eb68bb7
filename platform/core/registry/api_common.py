"""What the HSDS read API's endpoints share: the optional viewer, paging as the HSDS API
reference defines it, and the query parameters it names (``page``, ``per_page``,
``modified_after``, ``search``, ``format`` …)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.registry.schemas import ApiError
from kasane.core.registry.search_keys import query_keys
from kasane.core.web.deps import LoginRequired, requires_login

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
S = TypeVar("S")

PageQ = Annotated[int, Parameter(description="Page number, from 1.", ge=1)]
PerPageQ = Annotated[
    int, Parameter(description=f"Entries per page (at most {MAX_PER_PAGE}).", ge=1)
]
ModifiedQ = Annotated[
    str | None,
    Parameter(description="Only entries modified on or after this ISO 8601 date or datetime."),
]
SearchQ = Annotated[str | None, Parameter(description="Free text, in kanji or kana.")]
RefQ = Annotated[uuid.UUID | None, Parameter(description="A UUID to filter by.")]
# named ``format`` in the query, as the reference has it (not a builtin's name in Python)
FormatQ = Annotated[
    str,
    QueryParameter(
        name="format",
        description="``json`` (the default and the only format offered; ``ndjson`` is not).",
    ),
]
FullQ = Annotated[bool, Parameter(description="Fully nested records.")]
ACCESS = (
    " Without a login: only the entries the municipality marked public (open data)."
    " With a staff login of this municipality: all its entries, and the entries"
    " neighbouring municipalities share with it (``x_shared_by``)."
)
PAGING = (
    " Paged as in the HSDS API reference: ``page`` (from 1) and ``per_page``; the answer"
    " carries ``total_items``, ``total_pages``, ``page_number``, ``size``, ``first_page``,"
    " ``last_page``, ``empty`` and ``contents``. Filters combine (AND)."
)


async def maybe_actor(request: Request[Any, Any, Any], session: AsyncSession) -> ActorInfo | None:
    """The logged-in staff member of this tenant, or None (anonymous open-data access)."""
    try:
        return await requires_login(request, session)
    except LoginRequired:
        return None


def parse_modified_after(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        # a "+" in a query string arrives as a space
        parsed = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise HTTPException(
                status_code=400, detail="modified_after: use an ISO 8601 date or datetime"
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_format(value: str) -> None:
    """The reference's ``format``: ``json`` by default, optionally ``ndjson``, which this API
    does not stream; saying so beats answering in another format than asked."""
    if value.lower() != "json":
        raise HTTPException(status_code=400, detail="format: only json is offered")


@dataclass
class Paging:
    page: int
    per_page: int

    def header(self, total: int, size: int) -> dict[str, Any]:
        pages = math.ceil(total / self.per_page) if total else 0
        return {
            "total_items": total,
            "total_pages": pages,
            "page_number": self.page,
            "size": size,
            "first_page": self.page == 1,
            "last_page": self.page >= pages,
            "empty": size == 0,
        }

    def slice(self, items: list[S]) -> list[S]:
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]

    def page_of(self, items: list[Any], contents: list[Any]) -> dict[str, Any]:
        """The page answer for ``contents`` (this page's records) out of ``items``."""
        return {**self.header(len(items), len(contents)), "contents": contents}


def paging(page: int, per_page: int) -> Paging:
    return Paging(page, min(per_page, MAX_PER_PAGE))


def text_match(q: str, *norms: str | None) -> bool:
    qn, qk = query_keys(q)
    return any(n and (qn in n or qk in n) for n in norms)


def not_found() -> Response[ApiError]:
    # The same answer for a missing id and for another tenant's: nothing tells them apart.
    return Response(ApiError(detail="Not found"), status_code=404)
