"""The HSDS 3.0 field map shared by export, import and the read API.

Each HSDS object type has a :class:`RecordSpec`: its model, its fields (HSDS name → column,
with a value kind used by import validation) and the arrays it nests. Field names are HSDS
names; the Japanese profile adds ``x_``-prefixed extension fields and maps
``assured_date`` to ``reviewed_on`` (``docs/decisions/0007-hsds-japanese-profile.md``).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from kasane.core.registry.models import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    Accessibility,
    Address,
    Attribute,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "3.0"
PROFILE_PATH = "/api/hsds/profile"  # served by every instance (decision 0007's table)
PROFILE = PROFILE_PATH  # made absolute with the tenant's base URL where it is sent
# What the profile adds (decision 0007), served at PROFILE_PATH.
PROFILE_FIELDS: dict[str, dict[str, str]] = {
    "organization": {
        "x_name_kana": "reading in kana (よみがな)",
        "x_municipality_code": "全国地方公共団体コード of the provider's seat",
        "x_last_modified": "when the record last changed (HSDS has it on services only)",
    },
    "service": {
        "x_name_kana": "reading in kana",
        "x_area_key": "the 圏域 (a key of the municipality's areas)",
        "x_public": "open data: readable by anyone through the API",
        "x_shared_by": "API only: the municipality that shares the entry",
        "assured_date": "HSDS field, used as the freshness date",
    },
    "location": {"x_name_kana": "reading in kana", "x_area_key": "the 圏域 the place is in"},
    "address": {
        "x_municipality_code": "全国地方公共団体コード of the address",
        "postal_code": "郵便番号",
        "state_province": "都道府県",
        "city": "市区町村",
        "address_1": "町名・番地",
        "address_2": "建物名",
        "country": "JP",
    },
    "service_area": {
        "x_area_key": "the area served (a key of the municipality's areas)",
        "x_municipality_code": "全国地方公共団体コード of the area served",
    },
}
EXTRAS_ATTR = "hsds_extras"  # a row's kept extras, set by kasane.core.registry.extras
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class F:
    """One field: HSDS ``name``, model ``column``, value ``kind``, HSDS-required or not.

    Kinds: str, email, uri, int, num, date, datetime, uuid, bool, time, code (全国地方公共団体
    コード), area (a key of the tenant's areas), intlist (``"2,3"`` or a number), byday,
    enum (``choices``). ``ref`` names the record type a uuid field points to.
    """

    name: str
    column: str = ""
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str = ""

    @property
    def col(self) -> str:
        return self.column or self.name


def _fk(name: str, ref: str) -> F:
    return F(name, kind="uuid", ref=ref)


@dataclass(frozen=True)
class RecordSpec:
    type: str  # HSDS object name, e.g. "service_at_location"
    kind: str  # Graph attribute, e.g. "sals"
    model: builtins.type[Any]  # `type` is the field above, in this class's scope
    fields: tuple[F, ...]
    nests: tuple[tuple[str, str, str], ...] = ()  # (array key, child type, child's fk column)
    plural: str = ""  # top-level array name in a dataset

    def field(self, name: str) -> F | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def fks(self) -> tuple[F, ...]:
        return tuple(f for f in self.fields if f.ref)


SPECS: dict[str, RecordSpec] = {
    s.type: s
    for s in (
        RecordSpec(
            "organization",
            "organizations",
            Organization,
            (
                F("name", required=True),
                F("alternate_name"),
                F("description", required=True),
                F("email", kind="email"),
                F("website", kind="uri"),
                F("year_incorporated", kind="int"),
                F("legal_status"),
                F("logo"),
                F("uri", kind="uri"),
                F("parent_organization_id", kind="uuid"),
                F("x_name_kana", "name_kana"),
                F("x_municipality_code", "municipality_code", kind="code"),
                F("x_last_modified", "last_modified", kind="datetime"),
            ),
            (
                ("phones", "phone", "organization_id"),
                ("contacts", "contact", "organization_id"),
                ("locations", "location", "organization_id"),
                ("services", "service", "organization_id"),
            ),
            "organizations",
        ),
        RecordSpec(
            "service",
            "services",
            Service,
            (
                _fk("organization_id", "organization"),
                F("name", required=True),
                F("alternate_name"),
                F("description"),
                F("url", kind="uri"),
                F("email", kind="email"),
                F("status", kind="enum", required=True, choices=tuple(SERVICE_STATUSES)),
                F("interpretation_services"),
                F("application_process"),
                F("fees_description"),
                F("accreditations"),
                F("eligibility_description"),
                F("minimum_age", kind="int"),
                F("maximum_age", kind="int"),
                F("assured_date", "reviewed_on", kind="date"),
                F("assurer_email", kind="email"),
                F("alert"),
                F("last_modified", kind="datetime"),
                F("x_name_kana", "name_kana"),
                F("x_area_key", "area_key", kind="area"),
                F("x_public", "public", kind="bool"),
            ),
            (
                ("phones", "phone", "service_id"),
                ("contacts", "contact", "service_id"),
                ("schedules", "schedule", "service_id"),
                ("service_areas", "service_area", "service_id"),
                ("attributes", "attribute", "link_id"),
                ("service_at_locations", "service_at_location", "service_id"),
            ),
            "services",
        ),
        RecordSpec(
            "location",
            "locations",
            Location,
            (
                _fk("organization_id", "organization"),
                F("location_type", kind="enum", required=True, choices=LOCATION_TYPES),
                F("url", kind="uri"),
                F("name"),
                F("alternate_name"),
                F("description"),
                F("transportation"),
                F("latitude", kind="num"),
                F("longitude", kind="num"),
                F("external_identifier"),
                F("external_identifier_type"),
                F("x_name_kana", "name_kana"),
                F("x_area_key", "area_key", kind="area"),
            ),
            (
                ("addresses", "address", "location_id"),
                ("accessibility", "accessibility", "location_id"),
                ("phones", "phone", "location_id"),
                ("contacts", "contact", "location_id"),
                ("schedules", "schedule", "location_id"),
            ),
            "locations",
        ),
        RecordSpec(
            "address",
            "addresses",
            Address,
            (
                _fk("location_id", "location"),
                F("attention"),
                F("address_1", required=True),
                F("address_2"),
                F("city", required=True),
                F("region"),
                F("state_province", required=True),
                F("postal_code", required=True),
                F("country", required=True),
                F("address_type", kind="enum", required=True, choices=LOCATION_TYPES),
                F("x_municipality_code", "municipality_code", kind="code"),
            ),
            plural="addresses",
        ),
        RecordSpec(
            "accessibility",
            "accessibility",
            Accessibility,
            (
                _fk("location_id", "location"),
                F("description"),
                F("details"),
                F("url", kind="uri"),
            ),
            plural="accessibility",
        ),
        RecordSpec(
            "service_at_location",
            "sals",
            ServiceAtLocation,
            (
                _fk("service_id", "service"),
                _fk("location_id", "location"),
                F("description"),
            ),
            (
                ("schedules", "schedule", "service_at_location_id"),
                ("phones", "phone", "service_at_location_id"),
                ("contacts", "contact", "service_at_location_id"),
                ("service_areas", "service_area", "service_at_location_id"),
            ),
            "service_at_locations",
        ),
        RecordSpec(
            "schedule",
            "schedules",
            Schedule,
            (
                _fk("service_id", "service"),
                _fk("service_at_location_id", "service_at_location"),
                _fk("location_id", "location"),
                F("valid_from", kind="date"),
                F("valid_to", kind="date"),
                F("dtstart", kind="date"),
                F("timezone", kind="num"),
                F("until", kind="date"),
                F("count", kind="int"),
                F("wkst", kind="enum", choices=WEEKDAY_CODES),
                F("freq", kind="enum", choices=("WEEKLY", "MONTHLY")),
                F("interval", kind="int"),
                F("byday", kind="byday"),
                F("byweekno", kind="intlist"),
                F("bymonthday", kind="intlist"),
                F("byyearday", kind="intlist"),
                F("description"),
                F("opens_at", kind="time"),
                F("closes_at", kind="time"),
                F("schedule_link", kind="uri"),
                F("attending_type"),
                F("notes"),
            ),
            plural="schedules",
        ),
        RecordSpec(
            "service_area",
            "service_areas",
            ServiceArea,
            (
                _fk("service_id", "service"),
                _fk("service_at_location_id", "service_at_location"),
                F("name"),
                F("description"),
                F("extent"),
                F("extent_type"),
                F("uri", kind="uri"),
                F("x_area_key", "area_key", kind="area"),
                F("x_municipality_code", "municipality_code", kind="code"),
            ),
            plural="service_areas",
        ),
        RecordSpec(
            "taxonomy",
            "taxonomies",
            Taxonomy,
            (
                F("name", required=True),
                F("description", required=True),
                F("uri", kind="uri"),
                F("version"),
            ),
            plural="taxonomies",
        ),
        RecordSpec(
            "taxonomy_term",
            "terms",
            TaxonomyTerm,
            (
                _fk("taxonomy_id", "taxonomy"),
                _fk("parent_id", "taxonomy_term"),
                F("code"),
                F("name", required=True),
                F("description", required=True),
                F("language"),
                F("term_uri", kind="uri"),
            ),
            plural="taxonomy_terms",
        ),
        RecordSpec(
            "attribute",
            "attributes",
            Attribute,
            (
                F("link_id", kind="uuid", ref="service"),
                _fk("taxonomy_term_id", "taxonomy_term"),
                F("link_type", required=True),
                F("link_entity", kind="enum", choices=("service",)),
                F("value"),
                F("label"),
            ),
            plural="attributes",
        ),
        RecordSpec(
            "contact",
            "contacts",
            Contact,
            (
                _fk("organization_id", "organization"),
                _fk("service_id", "service"),
                _fk("service_at_location_id", "service_at_location"),
                _fk("location_id", "location"),
                F("name"),
                F("title"),
                F("department"),
                F("email", kind="email"),
            ),
            (("phones", "phone", "contact_id"),),
            "contacts",
        ),
        RecordSpec(
            "phone",
            "phones",
            Phone,
            (
                _fk("location_id", "location"),
                _fk("service_id", "service"),
                _fk("organization_id", "organization"),
                _fk("contact_id", "contact"),
                _fk("service_at_location_id", "service_at_location"),
                F("number", required=True),
                F("extension", kind="int"),
                F("type"),
                F("description"),
            ),
            plural="phones",
        ),
    )
}
