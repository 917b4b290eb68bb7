"""Load what a tenant's admin set in the app (agencies, terminology, look) in one session."""

from __future__ import annotations

import uuid

from kasane.core.db import Database
from kasane.core.tenancy import TenantLocal


async def load_tenant_local(db: Database, tenant_id: uuid.UUID) -> TenantLocal:
    # Imported here: both areas import the tenancy module themselves.
    from kasane.core.auth.agencies import local_agencies, retired_agency_names
    from kasane.core.look.services import look_and_terms
    from kasane.core.town.services import load_town_rows

    async with db.session(tenant_id) as s:
        agencies = await local_agencies(s)
        retired = await retired_agency_names(s)
        look, terminology = await look_and_terms(s)
        town = await load_town_rows(s)
    return TenantLocal(
        agencies=tuple(agencies),
        terminology=terminology,
        look=look,
        retired_agency_names=retired,
        town=tuple(town),
    )
