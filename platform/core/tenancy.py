"""How the core knows a tenant: a TenantContext built by ``kasane.tenants``.

The core never imports ``kasane.tenants``; it receives this object (request scope, CLI,
jobs) and reaches the tenant's plugin only through ``hooks_for`` / ``config_for``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import msgspec

from kasane.core.config_types import Agency, TenantConfig, TenantInfo
from kasane.core.plugins import config_for, hooks_for
from kasane.core.town.effective import TownRow, apply_town

WRITABLE_STATUSES = frozenset({"trial", "active", "past_due"})


@dataclass(frozen=True, eq=False)
class TenantLocal:
    """What the tenant's admin set in the app on top of the plugin: agencies added by the
    municipality, terminology overrides and the look (colours, logo text).

    Loaded with the tenant by the resolver (``kasane.core.tenant_local``), so it is as fresh
    as the tenant's status (a few seconds) and costs no query per request.
    """

    agencies: tuple[Agency, ...] = ()
    terminology: Mapping[str, str] = field(default_factory=dict)
    look: Mapping[str, str] = field(default_factory=dict)
    retired_agency_names: Mapping[str, str] = field(default_factory=dict)
    # the town's own counters, areas and meetings over the plugin's (kasane.core.town)
    town: tuple[TownRow, ...] = ()


@dataclass(frozen=True, eq=False)
class TenantContext:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    info: TenantInfo
    theme_override: str | None = None
    local: TenantLocal = field(default_factory=TenantLocal)
    # one of the seeded demo towns: only these show demo hints and other towns' themes
    demo: bool = False
    # what the town's plugin got wrong when last built (its last good configuration is in
    # force meanwhile): shown to the tenant admin, and by ``kasane tenants show``
    plugin_problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The cache key of this tenant's plugin manager and config."""
        return str(self.id)

    @property
    def plugin_config(self) -> TenantConfig:
        """The plugin's configuration alone, without the admin's additions."""
        return config_for(self.key)

    @cached_property
    def config(self) -> TenantConfig:
        """The effective configuration: core defaults → plugin → the admin's agencies and
        words → the town's counters, areas and meetings (``kasane.core.town``)."""
        local = self.local
        return apply_town(self.admin_config, local.town)

    @cached_property
    def admin_config(self) -> TenantConfig:
        """The plugin's configuration with the admin's agencies and terminology on top, but
        not yet the town's counters, areas and meetings (what those are checked against)."""
        base = config_for(self.key)
        local = self.local
        if not (local.agencies or local.terminology or local.retired_agency_names):
            return base
        known = {a.key for a in base.agencies}
        return msgspec.structs.replace(
            base,
            agencies=[*base.agencies, *(a for a in local.agencies if a.key not in known)],
            terminology={**base.terminology, **local.terminology},
            retired_agency_names=dict(local.retired_agency_names),
        )

    @property
    def hooks(self) -> Any:
        return hooks_for(self.key)

    @property
    def theme(self) -> str:
        """The admin's choice, else the operator's override, else the plugin's."""
        return self.local.look.get("theme") or self.theme_override or self.config.theme

    @property
    def writable(self) -> bool:
        return self.status in WRITABLE_STATUSES


current_tenant: ContextVar[TenantContext | None] = ContextVar("kasane_tenant", default=None)
