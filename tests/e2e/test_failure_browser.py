"""When something fails, in the browser (issue 22): the database goes away while a caseworker
writes a note, the page says so and keeps the text, the save goes through once it is back —
exactly one note; drafts are offered back and are gone after logout.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kasane.core.cases.models import ProgressNote
from kasane.core.db import Database
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import Env
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, serve_kasane
from tests.isolation.routes_cases import make_case
from tests.outage_proxy import Relay, relay_to

NOTE = "長女から電話。母は昨夜から食事をとっていないとのこと。明朝訪問する。"


def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    # Playwright's sync API runs an event loop on this thread: asyncio.run() needs another
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _note_count(env: Env, case: uuid.UUID) -> int:
    async def go(db: Database, tenant: uuid.UUID) -> int:
        async with db.session(tenant) as s:
            stmt = select(func.count()).select_from(ProgressNote)
            return int(await s.scalar(stmt.where(ProgressNote.case_id == case)) or 0)

    def count() -> int:
        return int(env.run(go, env.tenant_id("usuki")))

    return int(_in_thread(count))


@pytest.fixture
def relayed_server(pg_env: Env, tmp_path: Path) -> Iterator[tuple[LiveServer, Relay, uuid.UUID]]:
    """The app served on PostgreSQL through a relay the test can cut, and a case to write on."""
    case = _in_thread(make_case, pg_env, "usuki")
    with relay_to("127.0.0.1", 5432) as relay:
        through = re.sub(
            r"@127\.0\.0\.1:5432/", f"@127.0.0.1:{relay.port}/", pg_env.settings.database_url
        )
        env = Env(dataclasses.replace(pg_env.settings, database_url=through), "postgres")
        with serve_kasane(tmp_path, env, KASANE_CENTRAL_DATABASE_URL=through) as server:
            yield server, relay, case


@pytest.mark.postgres
def test_a_note_typed_during_an_outage_is_kept_and_saved_once(
    relayed_server: tuple[LiveServer, Relay, uuid.UUID], pg_env: Env, page: Page
) -> None:
    server, relay, case = relayed_server
    log_in_as(page, server, "usuki", "caseworker")
    page.goto(server.url("usuki") + f"/cases/{case}")
    page.locator("#note-kind").select_option(index=1)
    body = page.locator("#note-body")
    body.fill(NOTE)

    # when PostgreSQL goes away and the caseworker saves
    relay.cut()
    page.locator("#note-form button[type=submit]").click()
    # then the form says so in place and still holds the text
    notice = page.locator("#note-form .form-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("データベースに接続できません")
    expect(body).to_have_value(NOTE)
    assert_accessible(page)
    assert _note_count(pg_env, case) == 0
    # a page opened meanwhile is the outage page: 503, in the town's look, accessible
    other = page.context.new_page()
    answer = other.goto(server.url("usuki") + "/")
    assert answer is not None and answer.status == 503
    assert answer.headers["retry-after"].isdigit()
    expect(other.locator("main h1")).to_have_text("一時的に利用できません")
    expect(other.locator(".site-header")).to_contain_text("臼杵市")
    assert_accessible(other)
    if shots := os.environ.get("KASANE_SHOTS"):
        for width, height in ((1366, 768), (390, 844)):
            for p, name in ((page, "note-failed"), (other, "outage-page")):
                p.set_viewport_size({"width": width, "height": height})
                p.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
    other.close()

    # when PostgreSQL is back and the caseworker saves again, the note is there exactly once
    relay.restore()
    page.locator("#note-form button[type=submit]").click()
    expect(page.locator("#timeline ol.timeline")).to_contain_text(NOTE)
    expect(page.locator("#note-form .form-notice")).to_have_count(0)
    assert _note_count(pg_env, case) == 1


def test_a_draft_is_offered_back_and_logout_clears_it(live_server: LiveServer, page: Page) -> None:
    case = _in_thread(make_case, live_server.env, "usuki")
    url = live_server.url("usuki") + f"/cases/{case}"
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(url)
    page.locator("#note-body").fill(NOTE)
    page.wait_for_timeout(700)  # the draft is kept a moment after typing stops

    # when the page is opened again without saving, the draft is offered back
    page.goto(url)
    offer = page.locator("#note-form .draft-offer")
    expect(offer).to_be_visible()
    assert_accessible(page)
    offer.get_by_role("button", name="下書きを復元").click()
    expect(page.locator("#note-body")).to_have_value(NOTE)

    # when the caseworker logs out, nothing of the draft is left in this browser
    page.locator("form.logout button[type=submit]").click()
    drafts = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('kasane-draft:')).length"
    )
    assert drafts == 0
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(url)
    expect(page.locator("#note-body")).to_have_value("")
    expect(page.locator(".draft-offer")).to_have_count(0)


def test_a_saved_note_leaves_no_draft(live_server: LiveServer, page: Page) -> None:
    case = _in_thread(make_case, live_server.env, "usuki")
    url = live_server.url("usuki") + f"/cases/{case}"
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(url)
    page.locator("#note-body").fill("保存されるメモ")
    page.wait_for_timeout(700)
    page.locator("#note-kind").select_option(index=1)
    page.locator("#note-form button[type=submit]").click()
    expect(page.locator("#timeline ol.timeline")).to_contain_text("保存されるメモ")
    page.goto(url)
    expect(page.locator(".draft-offer")).to_have_count(0)


def test_a_session_that_expired_while_typing_leads_back_to_the_text(
    live_server: LiveServer, page: Page
) -> None:
    case = _in_thread(make_case, live_server.env, "usuki")
    url = live_server.url("usuki") + f"/cases/{case}"
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(url)
    page.locator("#note-kind").select_option(index=1)
    page.locator("#note-body").fill(NOTE)
    page.wait_for_timeout(700)
    # when the session ends while the caseworker types (as after the idle timeout)
    page.context.clear_cookies(name="kasane_session")
    page.locator("#note-form button[type=submit]").click()
    # then saving leads to the login page, and signing in leads back to the case …
    expect(page.locator("#username")).to_be_visible()
    page.locator("#username").fill("caseworker")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#login form button[type=submit]").click()
    expect(page).to_have_url(url)
    # … where the text typed is offered back
    page.locator("#note-form .draft-offer").get_by_role("button", name="下書きを復元").click()
    expect(page.locator("#note-body")).to_have_value(NOTE)
