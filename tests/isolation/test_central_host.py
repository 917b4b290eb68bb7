"""Every tenant route answers the plain 404 on the central host — the id routes with a real
object's id (here, after the integration tests: the matrix's ids make objects in usuki)."""

from __future__ import annotations

import re
import uuid

from litestar.testing import TestClient

from kasane.app import create_app
from tests.conftest import Env, csrf_of, login
from tests.isolation.routes import all_routes


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def _example(path: str) -> str:
    """A concrete URL for a route template: any id, any token."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_tenant_route_answers_404_on_the_central_host(sqlite_env: Env) -> None:
    # given every route of the tenants' app but those the central site has itself (/login,
    # /logout, /lang/…), with any id — and the matrix's id routes with a real usuki object's
    app = create_app(sqlite_env.settings)
    own = {_template(r.path) for r in app.state.central.routes}
    urls = {
        _example(_template(route.path))
        for route in app.routes
        if not route.path.startswith("/static") and _template(route.path) not in own
    }
    urls |= {r.url(r.make_id(sqlite_env, "usuki")) for r in all_routes()}
    assert len(urls) > 100
    central = f"http://central.{sqlite_env.settings.base_domain}"
    with TestClient(app, base_url=central) as client:
        # and a central client logged in as the operator analyst, and the central 404 page
        assert login(client, "analyst").status_code == 302
        token = csrf_of(client.get("/").text)
        missing = client.get("/no-such-page")
        assert missing.status_code == 404
        for url in sorted(urls):
            # when each is asked for on the central host, by GET and by POST with a valid token
            got = client.get(url)
            posted = client.post(url, data={"_csrf_token": token})
            # then each one is the plain 404, the same body as a page that does not exist
            assert (got.status_code, posted.status_code) == (404, 404), url
            assert got.text == missing.text, url
