"""Every route answers only after a login, or is listed as public with its reason — checked
over every route of both apps, whatever a handler's signature; an app with a forgotten
guard does not start (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.testing import TestClient

from kasane.app import create_app
from kasane.central.web import requires_central_login
from kasane.core.web.deps import Actor, requires_login
from kasane.core.web.route_guards import (
    CENTRAL_PUBLIC_ROUTES,
    PUBLIC_ROUTES,
    unguarded_routes,
)
from tests.conftest import Env


def test_every_route_of_both_apps_is_guarded_or_listed_public(sqlite_env: Env) -> None:
    app = create_app(sqlite_env.settings)
    assert unguarded_routes(app, [requires_login], PUBLIC_ROUTES) == []
    central = app.state.central
    assert unguarded_routes(central, [requires_central_login], CENTRAL_PUBLIC_ROUTES) == []
    # the public list names only routes that exist (a renamed route does not stay public)
    names = {h.name for r in app.routes for h in getattr(r, "route_handlers", [])}
    assert set(PUBLIC_ROUTES) <= names
    central_names = {h.name for r in central.routes for h in getattr(r, "route_handlers", [])}
    assert set(CENTRAL_PUBLIC_ROUTES) <= central_names


def test_a_route_that_forgets_its_login_is_found_and_the_app_does_not_start(
    sqlite_env: Env,
) -> None:
    # given a throwaway route whose handler takes no actor (it would answer anyone) …
    @get("/forgotten-guard", name="forgotten_guard", sync_to_thread=False)
    def forgotten() -> str:
        return "every case of the town"

    # … and one that is guarded only through a dependency that itself needs the actor
    async def my_agency(actor: Actor) -> str:
        return actor.agency_key or ""

    @get(
        "/indirectly-guarded",
        name="indirectly_guarded",
        dependencies={"actor": Provide(requires_login), "agency": Provide(my_agency)},
        sync_to_thread=False,
    )
    def indirect(agency: NamedDependency[str]) -> str:
        return agency

    app = create_app(sqlite_env.settings)
    app.register(forgotten)
    app.register(indirect)
    # when the routes are checked, only the forgotten one is named
    found = unguarded_routes(app, [requires_login], PUBLIC_ROUTES)
    assert found == ["GET /forgotten-guard (forgotten_guard)"]
    # … and the app refuses to start with it (the startup hook's error, in a task group's)
    with pytest.raises(BaseException) as refused:
        with TestClient(app, base_url=f"http://usuki.{sqlite_env.settings.base_domain}"):
            pass
    errors = [refused.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], RuntimeError) and "forgotten_guard" in str(errors[-1])


def test_listing_a_route_as_public_is_the_only_way_to_open_it(sqlite_env: Env) -> None:
    @get("/open-on-purpose", name="open_on_purpose", sync_to_thread=False)
    def open_on_purpose() -> str:
        return "hello"

    app = create_app(sqlite_env.settings)
    app.register(open_on_purpose)
    public: dict[str, Any] = {**PUBLIC_ROUTES, "open_on_purpose": "a test"}
    assert unguarded_routes(app, [requires_login], public) == []
