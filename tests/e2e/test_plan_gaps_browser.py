"""Unmet needs in a support plan reach the gap list, which meetings and 地域づくり show
(issue 5, item 6), in a real browser with axe on every page.

臼杵市: the caseworker writes the first plan of a case whose assessment found work
experience missing; the editor starts from that need, htmx adds one more, and the saved
version lists both; the gap list shows them from support plans; a meeting page loads the
head of the gap list; /community shows it too. Elements are found by ids, names, values,
data attributes and URLs, never by the core's wording.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from kasane.core.db import Database
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db
from tests.integration.test_plan_gaps import _plan_draft_case
from tests.isolation.routes_cases import actor_of, tenant_setup

pytestmark = pytest.mark.e2e


async def _case_at_plan_draft(db: Database) -> uuid.UUID:
    tenant_id, config = await tenant_setup(db, "usuki")
    async with db.session(tenant_id) as s:
        actor = await actor_of(s, "caseworker")
        case = await _plan_draft_case(
            s, actor, config, area="shitanoe", assessed_needs=["work_trial"], name="計画 ひかり"
        )
        return case.id


def checked(page: Page) -> None:
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_plan_needs_reach_the_gap_list_that_meetings_and_community_show(
    page: Page, live_server: LiveServer
) -> None:
    base = live_server.url("usuki")
    case_id = run_in_db(live_server, _case_at_plan_draft)
    log_in_as(page, live_server, "usuki", "caseworker")
    # given the plan editor: it starts from the assessed need, in the case's area
    page.goto(f"{base}/cases/{case_id}/plan/new")
    checked(page)
    expect(page.locator("#needs-0-category")).to_have_value("work_trial")
    expect(page.locator("#needs-0-area")).to_have_value("shitanoe")
    # when one more need is added with htmx, town-wide transport
    page.locator("#add-need").click()
    expect(page.locator("#needs-2-category")).to_be_visible()
    expect(page.locator("#needs-2-area")).to_have_value("shitanoe")
    page.locator("#needs-2-category").select_option("transport")
    page.locator("#needs-2-area").select_option("")
    page.locator("#needs-2-note").fill("バスが1日2本（試験）")
    checked(page)
    # and the plan's row is written and the plan saved
    page.locator("#rows-0-issue").fill("仕事の経験がない（試験）")
    page.locator("#rows-0-goal").fill("就労体験に通う（試験）")
    page.locator("#rows-0-action").fill("受け入れ先を探す（試験）")
    page.locator("#rows-0-agency").select_option("hokatsu")
    page.locator("#plan-form button.primary[type=submit]").click()
    # then the version lists both needs
    expect(page).to_have_url(f"{base}/cases/{case_id}/plan/1")
    checked(page)
    expect(page.locator("#plan-needs li")).to_have_count(2)
    expect(page.locator("#plan-needs")).to_contain_text("バスが1日2本（試験）")
    # and the gap list has both lines, from a support plan among their sources
    page.goto(f"{base}/gaps")
    checked(page)
    expect(page.locator('tr[data-category="transport"][data-area=""]')).to_have_count(1)
    expect(page.locator('tr[data-category="work_trial"][data-area="shitanoe"]')).to_have_count(1)
    # and a meeting page loads the head of the gap list
    page.goto(f"{base}/meetings")
    href = page.locator('main a[href^="/meetings/"]').evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    meeting = next(h for h in href if re.fullmatch(r"/meetings/[0-9a-f-]{36}", h))
    page.goto(base + meeting)
    expect(page.locator("#gap-list .gap-summary")).to_be_visible()
    expect(page.locator("#gap-list tr[data-category]")).not_to_have_count(0)
    checked(page)
    # and so does the community page
    page.goto(f"{base}/community")
    expect(page.locator("#gaps .gap-summary tr[data-category]")).not_to_have_count(0)
    checked(page)
