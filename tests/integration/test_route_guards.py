"""Every route answers only after a login, or is listed as public with its reason — checked
over every route of both apps, whatever a handler's signature; an app with a forgotten
guard does not start (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Controller, Litestar, get, post
from litestar.di import NamedDependency, Provide
from litestar.testing import TestClient

from kasane.app import create_app
from kasane.central.web import requires_central_login
from kasane.core.auth.permissions import PERMISSIONS, needs, permission_for
from kasane.core.web.deps import Actor, requires_login
from kasane.core.web.route_guards import (
    CENTRAL_PUBLIC_ROUTES,
    PUBLIC_ROUTES,
    undeclared_permissions,
    unguarded_routes,
)
from tests.conftest import Env, csrf_of, login


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
        opt=needs("case:cases"),
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
    # … and the app refuses to start with it
    assert "forgotten_guard" in _startup_refusal(app, sqlite_env)


def _startup_refusal(app: Litestar, env: Env) -> str:
    """The error that stopped ``app`` from starting (the startup hook's, in a task group's)."""
    with pytest.raises(BaseException) as refused:
        with TestClient(app, base_url=f"http://usuki.{env.settings.base_domain}"):
            pass
    errors = [refused.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], RuntimeError)
    return str(errors[-1])


def test_a_staff_route_that_declares_no_permission_does_not_start_the_app(
    sqlite_env: Env,
) -> None:
    # given a throwaway route behind the login that declares no permission (it would answer
    # 403 to everyone: deny by default) …
    @get(
        "/undeclared",
        name="undeclared",
        dependencies={"actor": Provide(requires_login)},
        sync_to_thread=False,
    )
    def undeclared(actor: Actor) -> str:
        return actor.username

    app = create_app(sqlite_env.settings)
    app.register(undeclared)
    # then the check names it, and the app does not start
    found = undeclared_permissions(
        app, [requires_login], PUBLIC_ROUTES, permission_for, PERMISSIONS
    )
    assert found == ["GET /undeclared (undeclared)"]
    assert "undeclared" in _startup_refusal(app, sqlite_env)


class _Throwaway(Controller):
    """Routes that declare their permission as the app's do: on the controller (its area,
    the action from the method) and, where a route needs more, on the route."""

    path = "/throwaway"
    opt = needs("case:cases")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="throwaway_read", sync_to_thread=False)
    def read(self, actor: Actor) -> str:
        return "read"

    @post("/", name="throwaway_write", status_code=200, sync_to_thread=False)
    def write(self, actor: Actor) -> str:
        return "written"

    @get(
        "/export", name="throwaway_export", opt=needs("person:records:export"), sync_to_thread=False
    )
    def export(self, actor: Actor) -> str:
        return "exported"


def test_a_controllers_permission_reaches_its_routes_and_a_routes_own_wins(
    sqlite_env: Env,
) -> None:
    app = create_app(sqlite_env.settings)
    app.register(_Throwaway)
    host = f"http://usuki.{sqlite_env.settings.base_domain}"

    def answers(username: str) -> tuple[int, int, int]:
        with TestClient(app, base_url=host) as client:
            assert login(client, username).status_code == 302
            token = csrf_of(client.get("/login").text)
            return (
                client.get("/throwaway").status_code,
                client.post("/throwaway", data={"_csrf_token": token}).status_code,
                client.get("/throwaway/export").status_code,
            )

    # the viewer reads the area and writes nothing; the caseworker also writes but may not
    # export a person's record; the supervisor may
    assert answers("viewer") == (200, 403, 403)
    assert answers("caseworker") == (200, 200, 403)
    assert answers("supervisor") == (200, 200, 200)


def test_listing_a_route_as_public_is_the_only_way_to_open_it(sqlite_env: Env) -> None:
    @get("/open-on-purpose", name="open_on_purpose", sync_to_thread=False)
    def open_on_purpose() -> str:
        return "hello"

    app = create_app(sqlite_env.settings)
    app.register(open_on_purpose)
    public: dict[str, Any] = {**PUBLIC_ROUTES, "open_on_purpose": "a test"}
    assert unguarded_routes(app, [requires_login], public) == []
