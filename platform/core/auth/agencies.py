"""Agencies the tenant admin adds in the app, beside the plugin's.

The plugin's agencies are fixed (read-only in the admin UI); the admin's are added, renamed
and deactivated here — never deleted, since old records name them. ``local_agencies`` gives
the active ones to the tenant resolver (``kasane.core.tenant_local``), which merges them
into ``TenantContext.config`` after the plugin's; the caller of a change makes the resolver
forget the tenant so the next request sees it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import TenantAgency
from kasane.core.config_types import Agency, TenantConfig
from kasane.core.db import utcnow
from kasane.core.errors import NotFound
from kasane.core.i18n import N_

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
NAME_MAX = 200
FIELDS: dict[str, str] = {
    "general": N_("General"),
    "elderly": N_("Elderly"),
    "disability": N_("Disability"),
    "children": N_("Children"),
    "poverty": N_("Poverty"),
    "health": N_("Health (field of support)"),
    "other": N_("Other"),
}
KINDS: dict[str, str] = {
    "municipal": N_("Municipal"),
    "contracted": N_("Contracted"),
    "partner": N_("Partner"),
}


async def local_agencies(session: AsyncSession) -> list[Agency]:
    """The active agencies added by the tenant's admin, as plugin-style ``Agency`` values."""
    rows = await session.execute(
        select(TenantAgency).where(TenantAgency.active.is_(True)).order_by(TenantAgency.created_at)
    )
    return [
        Agency(key=a.key, name=a.name, field=a.field, kind=a.kind)  # type: ignore[arg-type]
        for a in rows.scalars()
    ]


async def retired_agency_names(session: AsyncSession) -> dict[str, str]:
    """Key → name of the admin's deactivated agencies: old records still show their names."""
    rows = await session.execute(
        select(TenantAgency.key, TenantAgency.name).where(TenantAgency.active.is_(False))
    )
    return {key: name for key, name in rows.all()}


async def list_local_agencies(session: AsyncSession) -> list[TenantAgency]:
    """Every agency the admin added, active or not, oldest first."""
    rows = await session.execute(select(TenantAgency).order_by(TenantAgency.created_at))
    return list(rows.scalars())


async def get_local_agency(session: AsyncSession, agency_id: uuid.UUID) -> TenantAgency:
    row = (
        await session.execute(select(TenantAgency).where(TenantAgency.id == agency_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("tenant_agency")
    return row


@dataclass
class AgencyForm:
    """What the admin typed, kept as typed so a refused form loses nothing."""

    key: str = ""
    name: str = ""
    field: str = "other"
    kind: str = "partner"

    @classmethod
    def of(cls, data: dict[str, str]) -> AgencyForm:
        return cls(
            key=(data.get("key") or "").strip().lower(),
            name=(data.get("name") or "").strip(),
            field=data.get("field") or "other",
            kind=data.get("kind") or "partner",
        )


def agency_problems(
    form: AgencyForm, *, plugin_keys: set[str], local_keys: set[str], new: bool
) -> dict[str, str]:
    """Field → msgid of what is wrong (empty when the form may be saved)."""
    problems: dict[str, str] = {}
    if new:
        if not KEY_PATTERN.fullmatch(form.key):
            problems["key"] = N_(
                "Use 2 to 40 lowercase letters, digits or hyphens, starting with a letter or digit"
            )
        elif form.key in plugin_keys or form.key in local_keys:
            problems["key"] = N_("An agency with this key already exists")
    if not form.name:
        problems["name"] = N_("Enter the agency's name")
    elif len(form.name) > NAME_MAX:
        problems["name"] = N_("Use at most 200 characters")
    if form.field not in FIELDS:
        problems["field"] = N_("Choose a field")
    if form.kind not in KINDS:
        problems["kind"] = N_("Choose a kind")
    return problems


async def do_add_agency(session: AsyncSession, form: AgencyForm, *, actor: str) -> TenantAgency:
    now = utcnow()
    row = TenantAgency(
        key=form.key,
        name=form.name,
        field=form.field,
        kind=form.kind,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await do_audit(session, actor, "agency.created", f"tenant_agency:{row.id}", key=row.key)
    return row


async def do_update_agency(
    session: AsyncSession, row: TenantAgency, form: AgencyForm, *, actor: str
) -> None:
    """Rename (and re-file) an agency; its key, which records hold, never changes."""
    changed = [
        name
        for name, value in (("name", form.name), ("field", form.field), ("kind", form.kind))
        if getattr(row, name) != value
    ]
    if not changed:
        return
    row.name, row.field, row.kind, row.updated_at = form.name, form.field, form.kind, utcnow()
    await do_audit(
        session, actor, "agency.updated", f"tenant_agency:{row.id}", key=row.key, changed=changed
    )


async def do_set_agency_active(
    session: AsyncSession, row: TenantAgency, active: bool, *, actor: str
) -> None:
    if row.active == active:
        return
    row.active, row.updated_at = active, utcnow()
    action = "agency.reactivated" if active else "agency.deactivated"
    await do_audit(session, actor, action, f"tenant_agency:{row.id}", key=row.key)


def agency_choices(config: TenantConfig) -> list[Agency]:
    """Agencies a staff member can be placed in: the plugin's, then the admin's active ones
    (``config`` is the tenant's merged configuration)."""
    return list(config.agencies)
