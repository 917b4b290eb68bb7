"""The resource registry in a real browser (issue 5, items 7 and 9).

臼杵市's caseworker searches the demo registry in kana, opens a resource and the review-due
list; 丸亀市's caseworker searches for the same resource and does not find it, and its page
answers like a missing one. Every page is checked with axe.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.registry.models import Service
from kasane.tenants.services import find_tenant_by_slug
from tests.e2e.conftest import (
    LiveServer,
    assert_accessible,
    expect_not_found_like_missing,
    log_in_as,
    run_in_db,
)

pytestmark = pytest.mark.e2e


async def _a_usuki_service(db: Database) -> tuple[uuid.UUID, str]:
    """A usuki resource whose name marugame's registry does not also use."""
    async with db.session() as s:
        usuki = await find_tenant_by_slug(s, "usuki")
        marugame = await find_tenant_by_slug(s, "marugame")
        assert usuki is not None and marugame is not None
    async with db.session(marugame.id) as s:
        theirs = set((await s.execute(select(Service.name))).scalars())
    async with db.session(usuki.id) as s:
        rows = (
            await s.execute(
                select(Service.id, Service.name)
                .where(Service.status == "active")
                .order_by(Service.name)
            )
        ).all()
    return next((i, n) for i, n in rows if n not in theirs)


def test_usuki_finds_its_resource_and_marugame_does_not(
    page: Page, live_server: LiveServer
) -> None:
    service_id, name = run_in_db(live_server, _a_usuki_service)
    base = live_server.url("usuki")
    # given the usuki caseworker on the registry search
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(f"{base}/registry?q={name[:4]}")
    assert_accessible(page)
    # then the resource is listed, and its page and the review-due list open
    assert name in page.content()
    page.goto(f"{base}/registry/services/{service_id}")
    assert name in page.locator("h1").inner_text()
    assert_accessible(page)
    page.goto(f"{base}/registry/review-due")
    assert_accessible(page)

    # when marugame's caseworker searches for it and opens its address
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        theirs = other.new_page()
        log_in_as(theirs, live_server, "marugame", "caseworker")
        mbase = live_server.url("marugame")
        theirs.goto(f"{mbase}/registry?q={name[:4]}")
        assert_accessible(theirs)
        # then it is not there, and its page answers like a missing id
        assert name not in theirs.content()
        expect_not_found_like_missing(
            theirs,
            f"{mbase}/registry/services/{service_id}",
            f"{mbase}/registry/services/{uuid.uuid4()}",
        )
    finally:
        other.close()
