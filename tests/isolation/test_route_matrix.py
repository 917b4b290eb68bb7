"""Every tenant-scoped route answers another tenant's id exactly like a missing id."""

from __future__ import annotations

import re
import uuid

import pytest

from kasane.app import create_app
from kasane.core.db import uuid7
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.isolation.routes import NOT_OBJECT_ROUTES, IdRoute, all_routes

ROUTES = all_routes()


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def test_every_parameterised_route_is_in_the_matrix(sqlite_env: Env) -> None:
    app = create_app(sqlite_env.settings)
    listed = {re.sub(r"\{\w+\}", "{id}", r.path) for r in ROUTES}
    unlisted = []
    for route in app.routes:
        path = _template(route.path)
        if "{" not in path or path in NOT_OBJECT_ROUTES or path.startswith("/static/"):
            continue
        if re.sub(r"\{\w+\}", "{id}", path) not in listed:
            unlisted.append(path)
    assert not unlisted, f"add these routes to tests/isolation/routes.py: {unlisted}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_other_tenants_id_is_a_plain_404(any_env: Env, route: IdRoute) -> None:
    # given a usuki caseworker (or the route's user), one usuki and one marugame object
    own = route.make_id(any_env, "usuki")
    theirs = route.make_id(any_env, "marugame")
    missing: uuid.UUID = uuid7()
    with tenant_client(any_env, "usuki") as client:
        assert login(client, route.username).status_code == 302
        token = csrf_of(client.get("/").text)

        def call(object_id: uuid.UUID):  # type: ignore[no-untyped-def]
            if route.method == "GET":
                return client.get(route.url(object_id))
            body = {**route.form, "_csrf_token": token}
            return client.request(route.method, route.url(object_id), data=body)

        # when each id is requested
        mine, foreign, absent = call(own), call(theirs), call(missing)
    # then the route works for the tenant's own object …
    assert mine.status_code == route.ok_status
    # … and the other tenant's object is indistinguishable from a missing one
    assert foreign.status_code == absent.status_code == 404
    assert foreign.text == absent.text
