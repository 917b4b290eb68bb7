"""The registry of tenant-scoped routes that take an object id.

Every route whose path has a parameter must be listed here (``test_route_matrix`` fails
otherwise). A feature adds its routes with a function that returns an id of a real object
of the given tenant; the matrix then calls the route with the *other* tenant's id and
expects exactly the 404 of a missing id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from kasane.core.auth.models import StaffAccount
from kasane.core.db import Database
from tests.conftest import Env


@dataclass(frozen=True)
class IdRoute:
    path: str  # with one {id} placeholder, e.g. "/staff/{id}"
    make_id: Callable[[Env, str], uuid.UUID]  # (env, tenant slug) → an id in that tenant
    method: str = "GET"  # a POST is sent with ``form`` and the page's CSRF token
    # Fixed values for any other placeholder, e.g. {"version": "1"} for
    # "/cases/{id}/plan/{version}": the object id is what the matrix varies.
    params: dict[str, str] = field(default_factory=dict)
    # The body of a POST: valid for the tenant's own object, so that it answers 200 there
    # (after its redirect) while the other tenant's id gets the plain 404 and changes nothing.
    form: dict[str, str] = field(default_factory=dict)
    username: str = "caseworker"  # who the matrix logs in as (some routes are for supervisors)
    # What the tenant's own object answers: 200, unless no valid form can be fixed in advance
    # (e.g. it names a second object) and the route is checked up to its validation (422).
    ok_status: int = 200

    def url(self, object_id: uuid.UUID) -> str:
        return self.path.format(id=object_id, **self.params)


def staff_account_id(env: Env, slug: str) -> uuid.UUID:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            return (
                await s.execute(
                    select(StaffAccount.id).where(StaffAccount.username == "caseworker")
                )
            ).scalar_one()

    return env.run(go)


ROUTES: list[IdRoute] = [
    IdRoute("/staff/{id}", staff_account_id),
]


def all_routes() -> list[IdRoute]:
    """These routes plus each feature's ``routes_<area>.py`` module (one file per area, so
    features add routes without touching each other)."""
    import importlib
    import pkgutil

    import tests.isolation as package

    found = list(ROUTES)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("routes_"):
            found += importlib.import_module(f"tests.isolation.{info.name}").ROUTES
    return found


# Parameterised routes that are not tenant objects (language switch, static files; the
# calendar feed /calendar/{token}.ics takes a token — test_calendar_feed tries it cross-tenant).
NOT_OBJECT_ROUTES = {
    "/lang/{code}",
    "/schema/{path}",
    "/calendar/{feed_file}",
    # the town's settings pages and the setup's steps are named, not objects (their items
    # are: tests/isolation/routes_town.py)
    "/admin/town/{page}",
    "/admin/setup/{step}",
}
