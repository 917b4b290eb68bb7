"""How the core knows a tenant: a TenantContext built by ``kasane.tenants``.

The core never imports ``kasane.tenants``; it receives this object (request scope, CLI,
jobs) and reaches the tenant's plugin only through ``hooks_for`` / ``config_for``.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kasane.core.config_types import TenantConfig, TenantInfo
from kasane.core.plugins import config_for, hooks_for

WRITABLE_STATUSES = frozenset({"trial", "active", "past_due"})


@dataclass(frozen=True)
class TenantContext:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    info: TenantInfo
    theme_override: str | None = None

    @property
    def key(self) -> str:
        """The cache key of this tenant's plugin manager and config."""
        return str(self.id)

    @property
    def config(self) -> TenantConfig:
        return config_for(self.key)

    @property
    def hooks(self) -> Any:
        return hooks_for(self.key)

    @property
    def theme(self) -> str:
        return self.theme_override or self.config.theme

    @property
    def writable(self) -> bool:
        return self.status in WRITABLE_STATUSES


current_tenant: ContextVar[TenantContext | None] = ContextVar("kasane_tenant", default=None)
