"""The JSON shapes HSDS data arrives in, turned into one dataset object for the importer.

A dataset object (``organizations``, ``services``, ``taxonomies`` … as arrays) is taken as it
is. So are a bare array of services, one record as ``GET /services/{id}`` (or
``/organizations/{id}``, ``/taxonomies/{id}``, ``/taxonomy_terms/{id}``) answers it — the
shape of Open Referral's own example ``examples/service_full.json`` — and a page of an HSDS
list endpoint (``{"total_items": …, "contents": [ … ]}``).
"""

from __future__ import annotations

from typing import Any

# A single record's type, told by the fields only it carries (first match wins). A service
# must have ``status``; a service at location links a location; a location has its type.
_HINTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("service", frozenset({"status", "service_at_locations"})),
    ("service_at_location", frozenset({"location", "location_id"})),
    ("location", frozenset({"location_type"})),
    (
        "organization",
        frozenset(
            {"services", "locations", "website", "legal_status", "year_incorporated", "logo"}
        ),
    ),
    ("taxonomy_term", frozenset({"taxonomy_id", "taxonomy_detail", "parent_id", "term_uri"})),
    ("taxonomy", frozenset({"version"})),
)
PLURALS = {
    "service": "services",
    "service_at_location": "service_at_locations",
    "location": "locations",
    "organization": "organizations",
    "taxonomy_term": "taxonomy_terms",
    "taxonomy": "taxonomies",
}
PAGE_FIELDS = frozenset(
    {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty"}
)


def record_type(record: dict[str, Any]) -> str | None:
    """The HSDS object type of one record, or None when its fields do not tell."""
    keys = set(record)
    return next((t for t, hints in _HINTS if keys & hints), None)


def as_dataset(data: Any) -> tuple[Any, list[str]]:
    """``data`` as a dataset object, and the paths of records whose type could not be told.

    A dataset object never has an ``id``; a single record always has one. Anything that is
    not a list or an object is returned unchanged (the importer reports it)."""
    if isinstance(data, list):
        return {"services": data}, []
    if not isinstance(data, dict):
        return data, []
    if isinstance(data.get("contents"), list) and set(data) - {"contents"} <= PAGE_FIELDS:
        return _group(data["contents"], "contents")
    if "id" in data:
        return _group([data], "$")
    return data, []


def _group(records: list[Any], path: str) -> tuple[dict[str, list[Any]], list[str]]:
    out: dict[str, list[Any]] = {}
    unknown: list[str] = []
    for i, record in enumerate(records):
        where = path if path == "$" else f"{path}[{i}]"
        type_ = record_type(record) if isinstance(record, dict) else None
        if type_ is None:
            unknown.append(where)
            continue
        out.setdefault(PLURALS[type_], []).append(record)
    return out, unknown
