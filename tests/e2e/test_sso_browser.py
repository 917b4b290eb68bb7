"""A new town's first login in the browser: its admin accepts the signup invitation (local
password + TOTP), sets up the town's OpenID provider (the local mock), invites a caseworker,
who signs in through the provider. axe on every page of ours."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.signup import SignupForm, do_signup
from tests.e2e.conftest import LiveServer, assert_accessible, run_in_db
from tests.oidc_fixtures import oidc_issuer, set_user  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")


def test_a_new_town_signs_in_and_its_invited_caseworker_signs_in_by_sso(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    oidc_issuer: str,  # noqa: F811
) -> None:
    code = next(
        c
        for c, m in sorted(all_municipalities().items())
        if m.prefecture == "香川県" and c != "372021"
    )
    form = SignupForm(code, "30000", "管理 花子", "hanako@town.example.jp", "ssotown", "small")
    token = run_in_db(live_server, lambda db: do_signup(db, form)).invitation_token
    town = live_server.url("ssotown")

    # the admin accepts the invitation: user name, password, TOTP
    page.goto(f"{town}/invitation?token={token}")
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#username").fill("hanako")
    page.locator("#password").fill("a-long-enough-password")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#invitation form button[type=submit]").click()
    expect(page).to_have_url(f"{town}/")

    # the town's identity provider
    page.goto(f"{town}/admin/sso")
    assert_accessible(page)
    page.locator("#issuer").fill(oidc_issuer)
    page.locator("#client_id").fill("kasane-ssotown")
    page.locator("#client_secret").fill("browser-test-secret")
    page.locator("#admin-sso form button[type=submit]").click()
    expect(page.locator("#admin-sso [role=status]")).to_be_visible()
    assert_accessible(page)

    # a caseworker is invited; the demo shows the link
    page.goto(f"{town}/admin/invitations")
    assert_accessible(page)
    page.locator("#email").fill("ichiro@town.example.jp")
    page.locator("#role").select_option("caseworker")
    page.locator("#agency_key").select_option("municipality")  # the standard plugin's agency
    page.locator("#admin-invitations form button[type=submit]").click()
    link = page.locator("#invitation-link").inner_text()
    assert re.match(rf"{re.escape(town)}/invitation\?token=", link)
    assert_accessible(page)

    # the caseworker, in a browser of their own, signs in at the provider
    set_user(oidc_issuer, "town-ichiro", email="ichiro@town.example.jp", email_verified=True)
    context = browser.new_context()
    try:
        worker = context.new_page()
        worker.goto(link)
        expect(worker).to_have_url(re.compile(rf"^{re.escape(oidc_issuer)}/oauth2/authorize"))
        worker.locator("input[name=sub]").fill("town-ichiro")
        worker.locator("button[type=submit]:not([name])").first.click()
        expect(worker).to_have_url(f"{town}/")
        assert_accessible(worker)
    finally:
        context.close()
