"""Participation matching in a real browser (issue 5, items 4 and 9).

臼杵市: the caseworker opens the case of a person who needs a place to belong, in an area
where the demo registry has a 居場所; the participation page ranks it with its reasons; the
caseworker proposes it and starts the match. Elements are found by ids, names, values and
URLs, never by the core's wording. Every page is checked with axe.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.registry.models import Attribute, Service, TaxonomyTerm
from kasane.tenants.services import find_tenant_by_slug
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db
from tests.integration.test_participation import _needy_case

pytestmark = pytest.mark.e2e


async def _an_ibasho(db: Database) -> tuple[uuid.UUID, str, str]:
    """(id, name, area) of a usuki demo registry 居場所 that has an area."""
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, "usuki")
        assert tenant is not None
    async with db.session(tenant.id) as s:
        row = (
            await s.execute(
                select(Service.id, Service.name, Service.area_key)
                .join(Attribute, Attribute.link_id == Service.id)
                .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
                .where(
                    TaxonomyTerm.code == "ibasho",
                    Service.area_key.is_not(None),
                    Service.status == "active",
                )
                .order_by(Service.name)
                .limit(1)
            )
        ).one()
        return row[0], row[1], row[2]


def checked(page: Page) -> None:
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_usuki_caseworker_finds_an_ibasho_and_starts_a_match(
    page: Page, live_server: LiveServer
) -> None:
    # given a person whose case area has a 居場所 in the demo registry, needing a place to belong
    service_id, name, area = run_in_db(live_server, _an_ibasho)
    case_id = run_in_db(live_server, _needy_case, "usuki", area, ["ibasho"], "居場所 さがし")
    log_in_as(page, live_server, "usuki", "caseworker")
    # when the caseworker opens the case and its participation page
    page.goto(live_server.url("usuki") + f"/cases/{case_id}")
    checked(page)
    page.locator("#participation-link").click()
    expect(page).to_have_url(live_server.url("usuki") + f"/cases/{case_id}/participation")
    checked(page)
    # then the 居場所 is among the ranked candidates, with its reasons
    propose = page.locator(f'form:has(input[name="ref"][value="{service_id}"])')
    expect(propose).to_have_count(1)
    row = page.locator("table.candidates tr", has=propose)
    expect(row).to_contain_text(name)
    expect(row.locator(".badge")).not_to_have_count(0)
    # when the caseworker proposes it
    propose.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url('usuki')}/cases/{case_id}/participation#matches")
    checked(page)
    match = page.locator("#matches .match", has_text=name)
    expect(match.locator(".badge.match-proposed")).to_have_count(1)
    # and starts the match
    match.locator('form[action$="/start"] button[type=submit]').click()
    checked(page)
    # then the match has started and offers the 定着支援 contact form
    match = page.locator("#matches .match", has_text=name)
    expect(match.locator(".badge.match-started")).to_have_count(1)
    expect(match.locator('form[action$="/retention"]')).to_have_count(1)
    expect(page.locator("#participation-alert")).to_have_count(0)


def test_community_and_gap_pages_pass_axe(page: Page, live_server: LiveServer) -> None:
    # given a usuki caseworker
    log_in_as(page, live_server, "usuki", "caseworker")
    # when a place is added on /community and an activity recorded there
    page.goto(live_server.url("usuki") + "/community")
    checked(page)
    page.locator("#place-name").fill("中央ふれあい広場（試験）")
    page.locator("#place-area").select_option("chuo")
    page.locator("#place-form button[type=submit]").click()
    checked(page)
    page.locator("#activity-older").fill("7")
    page.locator("#activity-form button[type=submit]").click()
    # then the indicators show it, and the gap list opens from the nav; both pass axe
    checked(page)
    expect(page.locator("table.indicators tbody tr")).not_to_have_count(0)
    page.locator('nav.main-nav a[href="/gaps"]').click()
    expect(page).to_have_url(live_server.url("usuki") + "/gaps")
    checked(page)


def test_the_case_page_suggests_matches_and_one_is_proposed(
    page: Page, live_server: LiveServer
) -> None:
    # given a person needing a place to belong, in an area with a 居場所 in the registry
    _service_id, _name, area = run_in_db(live_server, _an_ibasho)
    case_id = run_in_db(live_server, _needy_case, "usuki", area, ["ibasho"], "提案 みどり")
    log_in_as(page, live_server, "usuki", "caseworker")
    # when the caseworker opens the case page
    page.goto(live_server.url("usuki") + f"/cases/{case_id}")
    # then htmx loads the top suggestions into it, each with a propose button; axe passes
    suggestions = page.locator("#suggestions-box .suggestion")
    expect(suggestions.first).to_be_visible()
    assert 1 <= suggestions.count() <= 3
    expect(suggestions.first.locator(".badge.reason")).not_to_have_count(0)
    expect(
        page.locator(f'#suggestions-box a[href="/cases/{case_id}/participation"]')
    ).to_have_count(1)
    checked(page)
    # when the first suggestion is proposed
    ref = suggestions.first.get_attribute("data-ref")
    suggestions.first.locator("button[type=submit]").click()
    # then the match flow goes on on the participation page, with the match proposed
    expect(page).to_have_url(f"{live_server.url('usuki')}/cases/{case_id}/participation#matches")
    checked(page)
    expect(page.locator("#matches .match .badge.match-proposed")).to_have_count(1)
    expect(page.locator(f'#candidates input[name="ref"][value="{ref}"]')).to_have_count(0)
    # and without htmx the suggestions are a page of their own that passes axe
    page.goto(live_server.url("usuki") + f"/cases/{case_id}/participation/suggestions")
    checked(page)
    expect(page.locator(".suggestion")).not_to_have_count(0)
