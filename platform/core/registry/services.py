"""Registry business rules: fetch, create and edit services (audited); search is
:mod:`.search`.

A service is edited together with its "primary" children — the first location it is
delivered at (with its address and accessibility note), its first phone, its first
contact and its first schedule — which is what the staff form shows. Other children
(from an import) are kept as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.errors import NotFound
from kasane.core.registry.graph import load_graph
from kasane.core.registry.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from kasane.core.registry.search_keys import stamp_org_keys, stamp_service_keys

REVIEW_INTERVAL = timedelta(days=365)
CATEGORY_LINK = "category"  # HSDS attribute link_type for the registry's categories


class RegistryRuleError(ValueError):
    """A rule of the registry was broken; the message is an English msgid."""


@dataclass
class ServiceInput:
    """What the staff form (or an approved correction) sets on a service."""

    name: str
    organization_id: uuid.UUID | None = None
    organization_name: str = ""  # a new organization when no id is chosen
    name_kana: str = ""
    alternate_name: str | None = None
    description: str | None = None
    status: str = "active"
    url: str | None = None
    email: str | None = None
    area_key: str | None = None
    term_ids: list[uuid.UUID] = field(default_factory=list)
    eligibility_description: str | None = None
    fees_description: str | None = None
    application_process: str | None = None
    public: bool = False
    reviewed_on: date | None = None
    location_name: str | None = None
    postal_code: str | None = None
    state_province: str | None = None
    city: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    accessibility: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    days: list[str] = field(default_factory=list)  # MO … SU
    nth: str = ""  # "" weekly; "1".."4" or "-1": that week of the month
    opens_at: str | None = None
    closes_at: str | None = None
    schedule_description: str | None = None


# ------------------------------------------------------------------ reads


async def get_service(session: AsyncSession, service_id: uuid.UUID) -> Service:
    """A service of the session's tenant, or NotFound (another tenant's too)."""
    row = (
        await session.execute(select(Service).where(Service.id == service_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("registry_service")
    return row


async def list_organizations(session: AsyncSession) -> list[Organization]:
    return list((await session.execute(select(Organization).order_by(Organization.name))).scalars())


async def list_terms(session: AsyncSession) -> list[TaxonomyTerm]:
    return list(
        (
            await session.execute(
                select(TaxonomyTerm).order_by(TaxonomyTerm.code, TaxonomyTerm.name)
            )
        ).scalars()
    )


async def review_due(session: AsyncSession, today: date) -> list[Service]:
    """Services not reviewed in the last 12 months (or never), oldest first."""
    cutoff = today - REVIEW_INTERVAL
    rows = await session.execute(
        select(Service)
        .where(or_(Service.reviewed_on.is_(None), Service.reviewed_on < cutoff))
        .order_by(Service.reviewed_on.is_not(None), Service.reviewed_on, Service.name)
    )
    return list(rows.scalars())


# ------------------------------------------------------------------ writes


async def _first(session: AsyncSession, model: Any, *where: Any) -> Any:
    return (
        await session.execute(select(model).where(*where).order_by(model.id).limit(1))
    ).scalar_one_or_none()


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


async def _organization(session: AsyncSession, data: ServiceInput) -> Organization:
    if data.organization_id is not None:
        org: Organization | None = await _first(
            session, Organization, Organization.id == data.organization_id
        )
        if org is None:
            raise NotFound("registry_organization")
        return org
    if _blank(data.organization_name):
        raise RegistryRuleError("Choose the organization or enter a new one")
    org = Organization(name=data.organization_name.strip(), description="", name_kana="")
    stamp_org_keys(org)
    session.add(org)
    await session.flush()
    return org


def _set_service_fields(service: Service, data: ServiceInput, org: Organization) -> None:
    service.organization_id = org.id
    for name in (
        "name",
        "name_kana",
        "alternate_name",
        "description",
        "status",
        "url",
        "email",
        "area_key",
        "eligibility_description",
        "fees_description",
        "application_process",
        "public",
        "reviewed_on",
    ):
        setattr(service, name, getattr(data, name))
    service.name_kana = service.name_kana or ""
    stamp_service_keys(service)
    service.last_modified = utcnow()


async def _set_terms(session: AsyncSession, service: Service, term_ids: list[uuid.UUID]) -> None:
    current = {
        a.taxonomy_term_id: a
        for a in (
            await session.execute(
                select(Attribute).where(
                    Attribute.link_id == service.id,
                    Attribute.link_entity == "service",
                    Attribute.link_type == CATEGORY_LINK,
                )
            )
        ).scalars()
    }
    wanted = set(term_ids)
    known = set(
        (
            await session.execute(
                select(TaxonomyTerm.id).where(TaxonomyTerm.id.in_(sorted(wanted)))
            )
        ).scalars()
    )
    for term_id, attr in current.items():
        if term_id not in wanted:
            await session.delete(attr)
    for term_id in sorted(known - set(current)):
        session.add(
            Attribute(
                link_id=service.id,
                link_entity="service",
                link_type=CATEGORY_LINK,
                taxonomy_term_id=term_id,
            )
        )


async def _set_location(
    session: AsyncSession, service: Service, org: Organization, data: ServiceInput
) -> None:
    sal = await _first(session, ServiceAtLocation, ServiceAtLocation.service_id == service.id)
    location = await _first(session, Location, Location.id == sal.location_id) if sal else None
    fields = (data.location_name, data.address_1, data.city, data.postal_code, data.accessibility)
    if location is None and all(_blank(v) for v in fields):
        return
    if location is None:
        location = Location(organization_id=org.id, location_type="physical", name_kana="")
        session.add(location)
        await session.flush()
        session.add(ServiceAtLocation(service_id=service.id, location_id=location.id))
    location.name = data.location_name or None
    location.area_key = data.area_key
    address = await _first(session, Address, Address.location_id == location.id)
    if address is None and not all(
        _blank(v) for v in (data.address_1, data.city, data.postal_code)
    ):
        address = Address(location_id=location.id, country="JP", address_type="physical")
        session.add(address)
    if address is not None:
        address.postal_code = (data.postal_code or "").strip()
        address.state_province = (data.state_province or "").strip()
        address.city = (data.city or "").strip()
        address.address_1 = (data.address_1 or "").strip()
        address.address_2 = data.address_2 or None
    note = await _first(session, Accessibility, Accessibility.location_id == location.id)
    if _blank(data.accessibility):
        if note is not None:
            await session.delete(note)
    elif note is None:
        session.add(Accessibility(location_id=location.id, description=data.accessibility))
    else:
        note.description = data.accessibility


async def _set_phone_contact(session: AsyncSession, service: Service, data: ServiceInput) -> None:
    phone = await _first(session, Phone, Phone.service_id == service.id)
    if _blank(data.phone):
        if phone is not None:
            await session.delete(phone)
    elif phone is None:
        session.add(Phone(service_id=service.id, number=data.phone.strip(), type="voice"))  # type: ignore[union-attr]
    else:
        phone.number = data.phone.strip()  # type: ignore[union-attr]
    contact = await _first(session, Contact, Contact.service_id == service.id)
    if _blank(data.contact_name) and _blank(data.contact_email):
        if contact is not None:
            await session.delete(contact)
        return
    if contact is None:
        contact = Contact(service_id=service.id)
        session.add(contact)
    contact.name = data.contact_name or None
    contact.email = data.contact_email or None


async def _set_schedule(session: AsyncSession, service: Service, data: ServiceInput) -> None:
    schedule = await _first(session, Schedule, Schedule.service_id == service.id)
    empty = not data.days and all(
        _blank(v) for v in (data.opens_at, data.closes_at, data.schedule_description)
    )
    if empty:
        if schedule is not None:
            await session.delete(schedule)
        return
    if schedule is None:
        schedule = Schedule(service_id=service.id)
        session.add(schedule)
    if data.days:
        schedule.freq = "MONTHLY" if data.nth else "WEEKLY"
        schedule.byday = ",".join(f"{data.nth}{d}" for d in data.days)
    else:
        schedule.freq = None
        schedule.byday = None
    schedule.opens_at = data.opens_at or None
    schedule.closes_at = data.closes_at or None
    schedule.description = data.schedule_description or None


async def do_create_service(session: AsyncSession, actor: str, data: ServiceInput) -> Service:
    """Create a service (and a new organization when one is named) with its primary
    location, phone, contact and schedule."""
    org = await _organization(session, data)
    service = Service(name=data.name)
    _set_service_fields(service, data, org)
    session.add(service)
    await session.flush()
    await _apply_children(session, service, org, data)
    await do_audit(session, actor, "registry.service.create", f"registry_service:{service.id}")
    return service


async def do_update_service(
    session: AsyncSession, actor: str, service: Service, data: ServiceInput, **detail: Any
) -> Service:
    """Save the staff form (or an approved correction) onto ``service``."""
    org = await _organization(session, data)
    _set_service_fields(service, data, org)
    await _apply_children(session, service, org, data)
    await do_audit(
        session, actor, "registry.service.update", f"registry_service:{service.id}", **detail
    )
    return service


async def _apply_children(
    session: AsyncSession, service: Service, org: Organization, data: ServiceInput
) -> None:
    await _set_terms(session, service, data.term_ids)
    await _set_location(session, service, org, data)
    await _set_phone_contact(session, service, data)
    await _set_schedule(session, service, data)
    await session.flush()


async def current_input(session: AsyncSession, service: Service) -> ServiceInput:
    """The form's view of a service: its fields and primary children."""
    graph = await load_graph(session, [service.id])
    location = next(iter(graph.service_locations(service.id)), None)
    address = graph.children("addresses", "location_id", location.id)[:1] if location else []
    note = graph.children("accessibility", "location_id", location.id)[:1] if location else []
    phone = graph.children("phones", "service_id", service.id)[:1]
    contact = graph.children("contacts", "service_id", service.id)[:1]
    schedule = graph.children("schedules", "service_id", service.id)[:1]
    data = ServiceInput(
        name=service.name,
        organization_id=service.organization_id,
        name_kana=service.name_kana,
        alternate_name=service.alternate_name,
        description=service.description,
        status=service.status,
        url=service.url,
        email=service.email,
        area_key=service.area_key,
        term_ids=[t.id for t in graph.service_terms(service.id)],
        eligibility_description=service.eligibility_description,
        fees_description=service.fees_description,
        application_process=service.application_process,
        public=service.public,
        reviewed_on=service.reviewed_on,
        location_name=location.name if location else None,
        accessibility=note[0].description if note else None,
        phone=phone[0].number if phone else None,
        contact_name=contact[0].name if contact else None,
        contact_email=contact[0].email if contact else None,
    )
    if address:
        a = address[0]
        data.postal_code, data.state_province, data.city = a.postal_code, a.state_province, a.city
        data.address_1, data.address_2 = a.address_1, a.address_2
    if schedule:
        s = schedule[0]
        codes = [p.strip() for p in (s.byday or "").split(",") if p.strip()]
        data.days = [c[-2:] for c in codes]
        data.nth = codes[0][:-2] if codes and s.freq == "MONTHLY" else ""
        data.opens_at, data.closes_at = s.opens_at, s.closes_at
        data.schedule_description = s.description
    return data
