"""The town's own settings (``/admin/town/{page}/{key}``) for the isolation matrix: each id
is a throwaway counter of the given tenant, its key the id's text (a valid key), so the
matrix may save or retire it freely."""

from __future__ import annotations

import uuid
from typing import Any

from kasane.core.db import Database
from kasane.core.town.models import TownSetting
from tests.conftest import Env
from tests.isolation.routes import IdRoute


def town_counter_id(env: Env, slug: str) -> uuid.UUID:
    """A counter of the town's own whose key is this id."""
    tenant_id = env.tenant_id(slug)
    found = uuid.uuid4()

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            s.add(
                TownSetting(
                    kind="counter",
                    key=str(found),
                    values={"name": "行列の窓口", "field": "other"},
                    retired=False,
                    revision=1,
                )
            )

    env.run(go)
    return found


COUNTER: dict[str, Any] = {"name": "行列の窓口（改）", "field": "other", "agency": "", "area": ""}

ROUTES = [
    IdRoute(
        "/admin/town/{page}/{id}",
        town_counter_id,
        method="POST",
        params={"page": "counters"},
        form=COUNTER,
        username="admin",
    ),
    IdRoute(
        "/admin/town/{page}/{id}/{action}",
        town_counter_id,
        method="POST",
        params={"page": "counters", "action": "retire"},
        username="admin",
    ),
]
