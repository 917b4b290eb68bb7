"""The support flow in a real browser (issue 3, item 13).

臼杵市: an 8050 household's consultation at the 地域包括支援センター goes from intake through
assessment, plan, decision, agreement, support, monitoring and evaluation to closure; the
children's centre, which takes no part, gets the same 404 as for a missing case. 丸亀市: the
same walk with its own counter, intake form section and stage labels.

Elements are found by ids, names, values and URLs, or by plugin data (counter, agency,
meeting and stage names, which are the towns' own Japanese words), never by the core's
wording, which the catalog may still change. Every page is checked with axe.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from kasane.core.japan_time import today_jst
from kasane_plugins import marugame
from kasane_plugins.usuki import assumptions as usuki_assumptions
from tests.e2e.conftest import (
    LiveServer,
    assert_accessible,
    expect_not_found_like_missing,
    log_in_as,
)

pytestmark = pytest.mark.e2e

JST = ZoneInfo("Asia/Tokyo")
CASE_HOUSEHOLD = 'section[aria-labelledby="household-h"]'  # on the case page
CASE_PATH = re.compile(r"/cases/[0-9a-f-]{36}$")
# The stage names of the source deck (issue 3); a town's plugin may relabel any of them.
DECK_STAGES = {
    "reception": "受付",
    "intake": "インテーク",
    "assessment": "アセスメント",
    "plan_draft": "プラン案",
    "decision": "支援決定",
    "support": "支援実施",
    "monitoring": "モニタリング",
    "evaluation": "評価",
    "closed": "終結",
}
USUKI_STAGES = {**DECK_STAGES, **usuki_assumptions.STAGE_LABELS}
MARUGAME_STAGES = {**DECK_STAGES, **marugame.kasane_stage_labels(tenant=None)}


def born_years_ago(age: int) -> date:
    """A birth date that makes someone ``age`` today (their birthday a month ago)."""
    day = today_jst() - timedelta(days=30)
    return date(day.year - age, day.month, min(day.day, 28))


def checked(page: Page) -> None:
    """The page has finished loading and passes axe."""
    page.wait_for_load_state("load")
    assert_accessible(page)


def expect_stage(page: Page, label: str) -> None:
    """The case page shows ``label`` as the stage, in the header and the stage section."""
    expect(page).to_have_url(CASE_PATH)
    expect(page.locator(".case-header .badge.stage")).to_have_text(label)
    expect(page.locator("#stage-h")).to_contain_text(label)
    expect(page.locator("#case-page [role=alert]")).to_have_count(0)


def move(page: Page, to: str, label: str) -> None:
    """Press the stage section's button for ``to``; the page then shows ``label``."""
    page.locator(f'#move-form button[name="to"][value="{to}"]').click()
    expect_stage(page, label)
    checked(page)


def back_to_case(page: Page, case_path: str) -> None:
    """From an assessment or plan page, the breadcrumb link back to the case."""
    page.locator(f'p.breadcrumb a[href="{case_path}"]').click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "$"))


def intake(
    page: Page,
    live_server: LiveServer,
    slug: str,
    counter_name: str,
    counter_key: str,
    *,
    name: str,
    kana: str,
    birth: date,
    local_section: tuple[str, str],
    fill_local: Callable[[Locator], None],
) -> str:
    """Take a consultation at ``counter_name`` for a new person; returns the case's path."""
    base = live_server.url(slug)
    page.locator('nav a[href="/intake"]').first.click()
    expect(page).to_have_url(base + "/intake")
    checked(page)
    page.get_by_role("link", name=counter_name, exact=True).click()
    expect(page).to_have_url(f"{base}/intake/new?counter={counter_key}")
    section_key, section_title = local_section
    # the town's own section follows the national fields
    expect(page.locator(f"#section-{section_key} > legend")).to_have_text(section_title)
    expect(page.locator("#received_on")).to_have_value(today_jst().isoformat())
    checked(page)

    page.locator('input[name="channel"][value="visit_counter"]').check()
    page.locator("#kana").fill(kana)
    page.locator("#name").fill(name)
    page.locator("#sex").select_option("female")
    page.locator("#birth_date").fill(birth.isoformat())
    page.locator("#address").fill(f"{section_title}（架空）1-2-3")
    for topic in ("care", "hikikomori"):
        page.locator(f'input[name="categories"][value="{topic}"]').check()
    page.locator("#main_category").select_option("care")
    page.locator("#narrative").fill("母の介護と、長く家にいる息子のことを相談したい（架空）。")
    fill_local(page.locator(f"#section-{section_key}"))
    page.locator('input[name="outcome"][value="multi_agency"]').check()
    page.locator("form.intake-form button[type=submit].primary").click()
    expect(page).to_have_url(CASE_PATH)
    return page.url.removeprefix(base)


def add_withdrawn_son(page: Page, name: str, kana: str) -> None:
    """On the person page: the household gets a 52-year-old son, withdrawn → 8050."""
    expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}$"))
    checked(page)
    form = page.locator('form[action$="/household/members"]')
    form.locator("#member-name").fill(name)
    form.locator("#member-kana").fill(kana)
    form.locator("#member-birth_date").fill(born_years_ago(52).isoformat())
    form.locator("#member-relation").select_option("child")
    form.locator("#member-withdrawn").check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}#household$"))
    expect(page.locator("#household table")).to_contain_text(name)
    expect(page.locator("#household .patterns .badge.pattern")).to_contain_text(["8050"])
    checked(page)


def assess(page: Page, case_path: str, issues: list[str]) -> None:
    """The national assessment sheet: the required issues and the person's wishes."""
    page.locator(f'a[href="{case_path}/assessment/new"]').click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "/assessment/new$"))
    checked(page)
    for issue in issues:
        page.locator(f'input[name="issues"][value="{issue}"]').check()
    page.locator("#health").select_option("some")
    page.locator("#household_note").fill(
        "母と息子の二人暮らし。息子は十年ほど外出していない（架空）。"
    )
    page.locator("#wishes").fill("住み慣れた家で、息子と一緒に暮らし続けたい（架空）。")
    page.locator("#assessment-form button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "/assessment/1$"))
    checked(page)
    back_to_case(page, case_path)


def write_plan(page: Page, case_path: str, agency: str, agency_name: str) -> None:
    """The plan editor: the wishes (carried over from the assessment) and one row."""
    page.locator(f'a[href="{case_path}/plan/new"]').click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "/plan/new$"))
    expect(page.locator("#wishes")).to_have_value(re.compile("住み慣れた家"))
    checked(page)
    page.locator("#rows-0-issue").fill("母の介護負担と息子の社会的孤立（架空）")
    page.locator("#rows-0-goal").fill("介護サービスを使い、息子が週1回外出できる")
    page.locator("#rows-0-action").fill("介護保険の申請支援と、息子への訪問")
    page.locator("#rows-0-agency").select_option(agency)
    page.locator("#rows-0-period").fill("6か月")
    page.locator("#next_monitoring_on").fill((today_jst() + timedelta(days=30)).isoformat())
    page.locator("#plan-form button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "/plan/1$"))
    expect(page.locator("table.plan-table tbody tr")).to_have_count(1)
    expect(page.locator("table.plan-table tbody")).to_contain_text(agency_name)
    checked(page)
    back_to_case(page, case_path)


def record_agreement(page: Page) -> None:
    page.locator("#agreement-method").select_option("written")
    page.locator("#agreement-form button[type=submit]").click()
    expect(page).to_have_url(CASE_PATH)
    expect(page.locator("#agreement-form")).to_have_count(0)  # the plan is agreed now
    checked(page)


def record_monitoring(page: Page, label: str) -> None:
    page.locator("#monitoring-summary").fill("介護サービスが始まり、息子も訪問に応じた（架空）。")
    page.locator("#monitoring-next_on").fill((today_jst() + timedelta(days=30)).isoformat())
    page.locator("#monitoring-form button[type=submit]").click()
    expect_stage(page, label)  # recording a monitoring moves the case to モニタリング
    checked(page)


def record_evaluation(page: Page, label: str) -> None:
    page.locator("#evaluation-goal1").select_option("met")  # 評価 per goal of the plan
    page.locator("#evaluation-goal1_finding").fill("ショートステイで介護者が休めた（架空）。")
    page.locator("#evaluation-summary").fill("目標を達成し、地域の見守りにつながった（架空）。")
    page.locator("#evaluation-form button[type=submit]").click()
    expect_stage(page, label)
    expect(page.locator("#timeline")).to_be_visible()
    checked(page)


def close_by_decision(page: Page, label: str, exception: str = "", *, lead: bool = True) -> None:
    """At 評価: the closure decision (the meeting's, or an exception), its reason and the
    confirmation; the case is then closed — shown to the lead agency's staff, while a
    participant (``lead=False``) is back on the case list: closing ended their part."""
    expect(page.locator("#decision-kind")).to_have_value("closure")
    if exception:
        page.locator('input[name="decision-source"][value="exception"]').check()
    page.locator("#decision-note").fill(exception or "目標を達成したため終結（架空）。")
    page.locator("#decision-confirm").check()
    page.locator("#decision-form button[type=submit]").click()
    if lead:
        expect_stage(page, label)
    else:
        expect(page).to_have_url(re.compile(r"/cases$"))
    checked(page)


def expect_404_for(
    browser: Browser, live_server: LiveServer, slug: str, username: str, case_path: str, name: str
) -> None:
    """In a fresh browser context, ``username`` gets the missing-case 404 for the case."""
    context = browser.new_context()
    try:
        other = context.new_page()
        log_in_as(other, live_server, slug, username)
        base = live_server.url(slug)
        expect_not_found_like_missing(other, base + case_path, f"{base}/cases/{uuid.uuid4()}")
        expect(other.locator("body")).not_to_contain_text(name)
        checked(other)
    finally:
        context.close()


def test_usuki_8050_household_from_intake_to_closure(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    labels = USUKI_STAGES
    parent, son = "石仏 トメ（架空）", "石仏 一郎（架空）"
    # Given the caseworker of 臼杵市地域包括支援センター, logged in
    log_in_as(page, live_server, "usuki", "caseworker")

    # When an 82-year-old mother's consultation (介護, ひきこもり) is taken at the centre,
    # with 多機関協働 as what happens next
    case_path = intake(
        page,
        live_server,
        "usuki",
        "臼杵市地域包括支援センター",
        "hokatsu",
        name=parent,
        kana="いしぼとけ とめ",
        birth=born_years_ago(82),
        local_section=("usuki", "臼杵市の項目"),
        fill_local=lambda section: section.locator(
            'input[name="reception_office"][value="usuki"]'
        ).check(),
    )
    # Then her case opens at インテーク, led by the centre, with her as its person (82)
    expect_stage(page, labels["intake"])
    expect(page.locator(".case-header h1")).to_contain_text(parent)
    expect(page.locator(".case-header")).to_contain_text("臼杵市地域包括支援センター")
    expect(page.locator(f"{CASE_HOUSEHOLD} table")).to_contain_text("82")
    checked(page)

    # When her 52-year-old withdrawn son is added to the household on her person page
    page.locator(".case-header a.case-person").click()
    add_withdrawn_son(page, son, "いしぼとけ いちろう")
    # Then the case shows the household with the 8050 pattern
    page.locator(f'#identity a[href="{case_path}"]').click()
    expect_stage(page, labels["intake"])
    expect(page.locator(".case-header .badge.pattern")).to_contain_text(["8050"])  # summary
    expect(page.locator(f"{CASE_HOUSEHOLD} table")).to_contain_text(son)

    # When the case moves to アセスメント and the national sheet is recorded
    move(page, "assessment", labels["assessment"])
    assess(page, case_path, ["care_burden", "withdrawal", "isolation"])
    expect(page.locator(f'#records a[href="{case_path}/assessment/1"]')).to_have_count(1)

    # And the case moves to the plan stage (臼杵市: 支援プラン案) and the plan is written
    move(page, "plan_draft", labels["plan_draft"])
    write_plan(page, case_path, "hokatsu", "臼杵市地域包括支援センター")
    expect_stage(page, labels["plan_draft"])

    # And support is decided as a recorded exception, with its reason
    page.locator('input[name="decision-source"][value="exception"]').check()
    page.locator("#decision-note").fill("本人の体調が急変したため、会議を待たずに決定（架空）。")
    page.locator("#decision-form button[type=submit]").click()
    # Then the case is at 臼杵市's 支援方針の決定
    expect_stage(page, labels["decision"])
    checked(page)

    # When the person's agreement is recorded and support starts
    record_agreement(page)
    move(page, "support", labels["support"])
    # And a monitoring is recorded
    record_monitoring(page, labels["monitoring"])
    # And the case moves to 評価 and the evaluation is recorded
    move(page, "evaluation", labels["evaluation"])
    record_evaluation(page, labels["evaluation"])
    # Then it is closed (終結) by a recorded exception with its reason and a confirmation
    # (a bare 終結 button is not offered without a closure decision)
    expect(page.locator('#move-form button[value="closed"]')).to_have_count(0)
    # 臼杵市's intake rule gave the lead to 地域力創生課 (it runs 多機関協働): the 地域包括's
    # caseworker took part, so closing ends their part and they are back on the list
    exception = "本人が施設に入所したため（架空）。"
    close_by_decision(page, labels["closed"], exception=exception, lead=False)
    # the lead agency (the supervisor, 地域力創生課) still sees the closed case; the only
    # move left is 再開
    context = browser.new_context()
    try:
        lead = context.new_page()
        log_in_as(lead, live_server, "usuki", "supervisor")
        lead.goto(live_server.url("usuki") + case_path)
        expect_stage(lead, labels["closed"])
        expect(lead.locator('#move-form button[name="to"]')).to_have_count(1)
        expect(lead.locator("#timeline")).to_contain_text(labels["closed"])
        checked(lead)
    finally:
        context.close()

    # When こども家庭センター's caseworker, which takes no part, opens the same URL
    # Then they get the 404 of a missing case, and nothing of the person
    expect_404_for(browser, live_server, "usuki", "kodomo", case_path, parent)


def test_marugame_walk_with_its_own_counter_form_and_labels(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    labels = MARUGAME_STAGES
    parent, son = "飯山 ウメ（架空）", "飯山 次郎（架空）"
    # Given the caseworker of 丸亀市地域包括支援センター, logged in
    log_in_as(page, live_server, "marugame", "caseworker")

    # When a consultation is taken at 丸亀市's centre, with the city's own section filled in
    case_path = intake(
        page,
        live_server,
        "marugame",
        "丸亀市地域包括支援センター",
        "hokatsu",
        name=parent,
        kana="はんざん うめ",
        birth=born_years_ago(82),
        local_section=("marugame", "丸亀市の項目"),
        fill_local=lambda section: section.locator("#school_district").select_option("hanzan"),
    )
    # Then the case opens at 丸亀市's 聞き取り
    expect_stage(page, labels["intake"])
    expect(page.locator(".case-header")).to_contain_text("丸亀市地域包括支援センター")
    checked(page)

    # And the son added on the person page makes it an 8050 household
    page.locator(".case-header a.case-person").click()
    add_withdrawn_son(page, son, "はんざん じろう")
    page.locator(f'#identity a[href="{case_path}"]').click()
    expect_stage(page, labels["intake"])

    # When it is assessed and its plan written (支援プラン（案）)
    move(page, "assessment", labels["assessment"])
    assess(page, case_path, ["care_burden", "withdrawal"])
    move(page, "plan_draft", labels["plan_draft"])
    write_plan(page, case_path, "hokatsu", "丸亀市地域包括支援センター")

    # And support is decided at the 支援検討会議, the only meeting that may decide it
    meeting = page.locator("#decision-meeting")
    expect(meeting).to_have_value("shien_kento")
    expect(meeting.locator("option:checked")).to_have_text("支援検討会議")
    page.locator("#decision-form button[type=submit]").click()
    # Then the case is at 支援検討会議での決定
    expect_stage(page, labels["decision"])
    expect(page.locator("#timeline")).to_contain_text("支援検討会議")
    checked(page)

    # When the person agrees, support starts, a monitoring and the evaluation are recorded
    record_agreement(page)
    move(page, "support", labels["support"])
    record_monitoring(page, labels["monitoring"])
    move(page, "evaluation", labels["evaluation"])
    record_evaluation(page, labels["evaluation"])

    # And the 支援検討会議's closure decision is recorded (the form offers 終結 at 評価)
    expect(page.locator("#decision-kind")).to_have_value("closure")
    expect(page.locator("#decision-meeting")).to_have_value("shien_kento")
    # Then the case is closed under 丸亀市's label 支援終結
    close_by_decision(page, labels["closed"])

    # And 子育て支援課's caseworker gets the missing-case 404 for it
    expect_404_for(browser, live_server, "marugame", "kodomo", case_path, parent)
