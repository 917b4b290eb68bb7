"""Behind a trusted proxy, the login throttle counts the real client (X-Forwarded-For):
the people behind one load balancer do not share one allowance, so an attacker's failures
never block the person at their own desk."""

from __future__ import annotations

import re

import httpx

from kasane.core.auth.ratelimit import MAX_FAILURES
from kasane.tenants.demo import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer


def _login(server: LiveServer, forwarded_for: str, password: str) -> int:
    host = {"host": f"usuki.localhost:{server.port}", "x-forwarded-for": forwarded_for}
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers=host) as c:
        page = c.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, page.status_code
        r = c.post(
            "/login",
            data={"username": "registry", "password": password, "_csrf_token": token.group(1)},
        )
        return r.status_code


def test_the_throttle_counts_the_forwarded_client(live_server: LiveServer) -> None:
    # given an attacker behind the (trusted, local) proxy failing for one user name
    failures = [_login(live_server, "203.0.113.9", "wrong") for _ in range(MAX_FAILURES)]
    assert failures == [401] * MAX_FAILURES
    # then that client is stopped, while the user from their own address gets in
    assert _login(live_server, "203.0.113.9", DEMO_PASSWORD) == 401
    assert _login(live_server, "10.0.0.5", DEMO_PASSWORD) == 302
