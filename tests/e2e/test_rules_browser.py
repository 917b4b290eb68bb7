"""The town's rules on the case page in a real browser (issue 13): an 8050 household with
a withdrawn member gets 臼杵市's suggestion (a visit by 地域力創生課) and the core's
アウトリーチ one, shown as suggestions, and the page passes axe at 1366 and 390 px."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from kasane.core.db import Database
from kasane.core.people.services import do_add_member, do_create_person, household_of
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db
from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("KASANE_SHOTS")


async def _case_8050(db: Database) -> uuid.UUID:
    tenant_id, config = await tenant_setup(db, "usuki")
    async with db.session(tenant_id) as s:
        actor = await actor_of(s, "caseworker")
        # the person (born 1948) comes about their son of 52 who has withdrawn
        case = await intake_case(s, actor, config, name="規則 トメ", kana="キソク トメ")
        household = await household_of(s, case.person_id)
        assert household is not None
        son = await do_create_person(
            s, actor, name="規則 一郎", kana="キソク イチロウ", birth_date=date(1974, 5, 1)
        )
        await do_add_member(s, actor, household, son, "child", withdrawn=True)
        return case.id


def test_the_case_page_shows_the_towns_suggestions(page: Page, live_server: LiveServer) -> None:
    base = live_server.url("usuki")
    case_id = run_in_db(live_server, _case_8050)
    log_in_as(page, live_server, "usuki", "caseworker")
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/cases/{case_id}")
        page.wait_for_load_state("load")
        prompts = page.locator("#prompts")
        expect(prompts.locator('[data-prompt="8050"][data-suggest="outreach"]')).to_contain_text(
            "地域力創生課による訪問"
        )
        expect(prompts.locator('[data-prompt="withdrawn"]')).to_contain_text("アウトリーチ")
        expect(prompts).to_contain_text("職員が判断するまで何も変わりません")
        assert_accessible(page)
        if SHOTS:
            prompts.screenshot(path=f"{SHOTS}/case-prompts-{width}.png")
