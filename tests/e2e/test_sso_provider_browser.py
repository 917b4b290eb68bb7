"""The browser walk of issue 21, against the Entra/Keycloak-like provider of
:mod:`tests.town_provider` (issuer with a slash, RS512, no ``email_verified``, a login form
of its own, logout at the provider).

usuki's admin sets up SSO on /admin/sso, tests it on the page and saves it, and invites a
caseworker, who follows the link, signs in at the provider and lands in Kasane; they log
out, which ends the provider's session too, so the next sign-in on this PC asks for the
password at the provider again. The walk has a server of its own (a demo-seeded copy), so
no other browser test sees usuki with SSO.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import _make_sqlite_env
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, serve_kasane
from tests.town_provider import TownProvider, running_provider

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

SHOTS = Path(os.environ.get("KASANE_SCREENSHOTS", "/tmp/kasane-shots"))


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var = tmp_path_factory.mktemp("e2e-sso-providers")
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run() off Playwright's thread
        env = pool.submit(_make_sqlite_env, var).result()
    with serve_kasane(var, env) as server:
        yield server


@pytest.fixture(scope="module")
def op(sso_server: LiveServer) -> Iterator[TownProvider]:
    town = sso_server.url("usuki")
    with running_provider() as provider:
        provider.register(
            "kasane-usuki",
            redirect_uris=[f"{town}/sso/callback"],
            post_logout_redirect_uris=[f"{town}/login"],
            auth_method="client_secret_post",
            secret="browser-walk-secret",
        )
        provider.add_user(
            "entra-hokatsu-7", "provider-password", name="大野 さくら", email="ohno@pref.example.jp"
        )
        yield provider


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_admin_sets_up_sso_and_an_invited_caseworker_signs_in_and_out(
    page: Page, browser: Browser, sso_server: LiveServer, op: TownProvider
) -> None:
    town = sso_server.url("usuki")
    log_in_as(page, sso_server, "usuki", "admin")

    # the admin sees the URLs to register, fills in the provider and tests it
    page.goto(f"{town}/admin/sso")
    expect(page.locator("#sso-callback-url")).to_have_text(f"{town}/sso/callback")
    expect(page.locator("#sso-logout-url")).to_have_text(f"{town}/login")
    expect(page.locator("#sso-jwks-url")).to_have_text(f"{town}/sso/jwks.json")
    assert_accessible(page)
    page.locator("#issuer").fill(op.issuer.rstrip("/"))  # typed without the slash
    page.locator("#client_id").fill("kasane-usuki")
    page.locator("#client_secret").fill("browser-walk-secret")
    page.locator("#auth-client_secret_post").check()
    page.locator("#sso-test").click()
    expect(page.locator("#sso-check-h")).to_have_text("IdP の確認：問題ありません")
    expect(page.locator("#sso-check")).to_contain_text("RS512")
    expect(page.locator("#sso-check")).to_contain_text("ログアウトします")
    expect(page.locator("#issuer")).to_have_value(op.issuer)  # the provider's spelling
    assert_accessible(page)
    _shoot(page, "admin-sso-tested")
    # the secret is not sent back to the page: typed again, then saved
    page.locator("#client_secret").fill("browser-walk-secret")
    page.locator("#sso-save").click()
    expect(page.locator("#sso-saved")).to_be_visible()
    expect(page.locator("#sso-logout-status")).to_contain_text("IdP からもログアウト")
    assert_accessible(page)

    # … and invites a caseworker of the 地域包括支援センター; the demo shows the link
    page.goto(f"{town}/admin/invitations")
    page.locator("#email").fill("sakura.ohno@usuki.example.jp")
    page.locator("#role").select_option("caseworker")
    page.locator("#agency_key").select_option("hokatsu")
    page.locator("#admin-invitations form button[type=submit]").click()
    link = page.locator("#invitation-link").inner_text()
    assert link.startswith(f"{town}/invitation?token=")

    # the caseworker, on a PC of their own, follows the link and signs in at the provider
    context = browser.new_context()
    try:
        worker = context.new_page()
        worker.goto(link)
        expect(worker).to_have_url(re.compile(rf"^{re.escape(op.url('oauth2/authorize'))}"))
        worker.locator("#op-username").fill("entra-hokatsu-7")
        worker.locator("#op-password").fill("provider-password")
        worker.locator("#op-login button").click()
        expect(worker).to_have_url(f"{town}/")
        expect(worker.locator("header .who")).to_have_text("大野 さくら")
        assert_accessible(worker)

        # they log out: Kasane's session and the provider's end, back at the login page
        worker.locator("form.logout button").click()
        expect(worker).to_have_url(f"{town}/login")
        assert ("logout", "entra-hokatsu-7") in op.events
        assert_accessible(worker)
        # the next person at this PC: the provider asks for the password again
        worker.locator(".sso-login a").click()
        expect(worker).to_have_url(re.compile(rf"^{re.escape(op.url('oauth2/authorize'))}"))
        expect(worker.locator("#op-password")).to_be_visible()
        worker.goto(f"{town}/")
        expect(worker).to_have_url(re.compile(rf"^{re.escape(town)}/login"))
    finally:
        context.close()

    # the admin sees the caseworker linked to the provider's identity
    page.goto(f"{town}/admin/sso")
    expect(page.locator("#sso-identities tr[data-linked]")).to_have_count(1)
    expect(page.locator("#sso-identities")).to_contain_text("entra-hokatsu-7")
    assert_accessible(page)
    _shoot(page, "admin-sso-linked")


def test_the_admin_switches_to_private_key_jwt_with_the_published_key_set(
    page: Page, browser: Browser, sso_server: LiveServer, op: TownProvider
) -> None:
    """After the walk above: the provider registers the town's JWKS URL and demands
    private_key_jwt; the admin switches to it on the page and the caseworker signs in."""
    town = sso_server.url("usuki")
    client = op.clients["kasane-usuki"]
    client.auth_method, client.jwks_uri = "private_key_jwt", f"{town}/sso/jwks.json"
    log_in_as(page, sso_server, "usuki", "admin")
    page.goto(f"{town}/admin/sso")
    page.locator("#auth-private_key_jwt").check()
    page.locator("#sso-save").click()
    expect(page.locator("#sso-saved")).to_be_visible()
    expect(page.locator("#auth-private_key_jwt")).to_be_checked()
    assert_accessible(page)
    context = browser.new_context()
    try:
        worker = context.new_page()
        worker.goto(f"{town}/login")
        worker.locator(".sso-login a").click()
        worker.locator("#op-username").fill("entra-hokatsu-7")
        worker.locator("#op-password").fill("provider-password")
        worker.locator("#op-login button").click()
        expect(worker).to_have_url(f"{town}/")
        expect(worker.locator("header .who")).to_have_text("大野 さくら")
    finally:
        context.close()
    # the provider fetched the JWKS from the town and verified the assertion with it
    assert ("client_auth", "kasane-usuki", "private_key_jwt") in op.events
