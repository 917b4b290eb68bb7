"""The admin's full export in the browser: the key is shown once, the zip downloads and
checks out with it; both steps pass axe."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from kasane.tenants.portability.checks import check_export, export_directory
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as


def test_the_admin_writes_down_the_key_and_downloads_the_export(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    log_in_as(page, live_server, "usuki", "admin")
    page.goto(live_server.url("usuki") + "/admin/export")
    assert_accessible(page)
    page.locator("#export-start button[type=submit]").click()
    key = page.locator("#export-key").inner_text()
    assert len(key.replace("-", "")) == 52
    assert_accessible(page)
    # the download waits for the confirmation that the key is written down
    page.locator("#key_saved").check()
    with page.expect_download() as info:
        page.locator("#export-download button[type=submit]").click()
    zipped = tmp_path / info.value.suggested_filename
    info.value.save_as(zipped)
    assert zipped.name.startswith("kasane-export-usuki-") and zipped.suffix == ".zip"
    with export_directory(zipped) as directory:
        assert check_export(directory, key).manifest["tenant"]["slug"] == "usuki"
    expect(page.locator("#export-key")).to_have_text(key)  # still on screen to copy
