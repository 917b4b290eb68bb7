"""The case page links to its printable sheets (issue 12 item 7) in a real browser: the
links sit in the 相談内容 and アセスメントとプラン sections, the page still passes axe at
1366 and 390 px wide, and each link answers a PDF. Found by ids and URLs."""

from __future__ import annotations

import os
import uuid

import pytest
from playwright.sync_api import Page, expect

from kasane.core.db import Database
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db
from tests.isolation.routes_cases import (
    actor_of,
    evaluate,
    intake_case,
    tenant_setup,
    walk,
)

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("KASANE_SHOTS")  # a folder: save screenshots there to look at them


async def _evaluated_case(db: Database) -> uuid.UUID:
    tenant_id, config = await tenant_setup(db, "usuki")
    async with db.session(tenant_id) as s:
        actor = await actor_of(s, "caseworker")
        case = await intake_case(s, actor, config, name="印刷 みのり", kana="インサツ ミノリ")
        await walk(s, actor, config, case, "evaluation")
        await evaluate(s, actor, case, "met", "目標を達成した。")
        return case.id


def test_the_case_page_links_its_sheets_and_each_link_is_a_pdf(
    page: Page, live_server: LiveServer
) -> None:
    base = live_server.url("usuki")
    case_id = run_in_db(live_server, _evaluated_case)
    log_in_as(page, live_server, "usuki", "caseworker")
    for width, height in ((1366, 768), (390, 844)):
        # given the case page at this width
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/cases/{case_id}")
        page.wait_for_load_state("load")
        # then the sheets are linked where they belong, and the page passes axe
        links = {
            "#intake a#intake-pdf-consent": "intake.pdf?version=consent",
            "#intake a#intake-pdf-no-consent": "intake.pdf?version=no-consent",
            "#records a#plan-pdf": "plan.pdf",
            "#records a#evaluation-pdf": "evaluation.pdf",
        }
        for selector, target in links.items():
            expect(page.locator(selector)).to_have_attribute("href", f"/cases/{case_id}/{target}")
        assert_accessible(page)
        if SHOTS:
            page.locator("#records").screenshot(path=f"{SHOTS}/case-records-{width}.png")
            page.locator("#intake").screenshot(path=f"{SHOTS}/case-intake-{width}.png")
    # … and each link answers a PDF with the browser's session
    fetch = """async url => {
        const r = await fetch(url);
        const head = new Uint8Array(await r.arrayBuffer()).slice(0, 5);
        return [r.status, r.headers.get("content-type"), String.fromCharCode(...head)];
    }"""
    for target in links.values():
        status, kind, head = page.evaluate(fetch, f"/cases/{case_id}/{target}")
        assert (status, kind, head) == (200, "application/pdf", "%PDF-")
