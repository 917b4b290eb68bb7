"""The staff admin in a real browser: usuki's admin grants a role in an agency and the staff
member's next page shows what it opens; a refused grant says why in place (htmx); the admin
pages, the 403 page and the header's agency switch pass axe. Assertions use ids, URLs and
data attributes, not wording (translations land later)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.db import Database
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.services import find_tenant_by_slug
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db

pytestmark = pytest.mark.e2e


async def _viewer_of_hokatsu(db: Database) -> tuple[str, str, str]:
    """A new usuki viewer at the caseworker's agency: (username, account id, agency)."""
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, "usuki")
    assert tenant is not None
    username = f"e2e-{uuid.uuid4().hex[:6]}"
    async with db.session(tenant.id) as s:
        caseworker = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
        ).scalar_one()
        agency = caseworker.memberships[0].agency_key
        account = await do_create_account(
            s,
            username=username,
            display_name="画面 試験",
            password=DEMO_PASSWORD,
            role="viewer",
            agency_key=agency,
        )
        return username, str(account.id), str(agency)


def test_a_granted_role_shows_in_the_members_next_page(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    usuki = live_server.url("usuki")
    username, account_id, agency = run_in_db(live_server, _viewer_of_hokatsu)
    # given the new viewer, signed in in a browser of its own: no intake in its navigation
    context = browser.new_context()
    try:
        member = context.new_page()
        log_in_as(member, live_server, "usuki", username)
        expect(member.locator('.main-nav a[href="/cases"]')).to_have_count(1)
        expect(member.locator('.main-nav a[href="/intake"]')).to_have_count(0)
        forbidden = member.goto(f"{usuki}/intake")
        assert forbidden is not None and forbidden.status == 403
        assert_accessible(member)  # the 403 page

        # when usuki's admin opens the staff list and the member …
        log_in_as(page, live_server, "usuki", "admin")
        expect(page.locator('.main-nav a[href="/admin/staff"]')).to_have_count(1)
        page.locator('.main-nav a[href="/admin/staff"]').click()
        expect(page).to_have_url(f"{usuki}/admin/staff")
        assert_accessible(page)
        page.locator(f'tr[data-account="{username}"] a').click()
        expect(page).to_have_url(f"{usuki}/admin/staff/{account_id}")
        assert_accessible(page)
        # … and grants it the caseworker role in its agency (the form posts through htmx)
        page.locator("#grant-role").select_option("caseworker")
        page.locator("#grant-agency").select_option(agency)
        page.locator("#grant-form button[type=submit]").click()
        expect(page.locator("#staff-done")).to_be_visible()
        expect(
            page.locator(f'#memberships tr[data-role="caseworker"][data-agency="{agency}"]')
        ).to_have_count(1)
        assert_accessible(page)

        # then the member's next page load shows the new navigation item, and it opens
        member.reload()
        expect(member.locator('.main-nav a[href="/intake"]')).to_have_count(1)
        member.locator('.main-nav a[href="/intake"]').click()
        expect(member).to_have_url(f"{usuki}/intake")

        # and granting the same again is refused in place, naming the field
        page.locator("#grant-role").select_option("caseworker")
        page.locator("#grant-agency").select_option(agency)
        page.locator("#grant-form button[type=submit]").click()
        expect(page.locator("#grant-role-error")).to_be_visible()
        expect(page.locator("#grant-role")).to_have_attribute("aria-invalid", "true")
        assert_accessible(page)

        # and the history lists both changes
        page.goto(f"{usuki}/admin/staff/{account_id}")
        expect(page.locator("#staff-history tbody tr")).to_have_count(2)
    finally:
        context.close()


def test_the_other_admin_pages_and_the_agency_switch_pass_axe(
    page: Page, live_server: LiveServer
) -> None:
    usuki = live_server.url("usuki")
    log_in_as(page, live_server, "usuki", "admin")
    page.goto(f"{usuki}/admin/agencies")
    assert_accessible(page)
    # a refused new agency names its fields and keeps the typing
    page.locator("#new-key").fill("Not A Key")
    page.locator("#new-agency button[type=submit]").click()
    expect(page.locator("#new-key-error")).to_be_visible()
    expect(page.locator("#new-name-error")).to_be_visible()
    expect(page.locator("#new-key")).to_have_value("not a key")
    assert_accessible(page)
    key = f"e2e-{uuid.uuid4().hex[:6]}"
    page.locator("#new-key").fill(key)
    page.locator("#new-name").fill("うすき見守りNPO（架空）")
    page.locator("#new-agency button[type=submit]").click()
    expect(page.locator("#agencies-done")).to_be_visible()
    expect(page.locator(f'li[data-agency="{key}"][data-active="yes"]')).to_have_count(1)
    assert_accessible(page)
    # the invitation form offers it
    page.goto(f"{usuki}/admin/invitations")
    expect(page.locator(f'#agency_key option[value="{key}"]')).to_have_count(1)
    assert_accessible(page)

    # the supervisor works for two agencies: the header lets it switch
    page.context.clear_cookies()
    log_in_as(page, live_server, "usuki", "supervisor")
    switch = page.locator("#agency-switch")
    expect(switch).to_be_visible()
    assert_accessible(page)
    before = page.locator("#active-agency").input_value()
    values: list[str] = page.locator("#active-agency option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    other = next(v for v in values if v != before)
    page.locator("#active-agency").select_option(other)
    switch.locator("button[type=submit]").click()
    expect(page.locator("#active-agency")).to_have_value(other)
