"""Import with preview, commit and undo, in a real browser (issue 17).

臼杵市's registry editor uploads Open Referral's example service, reads on the preview what
it will create and which fields are kept as given, imports it as one batch, finds it in
the registry, undoes the batch and finds the registry as before. Every page passes axe at
1366 and 390 px.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as

pytestmark = pytest.mark.e2e
EXAMPLE = Path(__file__).parents[1] / "data" / "hsds" / "service_full.json"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
SHOTS = Path("/tmp/kasane-shots")


def _look(page: Page, name: str) -> None:
    """axe at both widths, and a screenshot of each for a person to look at."""
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def test_an_import_is_previewed_committed_and_undone(page: Page, live_server: LiveServer) -> None:
    base = live_server.url("usuki")
    log_in_as(page, live_server, "usuki", "registry")
    # given the registry without the example
    page.goto(f"{base}/registry?q=Counselling")
    expect(page.locator("main")).not_to_contain_text("Community Counselling")
    # when the editor uploads it and asks for a preview
    page.goto(f"{base}/registry/import")
    page.locator("#import-file").set_input_files(EXAMPLE)
    page.locator(".registry-import-form button[type=submit]").click()
    # then the preview says what will be created, and which fields are kept as given
    expect(page.locator("#import-batch h1")).to_have_text("取込のプレビュー")
    expect(page.locator('#import-plan td[data-kind="service"][data-action="create"]')).to_have_text(
        "1"
    )
    page.locator("#import-kept summary").click()
    expect(page.locator("#import-kept")).to_contain_text("wait_time")
    _look(page, "import-preview")
    # and nothing is in the registry yet
    preview = page.url
    assert _status(page, f"{base}/api/hsds/services/{SERVICE_ID}") == 404
    # when it is imported as one batch
    page.goto(preview)
    page.locator("#import-commit").click()
    expect(page.locator("#import-batch h1")).to_have_text("取り込みました")
    _look(page, "import-done")
    page.goto(f"{base}/registry?q=Counselling")
    expect(page.locator("main")).to_contain_text("Community Counselling")
    # and undone from the batch's page (listed on the import page)
    page.goto(f"{base}/registry/import")
    page.locator(".import-batches a").first.click()
    page.locator("#import-undo").click()
    expect(page.locator("#import-batch h1")).to_have_text("取込を取り消しました")
    _look(page, "import-undone")
    # then the registry is as before
    page.goto(f"{base}/registry?q=Counselling")
    expect(page.locator("main")).not_to_contain_text("Community Counselling")
    assert _status(page, f"{base}/api/hsds/services/{SERVICE_ID}") == 404
