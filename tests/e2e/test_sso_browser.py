"""A new town's walk from signup to its first logins, in the browser (issue 6), against
local Stripe (localstripe) and OpenID (oidc-provider-mock) servers.

On the operator host the town signs up (its code fills in name and prefecture as it is
typed) and pays at the local Checkout: the server runs the local billing implementation,
whose "Pay" subscribes the town in localstripe and sends the signed webhooks Stripe would,
so the town becomes ``active``. Its admin accepts the signup invitation the demo shows
(local password + TOTP), sets up the town's OpenID provider and invites a caseworker, who
signs in through the provider. axe on every page of ours.

The walk has a server of its own (``paying_server``): the session's ``live_server`` keeps
subscriptions in memory, this one is pointed at localstripe (``KASANE_STRIPE_API_BASE``),
as an installation with a local Stripe is. Its database is migrated but not demo-seeded:
the walk starts from nothing but the new town.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from kasane.core.auth.models import StaffAccount, StaffMembership
from kasane.core.auth.permissions import ROLES
from kasane.core.db import Database
from kasane.migrations import upgrade
from kasane.settings import load_settings
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.services import find_tenant_by_slug
from tests.billing_fixtures import localstripe_server, stripe_get  # noqa: F401  (fixture)
from tests.conftest import TEST_MASTER_KEY, Env
from tests.e2e.conftest import (
    LiveServer,
    assert_accessible,
    run_in_db,
    serve_kasane,
)
from tests.oidc_fixtures import oidc_issuer, set_user  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

SLUG = "kotohira"
# 香川県琴平町: no other browser test signs it up (marugame is the demo's 香川県 town)
CODE = next(
    c for c, m in all_municipalities().items() if m.prefecture == "香川県" and m.name == "琴平町"
)


def _migrated_env(var: Path) -> Env:
    settings = load_settings(
        database_url=f"sqlite:///{var / 'kasane.db'}",
        var_dir=var,
        demo=True,
        master_key=TEST_MASTER_KEY,
    )
    upgrade(settings.migration_database_url)
    return Env(settings, "sqlite")


@pytest.fixture(scope="module")
def paying_server(
    tmp_path_factory: pytest.TempPathFactory, localstripe: str
) -> Iterator[LiveServer]:
    """``kasane serve`` in demo mode with local billing on localstripe (see the docstring)."""
    var = tmp_path_factory.mktemp("e2e-paying")
    # in a thread: once Playwright runs, this thread has an event loop that asyncio refuses
    with ThreadPoolExecutor(max_workers=1) as pool:
        env = pool.submit(_migrated_env, var).result()
    with serve_kasane(
        var, env, KASANE_BILLING="local", KASANE_STRIPE_API_BASE=localstripe
    ) as server:
        yield server


def _tenant(server: LiveServer) -> Tenant | None:
    async def go(db: Database) -> Tenant | None:
        async with db.session() as s:
            return await find_tenant_by_slug(s, SLUG)

    return run_in_db(server, go)  # type: ignore[no-any-return]


def _memberships_of(server: LiveServer, tenant: Tenant, email: str) -> set[tuple[str, str]]:
    async def go(db: Database) -> set[tuple[str, str]]:
        async with db.session(tenant.id) as s:
            rows = await s.execute(
                select(StaffMembership.role, StaffMembership.agency_key)
                .join(StaffAccount, StaffAccount.id == StaffMembership.account_id)
                .where(StaffAccount.email == email)
            )
            return {(role, agency or "") for role, agency in rows}

    return run_in_db(server, go)  # type: ignore[no-any-return]


def _sign_up_and_pay(page: Page, server: LiveServer, localstripe: str) -> str:
    """The operator host's signup and local Checkout; returns the admin's invitation link."""
    operator = server.url(None)
    assert _tenant(server) is None
    page.goto(f"{operator}/signup")
    assert_accessible(page)
    # the code fills in the municipality as it is typed (htmx)
    page.locator("#municipality_code").fill(CODE)
    expect(page.locator("#municipality-name")).to_contain_text("香川県 琴平町")
    assert_accessible(page)
    page.locator("#population").fill("8,500")
    page.locator("#admin_name").fill("管理 花子")
    page.locator("#admin_email").fill("hanako@town.example.jp")
    page.locator("#slug").fill(SLUG)
    page.locator("#plan-small").check()
    page.locator("#signup form button[type=submit]").click()

    # signed up, on a trial; the demo shows the admin's invitation (e-mailed in production)
    expect(page.locator("#signup-done")).to_be_visible()
    assert_accessible(page)
    tenant = _tenant(server)
    assert tenant is not None and tenant.status == "trial" and tenant.plan == "small"
    assert (tenant.municipality_code, tenant.name, tenant.population) == (CODE, "琴平町", 8500)
    link = page.locator("#invitation-link").inner_text()
    assert re.match(rf"{re.escape(server.url(SLUG))}/invitation\?token=", link)

    # Checkout (the local stand-in for Stripe's), then back to the result page
    page.locator("#signup-done form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(operator)}/billing/local/checkout\?"))
    expect(page.locator("#local-checkout")).to_contain_text(SLUG)
    assert_accessible(page)
    page.locator("#pay").click()
    expect(page).to_have_url(f"{operator}/signup/result?tenant={SLUG}&paid=1")
    # the webhooks arrived before the redirect: the page already says active
    expect(page.locator("#signup-result .saved[role=status]")).to_be_visible()
    assert_accessible(page)
    paid = _tenant(server)
    assert paid is not None and paid.status == "active"
    # the subscription is a real localstripe object, and nothing personal went there
    subscription = stripe_get(localstripe, f"/v1/subscriptions/{paid.stripe_subscription_id}")
    assert subscription["status"] == "active"
    assert subscription["customer"] == paid.stripe_customer_id
    assert subscription["metadata"] == {"tenant_id": str(paid.id), "slug": SLUG, "plan": "small"}
    customer = stripe_get(localstripe, f"/v1/customers/{paid.stripe_customer_id}")
    assert not any(customer.get(k) for k in ("name", "email", "phone", "address"))
    assert "hanako" not in str(customer) and "管理" not in str(customer)
    return link


def test_a_town_signs_up_pays_and_its_admin_and_invited_caseworker_sign_in(
    page: Page,
    browser: Browser,
    paying_server: LiveServer,
    localstripe: str,
    oidc_issuer: str,  # noqa: F811
) -> None:
    server = paying_server
    link = _sign_up_and_pay(page, server, localstripe)
    town = server.url(SLUG)

    # the admin accepts the invitation: user name, password, TOTP
    page.goto(link)
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#username").fill("hanako")
    page.locator("#password").fill("a-long-enough-password")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#invitation form button[type=submit]").click()
    expect(page).to_have_url(f"{town}/admin/setup")  # a new town's admin: the first-run setup
    assert_accessible(page)
    # the paid town: its billing page says so and offers no second Checkout
    page.goto(f"{town}/billing")
    expect(page.locator("#portal-link")).to_be_visible()
    expect(page.locator("#billing form[action='/billing/checkout']")).to_have_count(0)
    assert_accessible(page)

    # the town's identity provider
    page.goto(f"{town}/admin/sso")
    assert_accessible(page)
    page.locator("#issuer").fill(oidc_issuer)
    page.locator("#client_id").fill("kasane-kotohira")
    page.locator("#client_secret").fill("browser-test-secret")
    page.locator("#sso-save").click()  # tested against the provider, then saved
    expect(page.locator("#sso-saved")).to_be_visible()
    assert_accessible(page)

    # a caseworker is invited into an agency; the demo shows the link
    page.goto(f"{town}/admin/invitations")
    assert_accessible(page)
    roles = page.locator("#role option").evaluate_all("options => options.map(o => o.value)")
    assert roles == list(ROLES) and len(roles) == 6
    page.locator("#email").fill("ichiro@town.example.jp")
    page.locator("#role").select_option("caseworker")
    page.locator("#agency_key").select_option("municipality")  # the standard plugin's agency
    page.locator("#admin-invitations form button[type=submit]").click()
    invitation = page.locator("#invitation-link").inner_text()
    assert re.match(rf"{re.escape(town)}/invitation\?token=", invitation)
    assert_accessible(page)

    # the caseworker, in a browser of their own, signs in at the provider
    set_user(oidc_issuer, "town-ichiro", email="ichiro@town.example.jp", email_verified=True)
    context = browser.new_context()
    try:
        worker = context.new_page()
        worker.goto(invitation)
        expect(worker).to_have_url(re.compile(rf"^{re.escape(oidc_issuer)}/oauth2/authorize"))
        worker.locator("input[name=sub]").fill("town-ichiro")
        worker.locator("button[type=submit]:not([name])").first.click()
        expect(worker).to_have_url(f"{town}/")
        assert_accessible(worker)
    finally:
        context.close()
    tenant = _tenant(server)
    assert tenant is not None
    assert _memberships_of(server, tenant, "ichiro@town.example.jp") == {
        ("caseworker", "municipality")
    }
