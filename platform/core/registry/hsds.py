"""HSDS 3.0 JSON export and the API's record shapes (fields: :mod:`.hsds_spec`).

The Japanese profile adds ``x_``-prefixed extension fields (``x_name_kana``,
``x_area_key``, ``x_municipality_code``, ``x_public``, ``x_last_modified``) and maps
``assured_date`` to ``reviewed_on``. See ``docs/decisions/0007-hsds-japanese-profile.md``.

A dataset (``export_dataset``) is one JSON object::

    {"hsds_version": "3.0", "profile": …, "organizations": [ {…, "services": [ {…,
      "service_at_locations": [ {…} ] } ], "locations": [ … ] } ], "taxonomies": [ … ],
     "taxonomy_terms": [ … ]}

Nested records also carry their foreign keys (``service_id``, ``location_id`` …) so that a
record linked to two parents (a phone of a contact *and* a location) survives the trip.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from kasane.core.registry.graph import Graph
from kasane.core.registry.hsds_spec import (
    EXTRAS_ATTR,
    HSDS_VERSION,
    PROFILE,
    PROFILE_FIELDS,
    SPECS,
    F,
    RecordSpec,
)
from kasane.core.registry.models import Organization, Service, ServiceAtLocation

__all__ = [
    "HSDS_VERSION",
    "PROFILE",
    "PROFILE_FIELDS",
    "SPECS",
    "F",
    "RecordSpec",
    "export_dataset",
    "flat",
]


# ------------------------------------------------------------------ values


def json_value(value: Any) -> Any:
    """A column value as HSDS JSON: dates ISO, datetimes ISO in UTC with ``Z`` and only the
    fractional digits they need (none, milliseconds or microseconds)."""
    if isinstance(value, datetime):
        micro = value.microsecond
        spec = "seconds" if not micro else "milliseconds" if micro % 1000 == 0 else "microseconds"
        return value.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def flat(type_: str, row: Any) -> dict[str, Any]:
    """One record's own fields (no nested arrays), ``id`` first. A field without a value is
    left out (HSDS's schemas refuse ``null`` for most); what an import brought that the
    columns cannot hold comes back as it was given (:mod:`.extras`)."""
    out: dict[str, Any] = {"id": str(row.id)}
    for f in SPECS[type_].fields:
        value = json_value(getattr(row, f.col))
        if value is not None:
            out[f.name] = value
    if type_ == "attribute" and out.get("link_entity") is None:
        out["link_entity"] = "service"
    for name, value in (getattr(row, EXTRAS_ATTR, None) or {}).items():
        if name.startswith("="):
            name = name[1:]
            if isinstance(value, dict) and out.get(name) == value.get("stored"):
                out[name] = value.get("given")
        elif name not in out:
            out[name] = value
    return out


# ------------------------------------------------------------------ export

# Where a nested record is placed: the first of its foreign keys that is set.
PLACEMENT: dict[str, tuple[tuple[str, str], ...]] = {
    # child type: ((fk column, parent type), …) in order of preference
    "phone": (
        ("contact_id", "contact"),
        ("service_at_location_id", "service_at_location"),
        ("service_id", "service"),
        ("location_id", "location"),
        ("organization_id", "organization"),
    ),
    "contact": (
        ("service_at_location_id", "service_at_location"),
        ("service_id", "service"),
        ("location_id", "location"),
        ("organization_id", "organization"),
    ),
    "schedule": (
        ("service_at_location_id", "service_at_location"),
        ("service_id", "service"),
        ("location_id", "location"),
    ),
    "service_area": (
        ("service_at_location_id", "service_at_location"),
        ("service_id", "service"),
    ),
    "attribute": (("link_id", "service"),),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
    "location": (("organization_id", "organization"),),
    "service_at_location": (("service_id", "service"),),
    "service": (("organization_id", "organization"),),
}


class _Nester:
    """Builds nested HSDS JSON from a graph. A dataset places each child under one parent
    (its first link in :data:`PLACEMENT`; import restores the others from the foreign keys);
    the API, ``everywhere=True``, lists it under every parent it is linked to, as HSDS's
    nested records do (a contact of a service *and* of its location shows in both)."""

    def __init__(self, graph: Graph, *, everywhere: bool = False) -> None:
        self.g = graph
        self.placed: dict[tuple[str, str], dict[uuid.UUID, list[Any]]] = {}
        self.loose: dict[str, list[Any]] = {}
        for child_type, options in PLACEMENT.items():
            for row in graph.rows(SPECS[child_type].kind):
                parents = [(c, p) for c, p in options if getattr(row, c) is not None]
                if not parents:
                    self.loose.setdefault(child_type, []).append(row)
                for col, ptype in parents if everywhere else parents[:1]:
                    key = (child_type, ptype)
                    self.placed.setdefault(key, {}).setdefault(getattr(row, col), []).append(row)

    def record(self, type_: str, row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        out = flat(type_, row)
        for key, child_type, _fk_col in SPECS[type_].nests:
            if key in skip:
                continue
            children = self.placed.get((child_type, type_), {}).get(row.id, [])
            out[key] = [self.record(child_type, c) for c in children]
        return out


def export_dataset(graph: Graph, base_url: str = "") -> dict[str, Any]:
    """The whole registry of one tenant as an HSDS 3.0 dataset (see the module doc);
    ``base_url`` makes the profile's URL absolute (the instance serves it)."""
    nester = _Nester(graph)
    out: dict[str, Any] = {"hsds_version": HSDS_VERSION, "profile": base_url + PROFILE}
    out["organizations"] = [nester.record("organization", o) for o in graph.rows("organizations")]
    for type_ in ("location", "contact", "phone", "schedule", "service_area", "attribute"):
        loose = nester.loose.get(type_, [])
        if loose:
            out[SPECS[type_].plural] = [nester.record(type_, r) for r in loose]
    out["taxonomies"] = [flat("taxonomy", t) for t in graph.rows("taxonomies")]
    out["taxonomy_terms"] = [flat("taxonomy_term", t) for t in graph.rows("terms")]
    return out


# ------------------------------------------------------------------ API shapes


def term_json(graph: Graph, term: Any) -> dict[str, Any]:
    out = flat("taxonomy_term", term)
    taxonomy = graph.taxonomies.get(term.taxonomy_id) if term.taxonomy_id else None
    if taxonomy:
        out["taxonomy_detail"] = flat("taxonomy", taxonomy)
    return out


def service_full(graph: Graph, service: Service) -> dict[str, Any]:
    """A fully nested HSDS service (``GET /services/{id}``): organization, service at
    locations with their location, schedules, phones, contacts, areas, attributes."""
    nester = _Nester(graph, everywhere=True)
    out = nester.record("service", service, skip=("service_at_locations", "attributes"))
    org = graph.organizations.get(service.organization_id)
    out["organization"] = (
        nester.record("organization", org, skip=("services", "locations")) if org else None
    )
    sals = []
    for sal in graph.children("sals", "service_id", service.id):
        item = nester.record("service_at_location", sal)
        loc = graph.locations.get(sal.location_id)
        item["location"] = nester.record("location", loc) if loc else None
        sals.append(item)
    out["service_at_locations"] = sals
    attributes = []
    for a in graph.children("attributes", "link_id", service.id):
        item = flat("attribute", a)
        term = graph.terms.get(a.taxonomy_term_id)
        item["taxonomy_term"] = term_json(graph, term) if term else None
        attributes.append(item)
    out["attributes"] = attributes
    return out


def organization_json(graph: Graph, org: Organization, services: list[Service]) -> dict[str, Any]:
    """An organization with its phones, contacts and locations, and the given services
    as flat list items."""
    nester = _Nester(graph, everywhere=True)
    out = nester.record("organization", org, skip=("services",))
    out["services"] = [flat("service", s) for s in services]
    return out


def sal_json(graph: Graph, sal: ServiceAtLocation) -> dict[str, Any]:
    """A service at location list item: its own fields, the service and the location."""
    nester = _Nester(graph, everywhere=True)
    out = nester.record("service_at_location", sal)
    service = graph.services.get(sal.service_id)
    location = graph.locations.get(sal.location_id)
    out["service"] = flat("service", service) if service else None
    out["location"] = nester.record("location", location) if location else None
    return out
