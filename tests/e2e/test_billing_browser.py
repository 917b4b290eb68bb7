"""A failed payment in the browser (issue 6): a new town, active on a subscription, gets a
genuinely signed ``invoice.payment_failed`` webhook on the live server. It is past due — still
writable, its admin's billing page says so — and once the grace period is over (the sweep,
run with a later "now") it is suspended: its staff still read their pages, but a save gets
the read-only notice and changes nothing. Meanwhile, in the same browser, usuki's caseworker
saves normally. axe on every page.

The server resolves tenants through a short cache. A webhook clears it for its tenant; the
sweep runs outside the server, so the test reloads until the suspension shows.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.registry.models import Service
from kasane.tenants.billing.services import do_billing_sweep
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.services import TenantResolver, find_tenant_by_slug
from kasane.tenants.signup import SignupForm, do_signup
from tests.billing_fixtures import event, sign
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db

pytestmark = pytest.mark.e2e

SLUG = "paytown"
ADMIN_PASSWORD = "a-long-enough-password"


def _post_webhook(live_server: LiveServer, type_: str, obj: dict[str, Any]) -> str:
    """A Stripe event signed with the server's webhook secret, posted to the operator host
    as Stripe posts it; returns the outcome the server reports."""
    payload = event(type_, obj)
    request = urllib.request.Request(
        live_server.url(None) + "/stripe/webhook",
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload, live_server.env.settings.stripe_webhook_secret),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return str(json.loads(response.read())["outcome"])


def _status(live_server: LiveServer) -> str:
    async def go(db: Database) -> str:
        async with db.session() as s:
            row = (await s.execute(select(Tenant).where(Tenant.slug == SLUG))).scalar_one()
            return row.status

    return str(run_in_db(live_server, go))


def _service_names(live_server: LiveServer, slug: str) -> set[str]:
    async def go(db: Database) -> set[str]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
            assert tenant is not None
        async with db.session(tenant.id) as s:
            return set((await s.execute(select(Service.name))).scalars())

    return set(run_in_db(live_server, go))


def _reload_until(page: Page, url: str, shown: Callable[[Page], bool]) -> None:
    """Reload ``url`` until ``shown`` holds: the server's tenant cache lives for
    ``TenantResolver.TTL`` seconds, so a change made outside it shows within that."""
    deadline = time.monotonic() + TenantResolver.TTL * 3
    while True:
        page.goto(url)
        if shown(page):
            return
        assert time.monotonic() < deadline, f"{url} never showed the change"
        page.wait_for_timeout(250)


def _add_service(page: Page, base: str, name: str) -> Any:
    """Fill in the registry's new-service form and save it; returns the POST's response."""
    page.goto(f"{base}/registry/services/new")
    page.locator("#name").fill(name)
    page.locator("#organization_id").select_option("new")
    page.locator("#organization_name").fill(f"{name}の運営団体")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/registry/services")
    ) as answer:
        page.locator("#registry-form form button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value


def test_a_failed_payment_makes_the_town_read_only_while_usuki_is_unaffected(
    page: Page, live_server: LiveServer
) -> None:
    # given a new town (大分県, not usuki), signed up and made active by a signed
    # subscription webhook, whose admin accepts the signup invitation in the browser
    code = next(
        c
        for c, m in sorted(all_municipalities().items())
        if m.prefecture == "大分県" and c != "442062"
    )
    form = SignupForm(code, "20000", "会計 次郎", "jiro@paytown.example.jp", SLUG, "small")
    signed_up = run_in_db(live_server, lambda db: do_signup(db, form))
    tenant_id = signed_up.tenant.id
    subscription = {
        "id": f"sub_{SLUG}",
        "object": "subscription",
        "customer": f"cus_{SLUG}",
        "status": "active",
        "metadata": {"tenant_id": str(tenant_id), "slug": SLUG},
    }
    assert _post_webhook(live_server, "customer.subscription.created", subscription) == "applied"
    assert _status(live_server) == "active"
    town = live_server.url(SLUG)
    page.goto(f"{town}/invitation?token={signed_up.invitation_token}")
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#username").fill("jiro")
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#invitation form button[type=submit]").click()
    expect(page).to_have_url(f"{town}/admin/setup")  # a new town's admin: the first-run setup
    before = f"支払い前の居場所{uuid.uuid4().hex[:6]}"
    assert _add_service(page, town, before).status == 303
    expect(page.locator("main h1")).to_contain_text(before)
    assert_accessible(page)

    # when a payment fails (Stripe's signed invoice.payment_failed)
    invoice = {
        "id": "in_" + uuid.uuid4().hex[:12],
        "object": "invoice",
        "customer": f"cus_{SLUG}",
        "subscription": f"sub_{SLUG}",
    }
    assert _post_webhook(live_server, "invoice.payment_failed", invoice) == "applied"
    # then the town is past due: its billing page says so, and it is still writable
    assert _status(live_server) == "past_due"
    page.goto(f"{town}/billing")
    expect(page.locator("#billing [role=alert]")).to_be_visible()
    assert_accessible(page)
    overdue = f"督促中の居場所{uuid.uuid4().hex[:6]}"
    assert _add_service(page, town, overdue).status == 303
    expect(page.locator("main h1")).to_contain_text(overdue)
    assert page.locator(".readonly-banner").count() == 0

    # when the grace period is over and the sweep runs (as `kasane billing sweep` does)
    settings = live_server.env.settings
    later = datetime.now(UTC) + timedelta(days=settings.billing_grace_days + 1)
    swept = run_in_db(live_server, lambda db: do_billing_sweep(db, settings, later))
    assert any(f"suspended {SLUG} " in line for line in swept), swept
    assert _status(live_server) == "suspended"
    # then its staff still read their pages, under the read-only notice
    _reload_until(page, f"{town}/registry", lambda p: p.locator(".readonly-banner").count() > 0)
    expect(page.locator(".readonly-banner")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{town}/registry?q={overdue}")
    expect(page.locator("main")).to_contain_text(overdue)
    page.goto(f"{town}/billing")
    expect(page.locator("#billing")).to_be_visible()
    assert_accessible(page)
    # but a save gets the read-only notice, and nothing changes
    refused = f"停止中の居場所{uuid.uuid4().hex[:6]}"
    answer = _add_service(page, town, refused)
    assert answer.status == 423
    expect(page.locator(".readonly-banner")).to_be_visible()
    assert_accessible(page)
    assert _service_names(live_server, SLUG) >= {before, overdue}
    assert refused not in _service_names(live_server, SLUG)

    # meanwhile, in the same browser, usuki's caseworker saves normally
    usuki_page = page.context.new_page()
    usuki = live_server.url("usuki")
    log_in_as(usuki_page, live_server, "usuki", "caseworker")
    saved = f"臼杵の新しい居場所{uuid.uuid4().hex[:6]}"
    assert _add_service(usuki_page, usuki, saved).status == 303
    expect(usuki_page.locator("main h1")).to_contain_text(saved)
    assert usuki_page.locator(".readonly-banner").count() == 0
    assert_accessible(usuki_page)
    assert saved in _service_names(live_server, "usuki")
    # and the suspended town's tab still refuses
    assert _add_service(page, town, refused + "2").status == 423
