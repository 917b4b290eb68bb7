"""Login throttling through the real login form, from several clients: guessing a
user's password from one place never locks that user out at their own desk, and spraying
one password across many user names is capped."""

from __future__ import annotations

import asyncio
import re

import httpx

from kasane.app import create_app
from kasane.core.auth.ratelimit import MAX_CLIENT_FAILURES, MAX_FAILURES
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import TEST_DOMAIN, Env

BLOCKED = "このデバイスからのログインの失敗が多すぎます"


async def _login(app: object, client_ip: str, username: str, password: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))  # type: ignore[arg-type]
    base = f"http://usuki.{TEST_DOMAIN}"
    async with httpx.AsyncClient(transport=transport, base_url=base) as c:
        page = await c.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token
        return await c.post(
            "/login",
            data={"username": username, "password": password, "_csrf_token": token.group(1)},
        )


def test_guessing_from_elsewhere_never_locks_the_user_out(sqlite_env: Env) -> None:
    app = create_app(sqlite_env.settings)

    async def go() -> tuple[list[int], httpx.Response, httpx.Response]:
        wrong = [
            (await _login(app, "203.0.113.9", "caseworker", "wrong")).status_code
            for _ in range(MAX_FAILURES)
        ]
        attacker = await _login(app, "203.0.113.9", "caseworker", DEMO_PASSWORD)
        at_desk = await _login(app, "10.0.0.5", "caseworker", DEMO_PASSWORD)
        return wrong, attacker, at_desk

    wrong, attacker, at_desk = asyncio.run(go())
    assert wrong == [401] * MAX_FAILURES
    # the attacking client is stopped, even with the right password
    assert attacker.status_code == 401 and BLOCKED in attacker.text
    # the caseworker at their own desk signs in as usual
    assert at_desk.status_code == 302 and "kasane_session" in at_desk.headers["set-cookie"]


def test_spraying_one_password_across_user_names_is_capped(sqlite_env: Env) -> None:
    app = create_app(sqlite_env.settings)

    async def go() -> tuple[list[int], httpx.Response, httpx.Response]:
        sprayed = [
            (await _login(app, "198.51.100.7", f"staff{i}", "Spring2026!")).status_code
            for i in range(MAX_CLIENT_FAILURES)
        ]
        next_name = await _login(app, "198.51.100.7", "viewer", DEMO_PASSWORD)
        elsewhere = await _login(app, "10.0.0.6", "viewer", DEMO_PASSWORD)
        return sprayed, next_name, elsewhere

    sprayed, next_name, elsewhere = asyncio.run(go())
    assert sprayed == [401] * MAX_CLIENT_FAILURES
    assert next_name.status_code == 401 and BLOCKED in next_name.text
    assert elsewhere.status_code == 302
