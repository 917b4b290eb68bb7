"""Database machinery: base, TenantScoped mixin, sessions with tenant criteria, RLS SQL."""

from kasane.core.db.ids import uuid7
from kasane.core.db.model import (
    Base,
    TenantScoped,
    UTCDateTime,
    tenant_fk,
    tenant_tables,
    utcnow,
)
from kasane.core.db.session import ALL_TENANTS, CrossTenantWrite, Database

__all__ = [
    "ALL_TENANTS",
    "Base",
    "CrossTenantWrite",
    "Database",
    "TenantScoped",
    "UTCDateTime",
    "tenant_fk",
    "tenant_tables",
    "utcnow",
    "uuid7",
]
