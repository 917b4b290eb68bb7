"""The edges an attacker pokes at: malformed hosts, random hosts, oversized input."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kasane.core.db import Database
from kasane.core.registry.api_problems import PROBLEM_JSON
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
@pytest.mark.parametrize("path", ["/cases", "/", "/login", "/api/hsds/services", "/api/hsds"])
def test_a_malformed_host_is_a_bad_request_not_a_server_error(
    sqlite_env: Env, host: str, path: str
) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        r = c.get(path, headers={"host": host}, follow_redirects=False)
    assert r.status_code == 400
    if path.startswith("/api/hsds"):  # the public API: an RFC 9457 problem, in Japanese
        assert r.headers["content-type"] == PROBLEM_JSON
        body = r.json()
        assert (body["type"], body["title"], body["status"]) == ("about:blank", "Bad Request", 400)
        assert "リクエストを処理できませんでした" in body["detail"]
    else:  # a staff page: the HTML page
        assert r.headers["content-type"].startswith("text/html")
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


def test_cookies_are_secure_by_default_outside_the_demo(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kasane.settings import load_settings

    monkeypatch.delenv("KASANE_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("KASANE_DEMO", raising=False)
    assert load_settings(var_dir=tmp_path).secure_cookies is True
    assert load_settings(var_dir=tmp_path, demo=True).secure_cookies is False
    monkeypatch.setenv("KASANE_SECURE_COOKIES", "0")
    assert load_settings(var_dir=tmp_path).secure_cookies is False


def test_the_session_cookie_is_secure_httponly_and_host_only(sqlite_env: Env) -> None:
    from dataclasses import replace

    from litestar.testing import TestClient

    from kasane.app import create_app
    from tests.conftest import csrf_of

    settings = replace(sqlite_env.settings, demo=False, secure_cookies=True)
    with TestClient(create_app(settings), base_url=f"https://usuki.{TEST_DOMAIN}") as c:
        page = c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": "viewer",
                "password": "kasane-demo",
                "_csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 302
    assert "kasane_session=" in cookie and "secure" in cookie and "httponly" in cookie
    assert "domain=" not in cookie


def test_staff_pages_are_not_stored_and_static_files_are(sqlite_env: Env) -> None:
    from tests.conftest import login

    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        page = c.get("/cases")
        css = c.get("/static/core/app.css")
        missing = c.get("/cases/00000000-0000-0000-0000-000000000000")
    assert page.headers["cache-control"] == "no-store"
    assert missing.headers["cache-control"] == "no-store"
    assert "no-store" not in css.headers.get("cache-control", "")
    for r in (page, css, missing):
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in page.headers  # the demo serves plain HTTP


def test_a_site_served_over_https_tells_browsers_to_keep_to_https(sqlite_env: Env) -> None:
    """HSTS follows the secure setting (on by default outside the demo: the app is then
    served over HTTPS, TLS ending at the proxy), on every answer whatever produced it."""
    from dataclasses import replace

    from litestar.testing import TestClient

    from kasane.app import create_app
    from tests.conftest import login

    settings = replace(sqlite_env.settings, demo=False, secure_cookies=True)
    with TestClient(create_app(settings), base_url=f"https://usuki.{TEST_DOMAIN}") as c:
        answers = {
            "login page": c.get("/login"),
            "static file": c.get("/static/core/app.css"),
            "public API": c.get("/api/hsds/services"),
            "malformed host": c.get("/cases", headers={"host": f"usuki.{TEST_DOMAIN}:x"}),
        }
        assert login(c, "caseworker").status_code == 302
        answers["staff page"] = c.get("/cases")
    for what, r in answers.items():
        assert r.status_code in (200, 400), (what, r.status_code)
        hsts = r.headers.get("strict-transport-security", "")
        assert hsts == "max-age=31536000; includeSubDomains", what


def test_a_nul_character_is_a_bad_request_not_a_server_error(any_env: Env) -> None:
    from tests.conftest import csrf_of, login

    with tenant_client(any_env, "usuki") as c:
        login(c, "caseworker")
        page = c.get("/intake/new?counter=hokatsu")
        typed = c.post(
            "/intake/duplicates",
            data={"name": "山田\x00太郎", "kana": "やまだ"},
            headers={"x-csrftoken": csrf_of(page.text), "HX-Request": "true"},
        )
        searched = c.get("/cases?q=%00")
        clean = c.post(
            "/intake/duplicates",
            data={"name": "山田太郎", "kana": "やまだ"},
            headers={"x-csrftoken": csrf_of(page.text), "HX-Request": "true"},
        )
    assert typed.status_code == 400 and searched.status_code == 400
    assert clean.status_code == 200  # the form body read for the check still reaches the app
