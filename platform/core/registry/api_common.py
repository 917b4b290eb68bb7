"""What the HSDS read API's endpoints share: the optional viewer, paging as the HSDS API
reference defines it, and the query parameters it names (``page``, ``per_page``,
``modified_after``, ``search``, ``format`` …)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar, cast

import msgspec
from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.i18n import N_, gettext
from kasane.core.registry.api_problems import bad_parameter
from kasane.core.registry.search_keys import query_keys
from kasane.core.web.deps import LoginRequired, requires_login

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
S = TypeVar("S")
ISO_DATE = N_("Use an ISO 8601 date or date and time (2026-04-01, 2026-04-01T09:00:00+09:00).")
ONLY_JSON = N_("Only json is offered.")

PageQ = Annotated[int, Parameter(description="Page number, from 1.", ge=1)]
PerPageQ = Annotated[
    int, Parameter(description=f"Entries per page (at most {MAX_PER_PAGE}).", ge=1)
]
# The schema of an optional filter is that of its value (leaving it out means "no filter"),
# not "or null": a client, or a fuzzer, sending the text "null" would only get a 400.
ModifiedQ = Annotated[
    str | None,
    Parameter(
        description="Only entries modified on or after this ISO 8601 date or datetime"
        " (a datetime without an offset, or a date, is UTC).",
        schema_extra={
            "one_of": [
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE),
            ]
        },
    ),
]
SearchQ = Annotated[
    str | None,
    Parameter(
        description="Free text, in kanji or kana.",
        schema_extra={"one_of": None, "type": OpenAPIType.STRING},
    ),
]
RefQ = Annotated[
    uuid.UUID | None,
    Parameter(
        description="A UUID to filter by.",
        schema_extra={"one_of": None, "type": OpenAPIType.STRING, "format": OpenAPIFormat.UUID},
    ),
]
# named ``format`` in the query, as the reference has it (not a builtin's name in Python)
FormatQ = Annotated[
    str,
    QueryParameter(
        name="format",
        description="``json`` (the default and the only format offered; ``ndjson`` is not).",
        schema_extra={"enum": ["json"]},
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
    """The logged-in staff member of this tenant, or None (anonymous open-data access) —
    also for a staff member whose roles do not include reading the registry: open data is
    open to them too, and nothing more."""
    try:
        return await requires_login(request, session)
    except (LoginRequired, PermissionDeniedException):
        return None


def parse_modified_after(text: str | None) -> datetime | None:
    """``modified_after`` as an aware UTC datetime (a date is its midnight, UTC); a 400
    problem naming the parameter when it is not ISO 8601 or lies outside the years 1–9999
    once moved to UTC."""
    if text is None:
        return None
    if not text.strip():  # the schema says date-time or date: empty is neither
        raise bad_parameter("modified_after", gettext(ISO_DATE))
    try:
        # a "+" in a query string arrives as a space
        parsed = datetime.fromisoformat(text.strip().replace(" ", "+"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        pass
    except OverflowError:
        raise bad_parameter("modified_after", gettext(ISO_DATE)) from None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise bad_parameter("modified_after", gettext(ISO_DATE)) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def check_format(value: str) -> None:
    """The reference's ``format``: ``json`` by default, optionally ``ndjson``, which this API
    does not stream; saying so beats answering in another format than asked."""
    if value.lower() != "json":
        raise bad_parameter("format", gettext(ONLY_JSON))


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


def _pruned(value: Any) -> Any:
    """``value`` without ``None`` members: in HSDS, absent means absent."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def answer(data: dict[str, Any], shape: type[S]) -> S:
    """The answer as built, once checked against its documented ``shape``. The dict itself
    is sent (not the converted struct) so the fields an import kept verbatim
    (:mod:`.extras`: ``languages``, ``funding`` …) reach the caller as they were given."""
    msgspec.convert(data, shape, strict=False)
    return cast(S, _pruned(data))
