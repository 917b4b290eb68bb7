"""Issue 20's walk, in the browser: a town signs up, pays, sets itself up and takes its first
consultation.

On the operator host the town signs up and pays at the local Checkout (localstripe behind
it); the page after payment repeats the admin's invitation and the next steps. The admin
accepts it (QR code beside the key), lands on the first-run setup and goes through it: two
agencies, three counters tied to them (two national ones and one of its own), two areas,
one meeting with members. It invites a caseworker at one of those agencies, who records a
consultation at that agency's counter and lands on the new case; the meetings page shows the
meeting. On every page of the new town: axe passes, and no other town and no demo is named.
The walk prints its page loads and wall time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from kasane.migrations import upgrade
from kasane.settings import load_settings
from kasane.tenants.municipalities import all_municipalities
from tests.billing_fixtures import localstripe_server  # noqa: F401  (fixture)
from tests.conftest import TEST_MASTER_KEY, Env
from tests.e2e.conftest import LiveServer, assert_accessible, serve_kasane

SLUG = "ayagawa"
CODE = next(
    c for c, m in all_municipalities().items() if m.prefecture == "香川県" and m.name == "綾川町"
)
FOREIGN = ("臼杵", "丸亀", "usuki", "marugame", "kasane-demo", "デモ", "Demo", "テナント")
SHOTS = Path("/tmp/kasane-setup-shots")


def _migrated_env(var: Path) -> Env:
    settings = load_settings(
        database_url=f"sqlite:///{var / 'kasane.db'}",
        var_dir=var,
        demo=True,
        master_key=TEST_MASTER_KEY,
    )
    upgrade(settings.migration_database_url)
    return Env(settings, "sqlite")


@pytest.fixture(scope="module")
def town_server(tmp_path_factory: pytest.TempPathFactory, localstripe: str) -> Iterator[LiveServer]:
    """A server of its own with local billing on localstripe, starting from no town."""
    var = tmp_path_factory.mktemp("e2e-town-setup")
    with ThreadPoolExecutor(max_workers=1) as pool:
        env = pool.submit(_migrated_env, var).result()
    with serve_kasane(
        var, env, KASANE_BILLING="local", KASANE_STRIPE_API_BASE=localstripe
    ) as server:
        yield server


class Walk:
    """Counts page loads; checks each of the new town's pages (axe, nothing foreign)."""

    def __init__(self, server: LiveServer) -> None:
        self.server, self.loads, self.town = server, 0, server.url(SLUG)

    def watch(self, page: Page) -> Page:
        page.on("load", lambda _p: self._loaded())
        return page

    def _loaded(self) -> None:
        self.loads += 1

    def check(self, page: Page, shot: str | None = None) -> None:
        assert_accessible(page)
        if page.url.startswith(self.town):
            text = page.content()
            found = [w for w in FOREIGN if w in text]
            assert not found, f"{page.url} names {found}"
        if shot:
            SHOTS.mkdir(exist_ok=True)
            for width, height in ((1366, 900), (390, 844)):
                page.set_viewport_size({"width": width, "height": height})
                page.screenshot(path=str(SHOTS / f"{shot}-{width}.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 800})


def _fill_totp_enrolment(page: Page, username: str, name: str) -> None:
    expect(page.locator("#totp-qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#username").fill(username)
    page.locator("#display_name").fill(name)
    page.locator("#password").fill("a-long-enough-password")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#invitation form button[type=submit]").click()


def test_a_town_signs_up_pays_sets_itself_up_and_takes_its_first_consultation(
    page: Page, browser: Browser, town_server: LiveServer
) -> None:
    started = time.monotonic()
    walk = Walk(town_server)
    walk.watch(page)
    operator, town = town_server.url(None), walk.town

    # the landing page states the prices; the town signs up
    page.goto(f"{operator}/")
    expect(page.locator("#prices")).to_contain_text("33,000")
    walk.check(page)
    page.goto(f"{operator}/signup")
    page.locator("#municipality_code").fill(CODE)
    expect(page.locator("#municipality-name")).to_contain_text("綾川町")
    page.locator("#population").fill("23,000")
    page.locator("#admin_name").fill("綾川 花子")
    page.locator("#admin_email").fill("hanako@ayagawa.example.jp")
    page.locator("#slug").fill(SLUG)
    page.locator("#plan-small").check()
    page.locator("#signup form button[type=submit]").click()
    expect(page.locator("#signup-done")).to_be_visible()
    walk.check(page)
    link = page.locator("#invitation-link").inner_text()

    # it pays at the local Checkout; the page after payment repeats the invitation
    page.locator("#signup-done form button[type=submit]").click()
    page.locator("#pay").click()
    expect(page).to_have_url(f"{operator}/signup/result?tenant={SLUG}&paid=1")
    expect(page.locator("#signup-result .saved[role=status]")).to_be_visible()
    expect(page.locator("#invitation-link")).to_have_text(link)
    expect(page.locator("#next-steps li")).to_have_count(3)
    walk.check(page, "result")

    # the admin accepts the invitation (QR code beside the key) and lands on the setup
    page.goto(link)
    walk.check(page, "invitation")
    _fill_totp_enrolment(page, "hanako", "綾川 花子")
    expect(page).to_have_url(f"{town}/admin/setup")
    expect(page.locator("#setup-checklist")).to_contain_text("機関")
    walk.check(page, "setup")

    # agencies: two
    page.locator("#setup-start").click()
    for name, field, kind in (
        ("綾川町社会福祉協議会", "poverty", "contracted"),
        ("綾川町地域包括支援センター", "elderly", "contracted"),
    ):
        page.locator("#agency-name").fill(name)
        page.locator("#agency-field").select_option(field)
        page.locator("#agency-kind").select_option(kind)
        page.locator("#setup-add button[type=submit]").click()
        expect(page.locator("#setup-agencies")).to_contain_text(name)
    walk.check(page, "setup-agencies")

    # counters: tie two national ones, retire what the town lacks, add one of its own
    page.locator("#setup-next").click()
    expect(page).to_have_url(f"{town}/admin/setup/counters")
    for key, agency in (("hokatsu", "agency-2"), ("jiritsu", "agency-1")):
        item = page.locator(f'[data-counter="{key}"]')
        item.locator("select[name=agency]").select_option(agency)
        item.locator("button", has_text="保存").click()
        expect(page.locator("#setup-done")).to_be_visible()
    for key in ("kodomo", "kikan", "general"):
        page.locator(f'[data-counter="{key}"] form[action*="/retire"] button').click()
        expect(page.locator(f'[data-counter="{key}"]')).to_have_count(0)
    page.locator("#counter-name").fill("綾川町くらし相談窓口")
    page.locator("#counter-field").select_option("general")
    page.locator("#counter-agency").select_option("agency-1")
    page.locator("#counter-place").fill("綾川町役場 1階")
    page.locator("#setup-add button[type=submit]").click()
    expect(page.locator("#setup-counters")).to_contain_text("綾川町くらし相談窓口")
    walk.check(page, "setup-counters")

    # areas: two, the second inside the first
    page.locator("#setup-next").click()
    page.locator("#area-name").fill("綾南地域")
    page.locator("#setup-add button[type=submit]").click()
    page.locator("#area-name").fill("陶地区")
    page.locator("#area-kind").fill("地区")
    page.locator("#area-parent").select_option("town-area-1")
    page.locator("#setup-add button[type=submit]").click()
    expect(page.locator("#setup-areas")).to_contain_text("陶地区")
    walk.check(page, "setup-areas")

    # meetings: one of its own, with members
    page.locator("#setup-next").click()
    page.locator("#meeting-name").fill("綾川町包括的支援会議")
    page.locator("#meeting-host").select_option("municipality")
    for agency in ("municipality", "agency-1", "agency-2"):
        page.locator(f'#setup-add input[name=members][value="{agency}"]').check()
    page.locator("#setup-add button[type=submit]").click()
    expect(page.locator("#setup-meetings")).to_contain_text("綾川町包括的支援会議")
    # the national meetings it does not hold are retired
    for key in ("shien_kaigi", "jusoteki"):
        page.locator(f'[data-meeting="{key}"] form[action*="/retire"] button').click()
        expect(page.locator(f'[data-meeting="{key}"]')).to_have_count(0)
    walk.check(page, "setup-meetings")

    # a caseworker is invited at the 地域包括 (agency-2)
    page.locator("#setup-next").click()
    page.locator("#setup-invite").click()
    page.locator("#email").fill("taro@ayagawa.example.jp")
    page.locator("#role").select_option("caseworker")
    page.locator("#agency_key").select_option("agency-2")
    page.locator("#admin-invitations form button[type=submit]").first.click()
    invitation = page.locator("#invitation-link").inner_text()
    walk.check(page, "invitations")
    for kind in ("counters", "areas", "meetings", "menus", "fields"):
        page.goto(f"{town}/admin/town/{kind}")
        walk.check(page, f"town-{kind}")
    # a refused change names the field, keeps what was typed, and passes axe too
    page.locator("#new-label").fill("")
    page.locator("#new-item button[type=submit]").click()
    expect(page.locator("#new-label-error")).to_be_visible()
    walk.check(page, "town-fields-refused")
    page.goto(f"{town}/")
    # the home page has nothing left to ask of the admin
    expect(page.locator("#setup-notice")).to_have_count(0)
    walk.check(page, "admin-home")

    # the caseworker accepts, records a consultation at the 地域包括's counter …
    context = browser.new_context()
    worker = walk.watch(context.new_page())
    worker.goto(invitation)
    _fill_totp_enrolment(worker, "taro", "綾川 太郎")
    expect(worker).to_have_url(f"{town}/")
    walk.check(worker)
    worker.goto(f"{town}/intake/new?counter=hokatsu")
    walk.check(worker)
    worker.locator('input[name="channel"][value="visit_counter"]').check()
    worker.locator("#kana").fill("あやがわ はな")
    worker.locator("#name").fill("綾川 はな")
    worker.locator('input[name="categories"][value="care"]').check()
    worker.locator("#main_category").select_option("care")
    worker.locator('input[name="outcome"][value="continued"]').check()
    worker.locator("form.intake-form button[type=submit].primary").click()
    # … and lands on the new case, led by its agency
    expect(worker).to_have_url(re.compile(rf"^{re.escape(town)}/cases/[0-9a-f-]{{36}}$"))
    expect(worker.locator("main")).to_contain_text("綾川 はな")
    expect(worker.locator("main")).to_contain_text("綾川町地域包括支援センター")
    walk.check(worker, "case")
    # the meetings page shows the town's meeting
    worker.goto(f"{town}/meetings")
    expect(worker.locator("main")).to_contain_text("綾川町包括的支援会議")
    walk.check(worker, "meetings")
    context.close()

    wall = time.monotonic() - started
    print(f"\nwalk town_setup page_loads={walk.loads} wall_s={wall:.1f}")
