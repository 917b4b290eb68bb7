"""The case list past a thousand cases in a real browser (issue 16): 「1,000件以上」 and the
page number instead of an exact total, Next by cursor and back, at 1366 and 390 px, axe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import _make_sqlite_env
from tests.e2e.conftest import assert_accessible, log_in_as, serve_kasane
from tests.integration.test_case_list_paging import _seed

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_a_long_list_pages_by_cursor_and_says_1000_or_more(page: Page, tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run() outside Playwright's loop
        env = pool.submit(_make_sqlite_env, tmp_path).result()
        pool.submit(_seed, env, 5_000).result()
    with serve_kasane(tmp_path, env) as server:
        log_in_as(page, server, "usuki", "caseworker")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1366, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(server.url("usuki") + "/cases")
            status = page.locator("#case-table [role=status]")
            expect(status).to_contain_text("1,000件以上")
            expect(status).to_contain_text("1ページ目")
            assert_accessible(page)
            page.screenshot(path=str(SHOTS / f"case-list-capped-{width}.png"), full_page=False)
        first_row = page.locator("#case-table tbody tr").first.inner_text()
        page.locator("#case-table a[rel=next]").click()  # htmx swaps the table in
        expect(page.locator("#case-table [role=status]")).to_contain_text("2ページ目")
        assert "after=" in page.url
        assert page.locator("#case-table tbody tr").first.inner_text() != first_row
        page.locator("#case-table a[rel=prev]").click()
        expect(page.locator("#case-table [role=status]")).to_contain_text("1ページ目")
        expect(page.locator("#case-table tbody tr").first).to_have_text(first_row)
