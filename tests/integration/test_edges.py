"""The edges an attacker pokes at: malformed hosts, random hosts, oversized input."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kasane.core.db import Database
from kasane.tenants.services import TenantResolver
from tests.conftest import TEST_DOMAIN, Env, tenant_client


@pytest.mark.parametrize(
    "host",
    [
        f"usuki.{TEST_DOMAIN}:abc",
        f"usuki.{TEST_DOMAIN}:80:80",
        f"usuki.{TEST_DOMAIN}/cases",
        f"usuki .{TEST_DOMAIN}",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/cases", "/", "/login", "/api/hsds/services"])
def test_a_malformed_host_is_a_bad_request_not_a_server_error(
    sqlite_env: Env, host: str, path: str
) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        r = c.get(path, headers={"host": host}, follow_redirects=False)
    assert r.status_code == 400
    assert "リクエストを処理できませんでした" in r.text


def test_a_port_in_the_host_still_finds_the_tenant(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        r = c.get("/login", headers={"host": f"usuki.{TEST_DOMAIN}:8000"})
    assert r.status_code == 200 and "臼杵市" in r.text


def test_random_hosts_do_not_grow_the_resolver_cache_without_bound(sqlite_env: Env) -> None:
    async def flood() -> tuple[int, bool]:
        db = Database(sqlite_env.settings.database_url)
        resolver = TenantResolver(db, TEST_DOMAIN)
        resolver.MAX_ENTRIES = 50
        try:
            await resolver.resolve("usuki")
            for _ in range(200):
                await resolver.resolve(f"x{uuid.uuid4().hex[:12]}")
            still = await resolver.resolve("usuki")
            return len(resolver._cache), still is not None
        finally:
            await db.dispose()

    size, usuki_found = asyncio.run(flood())
    assert size <= 50 and usuki_found
