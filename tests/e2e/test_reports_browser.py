"""The town's figures in a real browser (issue 10): open /reports, switch year and month, see
the chart beside its table, set a target as the tenant admin, download Excel and CSV, drill
down to the records; a viewer of the other town reads without downloads. axe on every page.
Elements are found by ids, names and data attributes, never by the core's wording."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from kasane.core.japan_time import today_jst
from kasane.core.reports.periods import fiscal_year_of
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as

pytestmark = pytest.mark.e2e


def checked(page: Page) -> None:
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_a_section_chief_reads_sets_a_target_and_downloads(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url("usuki")
    this_fy = fiscal_year_of(today_jst())
    log_in_as(page, live_server, "usuki", "admin")
    # given the figures page, reached from the navigation
    page.locator('nav.main-nav a[href="/reports"]').click()
    expect(page).to_have_url(f"{base}/reports")
    checked(page)
    expect(page.locator("#reports-page")).to_have_attribute("data-period", f"fy{this_fy}")
    expect(page.locator('#summary tr[data-key="consultations.new"]')).to_be_visible()
    # the chart is an SVG with its table beside it
    first = page.locator("#section article.figure").first
    expect(first.locator("svg.chart-svg rect.bar").first).to_be_attached()
    expect(first.locator(".chart-table table.breakdown-table")).to_be_visible()
    # when last fiscal year is chosen
    page.locator("#fy").select_option(str(this_fy - 1))
    page.locator("#period-fy button[type=submit]").click()
    expect(page.locator("#reports-page")).to_have_attribute("data-period", f"fy{this_fy - 1}")
    checked(page)
    last_year_total = page.locator(
        '#summary tr[data-key="consultations.total"] td[data-total]'
    ).get_attribute("data-total")
    assert last_year_total and int(last_year_total) > 0
    # and then one of its months
    month = f"{this_fy - 1}-06"
    page.locator("#month").select_option(month)
    page.locator("#period-month button[type=submit]").click()
    expect(page.locator("#reports-page")).to_have_attribute("data-period", month)
    checked(page)
    # and another section of the year, through its tab
    page.goto(f"{base}/reports?view=fy&fy={this_fy - 1}&section=community")
    expect(page.locator("#section")).to_have_attribute("data-section", "community")
    checked(page)

    # when the admin sets this year's target for new consultations
    page.goto(f"{base}/reports")
    page.locator("#targets-link").click()
    checked(page)
    page.locator('[id="target-consultations.new"]').fill("abc")
    page.locator("#targets-save").click()
    expect(page.locator("#targets-errors")).to_be_visible()
    expect(page.locator('[id="target-consultations.new"]')).to_have_attribute(
        "aria-invalid", "true"
    )
    checked(page)
    page.locator('[id="target-consultations.new"]').fill("60")
    page.locator('[id="wording-consultations.new"]').fill("新規相談を年60件受け止める（試験）")
    page.locator("#targets-save").click()
    # then the report shows the target and the pace beside the actual
    expect(page.locator("#targets-saved")).to_be_visible()
    row = page.locator('#summary tr[data-key="consultations.new"]')
    expect(row).to_contain_text("60")
    expect(row.locator(".badge")).to_be_visible()
    checked(page)

    # the downloads: Excel (read back) and CSV (UTF-8 with a BOM)
    with page.expect_download() as xlsx_info:
        page.locator("#export-xlsx").click()
    xlsx = tmp_path / "figures.xlsx"
    xlsx_info.value.save_as(xlsx)
    book = load_workbook(xlsx)
    assert book.sheetnames[0] == "概要" and "定義" in book.sheetnames
    with page.expect_download() as csv_info:
        page.locator("#export-csv").click()
    text = tmp_path / "figures.csv"
    csv_info.value.save_as(text)
    raw = text.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    totals = {r[1]: r[7] for r in rows[1:] if r[5] == "合計"}
    shown = page.locator('#summary tr[data-key="consultations.total"] td[data-total]')
    assert totals["consultations.total"] == shown.get_attribute("data-total")

    # drilling a figure down lists its records
    page.locator('#section article[data-key="consultations.total"] a.drill').click()
    expect(page.locator("#records-count")).to_be_visible()
    checked(page)


def test_the_other_towns_viewer_reads_on_a_phone_without_downloads(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server, "marugame", "viewer")
    page.goto(live_server.url("marugame") + "/reports?section=local")
    checked(page)
    expect(page.locator('#summary tr[data-key="local.marugoto-cases"]')).to_be_visible()
    expect(page.locator('#summary tr[data-key="local.ishibotoke-referred"]')).to_have_count(0)
    expect(page.locator("#export-xlsx")).to_have_count(0)
    expect(page.locator("#targets-link")).to_have_count(0)
    # the page fits the phone's width
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
