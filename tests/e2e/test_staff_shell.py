"""The staff shell in a real browser: login, each tenant's own home, isolation, language,
htmx navigation, the operator landing and the unknown-host 404. Every page is checked
with axe (WCAG 2.0/2.1 A and AA)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kasane.tenants.demo import DEMO_PASSWORD
from kasane_plugins import marugame
from kasane_plugins.usuki import assumptions as usuki_assumptions
from tests.e2e.conftest import LiveServer, assert_accessible

pytestmark = pytest.mark.e2e

USUKI_MOTTO = "石仏のまち うすき"
USUKI_MEETINGS = ["重層的支援会議", "支援会議"]
MARUGAME_MEETINGS = ["まるごと会議", "支援検討会議", "体制検討会議"]
USUKI_COUNTERS = [c["name"] for c in usuki_assumptions.COUNTERS]
USUKI_MENUS = [m["name"] for m in usuki_assumptions.PARTICIPATION_MENUS]
MARUGAME_COUNTERS = [c["name"] for c in marugame.kasane_counters(tenant=None)]
MARUGAME_MENUS = [m["name"] for m in marugame.kasane_participation_menus(tenant=None)]
SESSION_COOKIE = "kasane_session"
UUID_PATH = re.compile(r"/staff/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the (Japanese) login form already on screen and submit it."""
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()


def open_login(page: Page, live_server: LiveServer, slug: str) -> None:
    page.goto(live_server.url(slug) + "/login")
    expect(page.get_by_role("heading", level=1)).to_contain_text("にログイン")


def expect_items(page: Page, selector: str, names: list[str]) -> None:
    items = page.locator(selector)
    for name in names:
        expect(items.filter(has_text=name)).to_have_count(1)


def test_usuki_login_and_home(page: Page, live_server: LiveServer) -> None:
    # Given a visitor with no session on 臼杵市's host
    # When they open the home page
    page.goto(live_server.url("usuki") + "/")
    # Then they land on the Japanese login page, with the demo accounts note
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_contain_text("臼杵市 にログイン")
    expect(page.locator("aside.demo-note")).to_contain_text(DEMO_PASSWORD)
    assert_accessible(page)

    # When they log in as the caseworker through the form
    log_in(page, "caseworker")
    # Then the staff home is their work (issue 12), and 臼杵市's own counters, meetings and
    # menus are one link away, on the town's page
    expect(page).to_have_url(live_server.url("usuki") + "/")
    expect(page.locator("#home")).to_contain_text("相談支援員（デモ）")
    page.locator('#home a[href="/town"]').click()
    expect(page).to_have_url(live_server.url("usuki") + "/town")
    expect(page.locator("ul.counters")).to_contain_text("臼杵市地域包括支援センター")
    expect_items(page, "ul.counters > li", USUKI_COUNTERS)
    expect(page.locator("ul.meetings > li > strong")).to_have_text(USUKI_MEETINGS)
    expect_items(page, "ul.menus > li", USUKI_MENUS)
    # And nothing of 丸亀市's
    body = page.locator("body")
    for name in [*MARUGAME_MEETINGS, *MARUGAME_COUNTERS, *MARUGAME_MENUS]:
        expect(body).not_to_contain_text(name)
    # And the usuki theme is applied (its brand block adds the town's motto)
    expect(page.locator(".site-header .brand-motto")).to_have_text(USUKI_MOTTO)
    expect(page.locator(".site-header .brand-motto")).to_be_visible()
    expect(page.locator('link[rel="stylesheet"][href*="/static/themes/usuki/"]')).to_have_count(1)
    assert_accessible(page)


def test_marugame_login_and_home(page: Page, live_server: LiveServer) -> None:
    # Given 丸亀市's login page
    open_login(page, live_server, "marugame")
    expect(page.get_by_role("heading", level=1)).to_contain_text("丸亀市 にログイン")
    assert_accessible(page)

    # When the caseworker logs in
    log_in(page, "caseworker")
    # Then the town's page shows 丸亀市's three meetings, its counters and menus
    expect(page).to_have_url(live_server.url("marugame") + "/")
    page.locator('#home a[href="/town"]').click()
    expect(page.locator("ul.meetings > li > strong")).to_have_text(MARUGAME_MEETINGS)
    expect_items(page, "ul.counters > li", MARUGAME_COUNTERS)
    expect_items(page, "ul.menus > li", MARUGAME_MENUS)
    # And none of 臼杵市's counters, menus or motto; the default theme is used
    body = page.locator("body")
    for name in [*USUKI_COUNTERS, *USUKI_MENUS, "重層的支援会議", USUKI_MOTTO]:
        expect(body).not_to_contain_text(name)
    expect(page.locator(".brand-motto")).to_have_count(0)
    expect(page.locator('link[rel="stylesheet"][href*="/static/themes/default/"]')).to_have_count(1)
    assert_accessible(page)


def test_usuki_session_is_useless_on_marugame(page: Page, live_server: LiveServer) -> None:
    # Given a caseworker logged in on 臼杵市
    open_login(page, live_server, "usuki")
    log_in(page, "caseworker")
    expect(page).to_have_url(live_server.url("usuki") + "/")
    cookies = [
        c for c in page.context.cookies(live_server.url("usuki")) if c["name"] == SESSION_COOKIE
    ]
    assert len(cookies) == 1, "no session cookie after logging in on usuki"
    # ... whose cookie is host-only: the browser itself never sends it to marugame
    assert not page.context.cookies(live_server.url("marugame")), (
        "usuki's cookies leak to marugame's host"
    )

    # When the same session token is planted on 丸亀市's host
    page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": cookies[0]["value"],
                "domain": "marugame.localhost",
                "path": "/",
            }
        ]
    )
    page.goto(live_server.url("marugame") + "/")
    # Then 丸亀市 still asks for a login: usuki's session means nothing there
    expect(page).to_have_url(live_server.url("marugame") + "/login?next=/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("丸亀市 にログイン")
    expect(page.locator("body")).not_to_contain_text("相談支援員（デモ）")
    assert_accessible(page)


def test_wrong_password_shows_japanese_error(page: Page, live_server: LiveServer) -> None:
    # Given 臼杵市's login page
    open_login(page, live_server, "usuki")
    # When a wrong password is submitted
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/login")
    ) as answer:
        log_in(page, "supervisor", "not-the-password")
    # Then the form comes back (401) with the Japanese error, the user name kept
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("ユーザー名またはパスワードが正しくありません")
    expect(page.get_by_label("ユーザー名")).to_have_value("supervisor")
    expect(page.get_by_label("パスワード")).to_have_value("")
    assert_accessible(page)


def test_english(page: Page, live_server: LiveServer) -> None:
    # Given 臼杵市's login page in Japanese
    open_login(page, live_server, "usuki")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    # When the "English" link in the header is clicked
    page.locator(".site-header").get_by_role("link", name="English").click()
    # Then the same page comes back in English
    expect(page).to_have_url(live_server.url("usuki") + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to 臼杵市")
    assert_accessible(page)

    # When the caseworker logs in with the English form
    page.get_by_label("User name").fill("caseworker")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    # Then the home is English too, and its link back reads 日本語
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.locator("#home")).to_contain_text("相談支援員（デモ）")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".site-header").get_by_role("link", name="日本語")).to_be_visible()
    assert_accessible(page)


def test_staff_detail_via_htmx(page: Page, live_server: LiveServer) -> None:
    # Given a logged-in caseworker on 臼杵市's staff list (職員 in the nav)
    open_login(page, live_server, "usuki")
    log_in(page, "caseworker")
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="職員").click()
    expect(page).to_have_url(live_server.url("usuki") + "/staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("職員")
    assert_accessible(page)

    # When a user name is clicked (hx-get into #main, no full page load)
    page.evaluate("window.__kasaneNoReload = true")
    link = page.get_by_role("link", name="supervisor", exact=True)
    expect(link).to_have_attribute("data-hx-get", UUID_PATH)
    with page.expect_response(lambda r: UUID_PATH.search(r.url) is not None) as answer:
        link.click()
    # Then htmx fetched the fragment, pushed /staff/<uuid> and shows the account
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(UUID_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("スーパーバイザー（デモ）")
    assert page.evaluate("window.__kasaneNoReload === true"), "the click reloaded the page"
    assert page.locator("html").count() == 1 and page.locator("main h1").count() == 1
    assert_accessible(page)

    # And a full-page load of the same URL shows the same heading
    detail_url = page.url
    response = page.reload()
    assert response is not None and response.status == 200
    assert response.request.headers.get("hx-request") is None
    assert page.url == detail_url
    assert page.evaluate("window.__kasaneNoReload === undefined")
    expect(page.get_by_role("heading", level=1)).to_have_text("スーパーバイザー（デモ）")
    expect(page).to_have_title(re.compile(r"^スーパーバイザー（デモ） \| 臼杵市$"))
    assert_accessible(page)


def test_operator_landing_and_unknown_host(page: Page, live_server: LiveServer) -> None:
    # Given the operator host
    # When its landing page is opened
    response = page.goto(live_server.url(None) + "/")
    # Then it lists both demo municipalities, linking to their hosts
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    for slug, name in [("usuki", "臼杵市"), ("marugame", "丸亀市")]:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "href", live_server.url(slug) + "/"
        )
    assert_accessible(page)

    # When an unknown tenant host is opened
    response = page.goto(live_server.url("nowhere") + "/")
    # Then the Japanese 404 page answers, with status 404, and says where the towns are
    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("このアドレスの自治体はありません")
    expect(page.locator('a[data-demo-town="usuki"]')).to_have_attribute(
        "href", live_server.url("usuki") + "/"
    )
    assert_accessible(page)
