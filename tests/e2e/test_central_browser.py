"""The central site in a real browser (issue 11): 香川県's analyst signs in on the central
host, sees only its prefecture's towns, opens a comparison, downloads the CSV; every page
passes axe, and no person's name is anywhere the site links to. A town's admin sees the
public summary with the town highlighted. Elements are found by ids, never by wording."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.people.models import Person
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db

pytestmark = pytest.mark.e2e


def checked(page: Page) -> None:
    page.wait_for_load_state("load")
    assert_accessible(page)


def central_url(live_server: LiveServer) -> str:
    return live_server.url("central")


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(central_url(live_server) + "/login")
    checked(page)
    page.locator("#username").fill(username)
    page.locator("#password").fill("kasane-demo")
    page.locator("#login form button[type=submit]").click()
    expect(page).to_have_url(central_url(live_server) + "/")


def people_names(live_server: LiveServer) -> set[str]:
    async def go(db: Database) -> set[str]:
        from kasane.tenants.services import list_tenants

        async with db.session() as s:
            tenants = await list_tenants(s)
        found: set[str] = set()
        for t in tenants:
            async with db.session(t.id) as s:
                found |= set((await s.execute(select(Person.name))).scalars())
        return found

    return run_in_db(live_server, go)  # type: ignore[no-any-return]


def prefectures_in_table(page: Page) -> set[str]:
    cells = page.locator("#compare-table tbody tr td:nth-child(2)").all_inner_texts()
    return {c.strip() for c in cells}


def test_a_prefecture_analyst_compares_its_towns_and_downloads_the_csv(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    base = central_url(live_server)
    # given 香川県's analyst, signed in on the central host
    sign_in(page, live_server, "kagawa")
    checked(page)
    # when it opens the comparison from the home page
    page.locator("#open-compare").click()
    expect(page.locator("#comparison")).to_be_visible()
    checked(page)
    # then only 香川県's towns (and its small-town group) are there
    assert prefectures_in_table(page) == {"香川県"}
    expect(page.locator("#noise-note")).to_be_visible()
    # when it chooses last fiscal year's new consultations with the breakdown
    release = page.locator("#release option").nth(1).get_attribute("value")
    assert release and release.startswith("fy")
    page.locator("#release").select_option(release)
    page.locator("#measure").select_option("consultations.new")
    page.locator("#breakdown").check()
    page.locator("#compare-form button[type=submit]").click()
    expect(page.locator("#period-label")).to_be_visible()
    checked(page)
    towns = page.locator("#compare-table tbody th").all_inner_texts()
    assert "丸亀市" in towns and "臼杵市" not in towns
    assert prefectures_in_table(page) == {"香川県"}
    # and downloads the CSV
    with page.expect_download() as info:
        page.locator("#download-csv").click()
    path = tmp_path / "comparison.csv"
    info.value.save_as(path)
    header, *rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    # then it holds exactly the rows of the table, in order
    assert [r[0] for r in rows] == towns
    assert {r[1] for r in rows} == {"香川県"}
    assert len(header) == page.locator("#compare-table thead th").count()
    # and the budget page, on a phone too
    page.goto(base + "/budget")
    checked(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/compare")
    checked(page)


def test_no_persons_name_is_anywhere_on_the_central_site(
    page: Page, live_server: LiveServer
) -> None:
    base = central_url(live_server)
    names = people_names(live_server)
    assert len(names) > 20
    # given the operator analyst, who sees every town
    sign_in(page, live_server, "analyst")
    # when every page the site links to is opened (two levels of links)
    seen: set[str] = set()
    texts: list[str] = []
    queue = ["/"]
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen or path.startswith(("/static", "/lang", "/sso", "/compare.csv")):
            continue
        seen.add(path)
        page.goto(base + path)
        texts.append(page.content())
        hrefs: Any = page.eval_on_selector_all(
            "a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
        )
        queue += [h for h in hrefs if h not in seen]
    # and every indicator of every released period, with its breakdown, as the form asks
    page.goto(base + "/compare")
    releases = page.eval_on_selector_all("#release option", "els => els.map(e => e.value)")
    measures = page.eval_on_selector_all("#measure option", "els => els.map(e => e.value)")
    for release in releases:
        for measure in measures:
            page.goto(f"{base}/compare?release={release}&measure={measure}&breakdown=1")
            texts.append(page.content())
    # then no person's name is on any of them
    assert len(seen) >= 5 and len(releases) >= 2 and len(measures) == 8
    text = "\n".join(texts)
    assert [n for n in names if n in text] == []


def test_a_towns_admin_sees_the_public_summary_with_the_town_highlighted(
    page: Page, live_server: LiveServer
) -> None:
    base = live_server.url("usuki")
    log_in_as(page, live_server, "usuki", "admin")
    page.goto(base + "/admin/sharing")
    checked(page)
    expect(page.locator("#sharing-status")).to_be_visible()
    page.locator("#see-comparison").click()
    expect(page.locator("#comparison")).to_be_visible()
    checked(page)
    release = page.locator("#release option").nth(1).get_attribute("value")
    page.goto(f"{base}/comparison?release={release}")
    checked(page)
    own = page.locator("#compare-table tr.own th")
    expect(own).to_have_count(1)
    expect(own).to_have_text("臼杵市")
    expect(page.locator(".compare-chart .bar-row.own")).to_have_count(1)
