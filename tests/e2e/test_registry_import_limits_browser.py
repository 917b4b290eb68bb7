"""The registry import refuses JSON nested too deep, in a real browser (issue 15).

臼杵市's caseworker pastes a 100,000-deep array and reads, on the page, which field is
wrong and what the limit is; 丸亀市's caseworker uploads the same as a file and reads that
the file is the problem. Both pages pass axe.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kasane.core.registry.hsds_input import MAX_DEPTH
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as

pytestmark = pytest.mark.e2e
DEEP = "[" * 100_000 + "]" * 100_000


def test_too_deep_json_is_refused_on_the_page_naming_the_field(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    # given usuki's caseworker on the import page, which states the limits
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(live_server.url("usuki") + "/registry/import")
    expect(page.locator("#import-limits")).to_contain_text(f"{MAX_DEPTH} 段まで")
    # when the deep array is pasted and checked
    page.locator("#import-json").fill(DEEP)
    page.locator("#registry-import form button[type=submit]").click()
    # then the report names the pasted JSON and the limit, and the page is accessible
    message = f"貼り付けたJSONの入れ子（配列・オブジェクト）が上限の {MAX_DEPTH} 段"
    expect(page.locator(".registry-report")).to_contain_text(message)
    assert_accessible(page)

    # given marugame's caseworker, with the same data in a file
    deep_file = tmp_path / "deep.json"
    deep_file.write_text(DEEP)
    page.context.clear_cookies()
    log_in_as(page, live_server, "marugame", "caseworker")
    page.goto(live_server.url("marugame") + "/registry/import")
    # when the file is uploaded
    page.locator("#import-file").set_input_files(str(deep_file))
    page.locator("#registry-import form button[type=submit]").click()
    # then the report names the file
    expect(page.locator(".registry-report")).to_contain_text("HSDS JSONファイルの入れ子")
    assert_accessible(page)
