"""Meeting papers routes for the isolation matrix.

The matrix logs in as the ``caseworker`` (地域包括支援センター); ``make_id`` gives a fresh
meeting of a type that agency sits on (usuki's 支援会議, marugame's まるごと会議), so the
tenant's own id answers 200 and the other tenant's the plain 404.

``/calendar/{token}.ics`` is not here: it takes a feed token, not an object id, and is
listed in ``NOT_OBJECT_ROUTES``; ``tests/integration/test_calendar_feed.py`` sends a usuki
token to marugame's host.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.db import Database
from kasane.core.meetings.services import do_create_meeting, member_types
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env
from tests.isolation.routes import IdRoute


async def _new_meeting(db: Database, slug: str) -> uuid.UUID:
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, slug)
    assert tenant is not None
    config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
    async with db.session(tenant.id) as s:
        account = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
        ).scalar_one()
        actor = ActorInfo.of(account)
        mt = next(m for m in member_types(config, actor) if m.legal_basis == "art106_6")
        meeting = await do_create_meeting(
            s,
            actor,
            config,
            meeting_type_key=mt.key,
            starts_at=datetime.now(UTC) + timedelta(days=2),
            place="会議室",
        )
        return meeting.id


def meeting_id(env: Env, slug: str) -> uuid.UUID:
    """A fresh 106条の6 meeting of the tenant that the caseworker's agency sits on."""
    return env.run(_new_meeting, slug)


ROUTES = [
    IdRoute("/meetings/{id}/papers", meeting_id),
    IdRoute("/meetings/{id}/papers.pdf", meeting_id),
]
