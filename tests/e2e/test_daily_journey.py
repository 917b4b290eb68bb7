"""The caseworker's day in a real browser (issue 12): the whole 8050 journey, with clicks and
page loads counted per step and printed (`-s` shows them), then home, search, the case page
and intake at 1366 px, 390 px and 200% zoom — axe on each, no horizontal scroll on a phone.

臼杵市: the mother comes to the 地域包括 about her withdrawn son; she is added to his
household as 来談者 (親) → 多機関協働 → assessment → plan → the 重層的支援会議's decision →
agreement, support, monitoring → evaluation → closure decided at the 重層的支援会議 (reason and
confirmation) → reopened as a new support period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from kasane.core.japan_time import today_jst
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as
from tests.e2e.test_support_flow import (
    CASE_PATH,
    USUKI_STAGES,
    born_years_ago,
    checked,
    expect_stage,
    move,
    record_agreement,
    record_evaluation,
    record_monitoring,
    write_plan,
)

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@dataclass
class Counts:
    """Clicks (click, check, select) and full page loads, per step."""

    clicks: int = 0
    loads: int = 0
    steps: list[tuple[str, int, int]] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        clicks, loads = self.clicks, self.loads
        yield
        self.steps.append((name, self.clicks - clicks, self.loads - loads))

    def table(self) -> str:
        lines = [f"{'step':<34} clicks  page loads"]
        lines += [f"{n:<34} {c:>6}  {p:>10}" for n, c, p in self.steps]
        total_c = sum(c for _, c, _ in self.steps)
        total_p = sum(p for _, _, p in self.steps)
        lines.append(f"{'total':<34} {total_c:>6}  {total_p:>10}")
        return "\n".join(lines)


@pytest.fixture
def counts(page: Page, monkeypatch: pytest.MonkeyPatch) -> Counts:
    found = Counts()

    def on_frame(frame) -> None:  # type: ignore[no-untyped-def]
        if frame == page.main_frame:
            found.loads += 1

    page.on("framenavigated", on_frame)
    for method in ("click", "check", "select_option"):
        original = getattr(Locator, method)

        def counted(self, *a, _original=original, **kw):  # type: ignore[no-untyped-def]
            found.clicks += 1
            return _original(self, *a, **kw)

        monkeypatch.setattr(Locator, method, counted)
    return found


def test_the_8050_journey_counts_clicks_and_page_loads(
    page: Page, live_server: LiveServer, counts: Counts
) -> None:
    labels = USUKI_STAGES
    son, mother = "石仏 二郎（架空）", "石仏 ハナ（架空）"
    base = live_server.url("usuki")
    log_in_as(page, live_server, "usuki", "caseworker")
    checked(page)  # home = my work

    with counts.step("intake (mother as 来談者)"):
        page.locator('nav a[href="/intake"]').first.click()
        page.get_by_role("link", name="臼杵市地域包括支援センター", exact=True).click()
        page.locator('input[name="channel"][value="visit_counter"]').check()
        page.locator("#kana").fill("いしぼとけ じろう")
        page.locator("#name").fill(son)
        page.locator("#birth_date").fill(born_years_ago(52).isoformat())
        page.locator("#visitor_name").fill(mother)
        page.locator("#visitor_relation").fill("母")
        page.locator("#visitor_household").select_option("parent")
        for topic in ("care", "hikikomori"):
            page.locator(f'input[name="categories"][value="{topic}"]').check()
        page.locator("#main_category").select_option("hikikomori")
        page.locator("#narrative").fill("息子が長く家にこもっている。母の介護も心配（架空）。")
        page.locator('input[name="reception_office"][value="usuki"]').check()
        page.locator('input[name="outcome"][value="multi_agency"]').check()
        page.locator("form.intake-form button[type=submit].primary").click()
        expect(page).to_have_url(CASE_PATH)
    case_path = page.url.removeprefix(base)
    # the case shows the intake as recorded and the mother in the household, as 親
    expect(page.locator("#intake")).to_contain_text(mother)
    expect(page.locator("#intake")).to_contain_text("息子が長く家にこもっている")
    expect(page.locator("#household table")).to_contain_text(mother)
    expect(page.locator(".case-header")).to_contain_text("多機関協働")
    checked(page)

    with counts.step("assessment"):
        move(page, "assessment", labels["assessment"])
        page.locator(f'a[href="{case_path}/assessment/new"]').click()
        for issue in ("withdrawal", "care_burden"):
            page.locator(f'input[name="issues"][value="{issue}"]').check()
        page.locator("#wishes").fill("住み慣れた家で母と一緒に暮らし続けたい（架空）。")
        page.locator("#assessment-form button[type=submit].primary").click()
        expect(page).to_have_url(re.compile(re.escape(case_path) + "/assessment/1$"))
        checked(page)
        # the saved assessment offers the next step: on to the draft plan
        page.locator('.next-step button[value="plan_draft"]').click()
        expect_stage(page, labels["plan_draft"])

    with counts.step("plan"):
        write_plan(page, case_path, "hokatsu", "臼杵市地域包括支援センター")
        expect_stage(page, labels["plan_draft"])

    with counts.step("重層的支援会議 decision"):
        # the form proposes the 重層的支援会議 and the day it last met
        expect(page.locator("#decision-meeting")).to_have_value("jusoteki")
        page.locator("#decision-form button[type=submit]").click()
        expect_stage(page, labels["decision"])
        checked(page)

    with counts.step("agreement and support"):
        record_agreement(page)
        move(page, "support", labels["support"])

    with counts.step("monitoring"):
        record_monitoring(page, labels["monitoring"])

    with counts.step("evaluation"):
        move(page, "evaluation", labels["evaluation"])
        record_evaluation(page, labels["evaluation"])

    with counts.step("closure at the meeting"):
        expect(page.locator('#move-form button[value="closed"]')).to_have_count(0)
        expect(page.locator("#decision-kind")).to_have_value("closure")
        expect(page.locator("#decision-meeting")).to_have_value("jusoteki")
        page.locator("#decision-note").fill("目標を達成し、地域の見守りにつないだ（架空）。")
        page.locator("#decision-confirm").check()
        page.locator("#decision-form button[type=submit]").click()
        # 臼杵市's intake rule gave the lead to 地域力創生課 (it runs 多機関協働): closing ends
        # the 地域包括's part, so its caseworker is back on the list, where the case is gone
        expect(page).to_have_url(base + "/cases")
        expect(page.locator(f'a[href="{case_path}"]')).to_have_count(0)
        checked(page)

    with counts.step("reopen (new support period), by the lead agency"):
        page.context.clear_cookies()
        log_in_as(page, live_server, "usuki", "supervisor")  # 地域力創生課
        page.goto(base + case_path)
        expect_stage(page, labels["closed"])
        page.locator("#move-note").fill("母から再び相談があった（架空）。")
        page.locator('#move-form button[value="intake"]').click()
        expect_stage(page, labels["intake"])
        checked(page)

    print("\n8050 journey, 臼杵市, caseworker (reopened by the supervisor)\n" + counts.table())
    # the whole journey stays within what a caseworker does in a day's sitting
    assert sum(c for _, c, _ in counts.steps) < 60


# the lines a cell's text takes: the tops of its boxes, those within half a line (a badge's
# border, a baseline) counted as one
_LINES_OF = """const linesOf = cell => {
  const range = document.createRange(); range.selectNodeContents(cell);
  const tops = [...range.getClientRects()].map(r => r.top).sort((a, b) => a - b);
  return tops.filter((top, i) => i === 0 || top - tops[i - 1] > 8).length; };"""
LINES_PER_CELL = f"""selector => {{ {_LINES_OF}
  return [...document.querySelectorAll(selector)].map(linesOf); }}"""
# the cells whose text takes more lines than it has words (a word broken across lines)
WORDS_BROKEN = f"""selector => {{ {_LINES_OF}
  return [...document.querySelectorAll(selector)].filter(cell =>
    linesOf(cell) > Math.max(1, (cell.innerText.match(/[^\\s（）・]+/g) || []).length)
  ).map(cell => cell.innerText); }}"""


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_home_search_case_and_intake_at_1366_390_and_200_percent(
    browser: Browser, live_server: LiveServer, slug: str
) -> None:
    base = live_server.url(slug)
    SHOTS.mkdir(parents=True, exist_ok=True)
    sizes = {
        "1366": {"viewport": {"width": 1366, "height": 768}},
        "390": {"viewport": {"width": 390, "height": 844}},
        "zoom200": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
    }
    for size, options in sizes.items():
        context = browser.new_context(**options)  # type: ignore[arg-type]
        try:
            page = context.new_page()
            log_in_as(page, live_server, slug, "caseworker")
            case_link = page.locator('#home a[href^="/cases/0"]').first
            case_path = case_link.get_attribute("href")
            pages = {
                "home": "/",
                "search": "/search?q=%E3%81%82",  # あ
                "case": case_path,
                "intake": "/intake/new?counter=hokatsu",
                "referrals": "/referrals",
            }
            for name, path in pages.items():
                page.goto(base + str(path))
                page.wait_for_load_state("load")
                assert_accessible(page)
                width = page.evaluate("document.documentElement.scrollWidth")
                inner = page.evaluate("window.innerWidth")
                assert width <= inner, f"{name} scrolls sideways at {size}: {width} > {inner}"
                # a list breaks between words only (a phone read つ/な/ぎ/元 down a column)
                broken = page.evaluate(WORDS_BROKEN, ".words-whole td")
                assert not broken, f"{name} breaks words at {size}: {broken}"
                if name == "case":  # 続柄 and 年齢 on one line (a phone made 世帯主 three)
                    lines = page.evaluate(
                        LINES_PER_CELL, ".household-table td:is(:nth-child(2), :nth-child(3))"
                    )
                    assert lines and max(lines) == 1, f"the household wraps at {size}: {lines}"
                page.screenshot(path=str(SHOTS / f"{slug}-{name}-{size}.png"), full_page=True)
            if size != "1366":
                # the navigation is a menu on a phone and at 200%: folded until asked for
                page.goto(base + "/")
                toggle = page.locator(".menu-toggle")
                expect(toggle).to_be_visible()
                expect(page.locator(".main-nav")).to_be_hidden()
                toggle.click()
                expect(page.locator('.main-nav a[href="/cases"]')).to_be_visible()
                assert_accessible(page)
            # "/" focuses the search; typing shows live results
            page.goto(base + "/")
            page.keyboard.press("/")
            expect(page.locator("#header-q")).to_be_focused()
            page.keyboard.type("あ")
            expect(page.locator("#search-live .search-live-box")).to_be_visible()
        finally:
            context.close()


def test_next_day_dates_are_kept_after_a_refusal(page: Page, live_server: LiveServer) -> None:
    """A future 受付日 is refused naming the field, keeping what was typed."""
    log_in_as(page, live_server, "marugame", "caseworker")
    page.goto(live_server.url("marugame") + "/intake/new?counter=hokatsu")
    page.locator("#received_on").fill((today_jst() + timedelta(days=400)).isoformat())
    page.locator("#name").fill("未来 太郎（架空）")
    page.locator("form.intake-form button[type=submit].primary").click()
    expect(page.locator("body")).to_contain_text("受付日：未来の日付は指定できません")
    expect(page.locator("#name")).to_have_value("未来 太郎（架空）")
    checked(page)
