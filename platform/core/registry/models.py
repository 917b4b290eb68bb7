"""The registry tables: Open Referral HSDS 3.0 objects with a Japanese profile.

Each HSDS object is one tenant-scoped table (``registry_<object>``) whose columns keep the
HSDS field names, so export and import map one to one. The Japanese profile adds kana
readings (with normalized copies for search), the 圏域 (``area_key``, a key of the tenant's
plugin areas), 全国地方公共団体コード (``municipality_code``), the open-data flag ``public`` and
the freshness date ``reviewed_on`` (HSDS ``assured_date``); see
``docs/decisions/0007-hsds-japanese-profile.md``.

There are no ORM relationships on purpose: graphs are loaded in bulk by
:mod:`kasane.core.registry.graph`, never lazily in an async session.
"""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow
from kasane.core.i18n import N_

SERVICE_STATUSES = {
    "active": N_("Active"),
    "inactive": N_("Inactive"),
    "defunct": N_("Defunct"),
    "temporarily closed": N_("Temporarily closed"),
}
LOCATION_TYPES = ("physical", "postal", "virtual")
CHANGE_STATUSES = {
    "pending": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "superseded": N_("Replaced by a later submission"),
}


def _now_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Organization(TenantScoped, Base):
    """HSDS organization: who provides services (社協, an NPO, a host company …)."""

    __tablename__ = "registry_organizations"
    __table_args__ = (Index("ix_registry_organizations_tenant_name", "tenant_id", "name_norm"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    legal_status: Mapped[str | None] = mapped_column(String(100))
    logo: Mapped[str | None] = mapped_column(String(500))
    uri: Mapped[str | None] = mapped_column(String(500))
    parent_organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Japanese profile
    name_kana: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    name_norm: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    kana_norm: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    municipality_code: Mapped[str | None] = mapped_column(String(6))
    last_modified: Mapped[datetime] = _now_column()
    created_at: Mapped[datetime] = _now_column()


class Service(TenantScoped, Base):
    """HSDS service: what a person can be connected to (居場所, 就労体験, 見守り …)."""

    __tablename__ = "registry_services"
    __table_args__ = (
        tenant_fk("organization_id", "registry_organizations", ondelete="CASCADE"),
        CheckConstraint(
            "status IN ('active','inactive','defunct','temporarily closed')", name="status"
        ),
        Index("ix_registry_services_tenant_org", "tenant_id", "organization_id"),
        Index("ix_registry_services_tenant_area", "tenant_id", "area_key"),
        Index("ix_registry_services_tenant_modified", "tenant_id", "last_modified"),
        Index("ix_registry_services_tenant_reviewed", "tenant_id", "reviewed_on"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # HSDS assured_date
    assurer_email: Mapped[str | None] = mapped_column(String(254))
    alert: Mapped[str | None] = mapped_column(Text)
    # Japanese profile
    name_kana: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # normalized name + alternate name + description, for kanji/kana search
    search_norm: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kana_norm: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    area_key: Mapped[str | None] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_modified: Mapped[datetime] = _now_column()
    created_at: Mapped[datetime] = _now_column()


class Location(TenantScoped, Base):
    """HSDS location: a place (or a virtual location) where services are delivered."""

    __tablename__ = "registry_locations"
    __table_args__ = (
        tenant_fk("organization_id", "registry_organizations", ondelete="CASCADE"),
        CheckConstraint("location_type IN ('physical','postal','virtual')", name="type"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    location_type: Mapped[str] = mapped_column(String(10), nullable=False, default="physical")
    url: Mapped[str | None] = mapped_column(String(500))
    name: Mapped[str | None] = mapped_column(String(200))
    alternate_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(String(100))
    external_identifier_type: Mapped[str | None] = mapped_column(String(50))
    # Japanese profile
    name_kana: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    area_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now_column()


class Address(TenantScoped, Base):
    """HSDS address, Japanese style: 〒postal_code, state_province = 都道府県, city = 市区町村,
    address_1 = 町名・番地, address_2 = 建物名."""

    __tablename__ = "registry_addresses"
    __table_args__ = (tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),)

    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    attention: Mapped[str | None] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(300), nullable=False)
    address_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    region: Mapped[str | None] = mapped_column(String(100))
    state_province: Mapped[str] = mapped_column(String(50), nullable=False)
    postal_code: Mapped[str] = mapped_column(String(20), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="JP")
    address_type: Mapped[str] = mapped_column(String(10), nullable=False, default="physical")
    municipality_code: Mapped[str | None] = mapped_column(String(6))


class Accessibility(TenantScoped, Base):
    """HSDS accessibility: notes on how accessible a location is (段差, 車いす, 筆談 …)."""

    __tablename__ = "registry_accessibility"
    __table_args__ = (tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),)

    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))


class ServiceAtLocation(TenantScoped, Base):
    """HSDS service_at_location: a service delivered at a location."""

    __tablename__ = "registry_service_at_locations"
    __table_args__ = (
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),
        Index("ix_registry_sal_tenant_service", "tenant_id", "service_id"),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(TenantScoped, Base):
    """HSDS schedule: RFC 5545 RRULE parts plus opening times, for a service, a service at
    a location, or a location."""

    __tablename__ = "registry_schedules"
    __table_args__ = (
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        tenant_fk("service_at_location_id", "registry_service_at_locations", ondelete="CASCADE"),
        tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),
        CheckConstraint(
            "service_id IS NOT NULL OR service_at_location_id IS NOT NULL"
            " OR location_id IS NOT NULL",
            name="owner",
        ),
    )

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    dtstart: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[float | None] = mapped_column(Float)
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(String(3))
    freq: Mapped[str | None] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(100))
    byweekno: Mapped[str | None] = mapped_column(String(100))
    bymonthday: Mapped[str | None] = mapped_column(String(100))
    byyearday: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[str | None] = mapped_column(String(20))
    closes_at: Mapped[str | None] = mapped_column(String(20))
    schedule_link: Mapped[str | None] = mapped_column(String(500))
    attending_type: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class ServiceArea(TenantScoped, Base):
    """HSDS service_area: where a service is available; the profile adds 圏域 and code."""

    __tablename__ = "registry_service_areas"
    __table_args__ = (
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        tenant_fk("service_at_location_id", "registry_service_at_locations", ondelete="CASCADE"),
    )

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(50))
    uri: Mapped[str | None] = mapped_column(String(500))
    area_key: Mapped[str | None] = mapped_column(String(64))
    municipality_code: Mapped[str | None] = mapped_column(String(6))


class Taxonomy(TenantScoped, Base):
    """HSDS taxonomy: a vocabulary the terms come from."""

    __tablename__ = "registry_taxonomies"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(50))


class TaxonomyTerm(TenantScoped, Base):
    """HSDS taxonomy_term: one category (居場所・交流, 就労 …), optionally under a parent."""

    __tablename__ = "registry_taxonomy_terms"
    __table_args__ = (
        tenant_fk("taxonomy_id", "registry_taxonomies", ondelete="CASCADE"),
        tenant_fk("parent_id", "registry_taxonomy_terms"),
    )

    taxonomy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    code: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(10))
    term_uri: Mapped[str | None] = mapped_column(String(500))


class Attribute(TenantScoped, Base):
    """HSDS attribute: links a record (``link_entity`` + ``link_id``, a service here) to a
    taxonomy term."""

    __tablename__ = "registry_attributes"
    __table_args__ = (
        tenant_fk("taxonomy_term_id", "registry_taxonomy_terms", ondelete="CASCADE"),
        Index("ix_registry_attributes_tenant_link", "tenant_id", "link_id"),
        Index("ix_registry_attributes_tenant_term", "tenant_id", "taxonomy_term_id"),
    )

    link_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    link_entity: Mapped[str] = mapped_column(String(30), nullable=False, default="service")
    link_type: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    taxonomy_term_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(200))


class Contact(TenantScoped, Base):
    """HSDS contact: a named contact for an organization, service or location. Also who
    receives the confirmation link (see :mod:`kasane.core.registry.freshness`)."""

    __tablename__ = "registry_contacts"
    __table_args__ = (
        tenant_fk("organization_id", "registry_organizations", ondelete="CASCADE"),
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        tenant_fk("service_at_location_id", "registry_service_at_locations", ondelete="CASCADE"),
        tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))


class Phone(TenantScoped, Base):
    """HSDS phone, attached to one of location, service, organization, contact or
    service at location."""

    __tablename__ = "registry_phones"
    __table_args__ = (
        tenant_fk("location_id", "registry_locations", ondelete="CASCADE"),
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        tenant_fk("organization_id", "registry_organizations", ondelete="CASCADE"),
        tenant_fk("contact_id", "registry_contacts", ondelete="CASCADE"),
        tenant_fk("service_at_location_id", "registry_service_at_locations", ondelete="CASCADE"),
    )

    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    number: Mapped[str] = mapped_column(String(50), nullable=False)
    extension: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)


class ResourceShare(TenantScoped, Base):
    """A service shared read-only with one named tenant (a neighbouring municipality).

    Only :func:`kasane.core.registry.sharing.read_shared` reads these across tenants.
    """

    __tablename__ = "resource_shares"
    __table_args__ = (
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "service_id", "shared_with_tenant_id"),
        Index("ix_resource_shares_shared_with", "shared_with_tenant_id"),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    shared_with_tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = _now_column()


class PendingChange(TenantScoped, Base):
    """What a resource's contact confirmed or corrected through the signed link; it waits
    for staff approval (``changes`` is a JSON object field → proposed value; empty when the
    contact confirmed the entry unchanged)."""

    __tablename__ = "registry_pending_changes"
    __table_args__ = (
        tenant_fk("service_id", "registry_services", ondelete="CASCADE"),
        CheckConstraint("status IN ('pending','approved','rejected','superseded')", name="status"),
        Index("ix_registry_pending_changes_tenant_service", "tenant_id", "service_id"),
        UniqueConstraint("tenant_id", "link_hash"),  # one submission per confirmation link
    )

    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    changes: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime] = _now_column()
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    link_hash: Mapped[str | None] = mapped_column(String(64))  # the link it came through


class RegistryExtra(TenantScoped, Base):
    """What an HSDS import brought that Kasane's columns cannot hold, kept verbatim so the
    API and the export give it back (``docs/decisions/0026-open-data-round-trip.md``).

    ``field`` is an HSDS field name (``languages``, ``funding``, ``wait_time`` … or an
    unknown one) with its JSON ``value`` as given; a name starting with ``=`` is a held
    field whose given spelling differs from Kasane's (``last_modified`` with three
    fractional digits): ``value`` is ``{"given": …, "stored": …}`` and the given form is
    written back only while the column still renders as ``stored``.
    """

    __tablename__ = "registry_extras"
    __table_args__ = (UniqueConstraint("tenant_id", "record_type", "record_id", "field"),)

    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    field: Mapped[str] = mapped_column(String(200), nullable=False)
    value: Mapped[object] = mapped_column(JSON, nullable=True)


IMPORT_STATUSES = ("preview", "committed", "undone", "discarded")


def _pack(value: object) -> bytes | None:
    return None if value is None else zlib.compress(json.dumps(value).encode())


def _unpack(blob: bytes | None) -> Any:
    return None if blob is None else json.loads(zlib.decompress(blob))


class ImportBatch(TenantScoped, Base):
    """One HSDS import: previewed (``data`` waits for the editor's go), committed (``changes``
    lists what it created and, for each record it updated, the values before), undone or
    discarded. Only the latest committed batch can be undone.

    ``data`` and ``changes`` are compressed JSON, not text columns: they are full of record
    ids, and a UUID's digits can look like a My Number to the flush-time guard. Their text
    is checked anyway — the file by the import's own check before a preview is kept (a
    file with a My Number never is), the snapshots when the rows were first stored.
    """

    __tablename__ = "registry_import_batches"
    __table_args__ = (
        CheckConstraint("status IN ('preview','committed','undone','discarded')", name="status"),
        Index("ix_registry_import_batches_tenant_created", "tenant_id", "created_at"),
    )

    status: Mapped[str] = mapped_column(String(20), nullable=False, default="preview")
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    data_packed: Mapped[bytes | None] = mapped_column("data", LargeBinary)
    partial: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    summary: Mapped[object] = mapped_column(JSON, nullable=True)  # counts shown on the page
    changes_packed: Mapped[bytes | None] = mapped_column("changes", LargeBinary)
    created_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[datetime] = _now_column()
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(80))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def data(self) -> Any:
        """The previewed dataset; cleared on commit or discard."""
        return _unpack(self.data_packed)

    @data.setter
    def data(self, value: object) -> None:
        self.data_packed = _pack(value)

    @property
    def changes(self) -> Any:
        """What undo reverses: ``{"created": [[type, id] …], "updated": [{type, id, before,
        extras} …]}``."""
        return _unpack(self.changes_packed)

    @changes.setter
    def changes(self, value: object) -> None:
        self.changes_packed = _pack(value)


# Every HSDS table, parents before children (import order; delete in reverse).
HSDS_MODELS: tuple[type[TenantScoped], ...] = (
    Organization,
    Taxonomy,
    TaxonomyTerm,
    Service,
    Location,
    Address,
    Accessibility,
    ServiceAtLocation,
    Schedule,
    ServiceArea,
    Attribute,
    Contact,
    Phone,
)
