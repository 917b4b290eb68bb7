"""Typed shapes of the HSDS read API (they document it in the app's OpenAPI schema).

Field names follow HSDS 3.0; ``x_`` fields are the Japanese profile (decision 0007).
Fields without a value are left out of the JSON (``omit_defaults``).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Id = Annotated[str, msgspec.Meta(description="A UUID.")]
Ref = Annotated[str | None, msgspec.Meta(description="The UUID of a related record.")]


class _Hsds(msgspec.Struct, kw_only=True, omit_defaults=True):
    pass


class HsdsPhone(_Hsds, kw_only=True):
    id: Id
    location_id: Ref = None
    service_id: Ref = None
    organization_id: Ref = None
    contact_id: Ref = None
    service_at_location_id: Ref = None
    number: str
    extension: int | None = None
    type: str | None = None
    description: str | None = None


class HsdsContact(_Hsds, kw_only=True):
    id: Id
    organization_id: Ref = None
    service_id: Ref = None
    service_at_location_id: Ref = None
    location_id: Ref = None
    name: str | None = None
    title: str | None = None
    department: str | None = None
    email: str | None = None
    phones: list[HsdsPhone] | None = None


class HsdsSchedule(_Hsds, kw_only=True):
    id: Id
    service_id: Ref = None
    service_at_location_id: Ref = None
    location_id: Ref = None
    valid_from: str | None = None
    valid_to: str | None = None
    dtstart: str | None = None
    timezone: float | None = None
    until: str | None = None
    count: int | None = None
    wkst: str | None = None
    freq: str | None = None
    interval: int | None = None
    byday: str | None = None
    byweekno: str | None = None
    bymonthday: str | None = None
    byyearday: str | None = None
    description: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    schedule_link: str | None = None
    attending_type: str | None = None
    notes: str | None = None


class HsdsServiceArea(_Hsds, kw_only=True):
    id: Id
    service_id: Ref = None
    service_at_location_id: Ref = None
    name: str | None = None
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = None
    uri: str | None = None
    x_area_key: Annotated[
        str | None, msgspec.Meta(description="The area (圏域) key of the tenant's plugin.")
    ] = None
    x_municipality_code: Annotated[
        str | None, msgspec.Meta(description="全国地方公共団体コード (6 digits).")
    ] = None


class HsdsAddress(_Hsds, kw_only=True):
    id: Id
    location_id: Ref = None
    attention: str | None = None
    address_1: Annotated[str, msgspec.Meta(description="町名・番地.")]
    address_2: Annotated[str | None, msgspec.Meta(description="建物名・部屋.")] = None
    city: Annotated[str, msgspec.Meta(description="市区町村.")]
    region: str | None = None
    state_province: Annotated[str, msgspec.Meta(description="都道府県.")]
    postal_code: Annotated[str, msgspec.Meta(description="郵便番号, e.g. 875-0000.")]
    country: str
    address_type: str
    x_municipality_code: str | None = None


class HsdsAccessibility(_Hsds, kw_only=True):
    id: Id
    location_id: Ref = None
    description: str | None = None
    details: str | None = None
    url: str | None = None


class HsdsLocation(_Hsds, kw_only=True):
    id: Id
    organization_id: Ref = None
    location_type: str
    url: str | None = None
    name: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    transportation: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    external_identifier: str | None = None
    external_identifier_type: str | None = None
    x_name_kana: Annotated[str | None, msgspec.Meta(description="Reading in kana.")] = None
    x_area_key: str | None = None
    addresses: list[HsdsAddress] | None = None
    accessibility: list[HsdsAccessibility] | None = None
    phones: list[HsdsPhone] | None = None
    contacts: list[HsdsContact] | None = None
    schedules: list[HsdsSchedule] | None = None


class HsdsTaxonomy(_Hsds, kw_only=True):
    id: Id
    name: str
    description: str
    uri: str | None = None
    version: str | None = None


class HsdsTaxonomyTerm(_Hsds, kw_only=True):
    id: Id
    taxonomy_id: Ref = None
    parent_id: Ref = None
    code: str | None = None
    name: str
    description: str
    language: str | None = None
    term_uri: str | None = None
    taxonomy_detail: HsdsTaxonomy | None = None


class HsdsAttribute(_Hsds, kw_only=True):
    id: Id
    link_id: Ref = None
    taxonomy_term_id: Ref = None
    link_type: str
    link_entity: str | None = None
    value: str | None = None
    label: str | None = None
    taxonomy_term: HsdsTaxonomyTerm | None = None


class HsdsOrganizationBrief(_Hsds, kw_only=True):
    id: Id
    name: str
    alternate_name: str | None = None
    description: str
    email: str | None = None
    website: str | None = None
    year_incorporated: int | None = None
    legal_status: str | None = None
    logo: str | None = None
    uri: str | None = None
    parent_organization_id: Ref = None
    x_name_kana: str | None = None
    x_municipality_code: str | None = None
    x_last_modified: str | None = None
    phones: list[HsdsPhone] | None = None
    contacts: list[HsdsContact] | None = None
    locations: list[HsdsLocation] | None = None


class HsdsServiceAtLocationBrief(_Hsds, kw_only=True):
    id: Id
    service_id: Ref = None
    location_id: Ref = None
    description: str | None = None
    schedules: list[HsdsSchedule] | None = None
    phones: list[HsdsPhone] | None = None
    contacts: list[HsdsContact] | None = None
    service_areas: list[HsdsServiceArea] | None = None
    location: HsdsLocation | None = None


class HsdsService(_Hsds, kw_only=True):
    """A service: list items carry its one-to-one fields; ``/services/{id}`` (and
    ``full=true``) nest everything it links to."""

    id: Id
    organization_id: Ref = None
    name: str
    alternate_name: str | None = None
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: str
    interpretation_services: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    accreditations: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    assured_date: Annotated[
        str | None, msgspec.Meta(description="When the entry was last reviewed.")
    ] = None
    assurer_email: str | None = None
    alert: str | None = None
    last_modified: str | None = None
    x_name_kana: str | None = None
    x_area_key: str | None = None
    x_public: Annotated[
        bool | None, msgspec.Meta(description="Open data: readable without a login.")
    ] = None
    x_shared_by: Annotated[
        str | None,
        msgspec.Meta(description="For an entry another municipality shares: its name."),
    ] = None
    organization: HsdsOrganizationBrief | None = None
    service_at_locations: list[HsdsServiceAtLocationBrief] | None = None
    phones: list[HsdsPhone] | None = None
    contacts: list[HsdsContact] | None = None
    schedules: list[HsdsSchedule] | None = None
    service_areas: list[HsdsServiceArea] | None = None
    attributes: list[HsdsAttribute] | None = None


class HsdsOrganization(HsdsOrganizationBrief, kw_only=True):
    services: list[HsdsService] | None = None


class HsdsServiceAtLocation(HsdsServiceAtLocationBrief, kw_only=True):
    service: HsdsService | None = None


class _Page(_Hsds, kw_only=True):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class ServicePage(_Page, kw_only=True):
    contents: list[HsdsService]


class OrganizationPage(_Page, kw_only=True):
    contents: list[HsdsOrganization]


class ServiceAtLocationPage(_Page, kw_only=True):
    contents: list[HsdsServiceAtLocation]


class TaxonomyPage(_Page, kw_only=True):
    contents: list[HsdsTaxonomy]


class ApiInfo(_Hsds, kw_only=True):
    version: str
    profile: str
    openapi_url: str
    description: str | None = None
