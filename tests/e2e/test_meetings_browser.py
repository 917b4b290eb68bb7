"""Meetings in a real browser (issue 4, item 9).

丸亀市's 支援検討会議 (consent-based) approves a plan — the case moves on to 支援実施, since the
person had agreed — and closes another case at 評価; a case without consent covering the
meeting is refused. 臼杵市's 支援会議 (社会福祉法106条の6) discusses an outreach record about
someone not yet named, under its confidentiality notice, and an agency that does not sit on
it gets the 404 of a missing meeting for its papers. The iCalendar feed, fetched without a
login, parses and holds meeting names and times only.

The cases the meeting works on are prepared in the live server's database through the
domain services (as staff would have left them), so this test starts at the meeting.
Elements are found by ids, names, values and URLs, or by plugin data (meeting, agency and
stage names); every page is checked with axe.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect
from sqlalchemy import select

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.cases import records as rec
from kasane.core.cases import services as cs
from kasane.core.cases.decisions import do_record_decision
from kasane.core.config_types import TenantConfig
from kasane.core.consent.services import do_record_consent
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import wareki
from kasane.core.people.models import Person
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from kasane_plugins import marugame
from kasane_plugins.usuki import assumptions as usuki_assumptions
from tests.e2e.conftest import (
    LiveServer,
    assert_accessible,
    expect_not_found_like_missing,
    log_in_as,
    run_in_db,
)
from tests.isolation.routes_cases import evaluate

pytestmark = pytest.mark.e2e

JST = ZoneInfo("Asia/Tokyo")
MEETING_PATH = re.compile(r"/meetings/[0-9a-f-]{36}(#.*)?$")
MARUGAME_LABELS = marugame.kasane_stage_labels(tenant=None)
SUPPORT_LABEL = "支援実施"  # the deck's name; 丸亀市 does not relabel 支援実施
CLOSED_LABEL = MARUGAME_LABELS["closed"]  # 支援終結
PLAN_LABEL = MARUGAME_LABELS["plan_draft"]  # 支援プラン（案）


def today_jst() -> date:
    return datetime.now(JST).date()


def checked(page: Page) -> None:
    """The page has finished loading and passes axe."""
    page.wait_for_load_state("load")
    assert_accessible(page)


# ------------------------------------------------------------------ data, in-process


async def _tenant(db: Database, slug: str) -> tuple[uuid.UUID, TenantConfig]:
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, slug)
        assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        return tenant.id, config


async def _actor(s: Any, username: str) -> ActorInfo:
    account = (
        await s.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one()
    return ActorInfo.of(account)


@dataclass(frozen=True)
class Prepared:
    case_id: str
    case_no: int
    name: str


async def _case_at_plan(
    s: Any,
    actor: ActorInfo,
    config: TenantConfig,
    name: str,
    kana: str,
    *,
    consent: bool,
    today: date,
) -> Any:
    """A consultation at the 推進室 counter, assessed, with a plan the person agreed to."""
    intake_form = config.forms["intake"]
    submission = check_form(
        intake_form,
        {
            "received_on": today.isoformat(),
            "channel": "phone",
            "name": name,
            "kana": kana,
            "birth_date": date(today.year - 79, 4, 1).isoformat(),
            "categories": ["care", "income"],
            "main_category": "care",
        },
    )
    assert submission.ok, submission.errors
    result = await do_intake(
        s,
        actor,
        config,
        counter_key="kyosei",
        submission=submission,
        outcome="continued",
        today=today,
    )
    case = result.case
    if consent:  # covers every agency and the 支援検討会議
        await do_record_consent(
            s,
            actor,
            result.person.id,
            agencies=["*"],
            meeting_types=["shien_kento"],
            purposes=["support", "meetings"],
            obtained_on=today,
            method="written",
        )
    await cs.do_move(s, actor, case, "assessment", today=today)
    form = config.forms["assessment"]
    sheet = check_form(form, {"issues": ["care_burden", "income"]})
    assert sheet.ok, sheet.errors
    await rec.do_record_assessment(s, actor, case, form, sheet)
    await cs.do_move(s, actor, case, "plan_draft", today=today)
    await rec.do_save_plan(
        s,
        actor,
        case,
        wishes="自宅で暮らし続けたい（架空）。",
        rows=[rec.PlanRowInput("介護負担", "介護サービスの利用", "申請支援", "hokatsu", "3か月")],
        next_monitoring_on=today + timedelta(days=60),
        agreed_on=today,
        agreement_method="written",
    )
    return case


async def prepare_marugame(db: Database) -> dict[str, Prepared]:
    """Three cases the supervisor's agency (福祉課 地域共生社会推進室) leads:

    * ``plan``: at 支援プラン（案）, plan agreed, consent covering 支援検討会議;
    * ``evaluation``: supported, now at 評価 with its evaluation recorded, consent as above;
    * ``no_consent``: at 支援プラン（案）, plan agreed, but no consent at all.
    """
    tenant_id, config = await _tenant(db, "marugame")
    today = today_jst()
    tag = uuid.uuid4().hex[:4]
    out: dict[str, Prepared] = {}
    async with db.session(tenant_id) as s:
        actor = await _actor(s, "supervisor")
        for key, name, kana, consent in [
            ("plan", f"本島 ハナ（架空{tag}）", "ほんじま はな", True),
            ("evaluation", f"広島 キク（架空{tag}）", "ひろしま きく", True),
            ("no_consent", f"手島 サト（架空{tag}）", "てしま さと", False),
        ]:
            case = await _case_at_plan(s, actor, config, name, kana, consent=consent, today=today)
            if key == "evaluation":
                await do_record_decision(
                    s,
                    actor,
                    config,
                    case,
                    kind="support_decision",
                    source="exception",
                    decided_on=today,
                    note="緊急のため会議を待たずに決定（架空）。",
                )
                await cs.do_move(s, actor, case, "support", today=today)
                await cs.do_move(s, actor, case, "evaluation", today=today)
                await evaluate(s, actor, case, "met", "目標達成（架空）。", day=today)
            out[key] = Prepared(str(case.id), case.case_no, name)
    return out


async def create_non_member(db: Database, slug: str, agency: str) -> str:
    """A caseworker of ``agency``; returns the user name."""
    tenant_id, _config = await _tenant(db, slug)
    username = f"e2e-{agency}-{uuid.uuid4().hex[:6]}"
    async with db.session(tenant_id) as s:
        await do_create_account(
            s,
            username=username,
            display_name="協議会担当（E2E）",
            password=DEMO_PASSWORD,
            role="caseworker",
            agency_key=agency,
            actor="e2e-test",
        )
    return username


async def personal_names(db: Database, slug: str) -> list[str]:
    """Every person's name and every staff display name of the tenant."""
    tenant_id, _config = await _tenant(db, slug)
    async with db.session(tenant_id) as s:
        people = list((await s.execute(select(Person.name))).scalars())
        staff = list((await s.execute(select(StaffAccount.display_name))).scalars())
    return [n for n in people + staff if n]


# ------------------------------------------------------------------ page helpers


def agenda_row(page: Page, case_id: str) -> Locator:
    """The agenda overview row of a case (its subject links to the case)."""
    return page.locator("table.agenda tbody tr").filter(
        has=page.locator(f'a[href="/cases/{case_id}"]')
    )


def agenda_item(page: Page, row: Locator) -> Locator:
    """The agenda item section an overview row's status link jumps to."""
    href = row.locator('a[href^="#item-"]').get_attribute("href")
    assert href, "the agenda row has no link to its item"
    return page.locator(f"section.agenda-item{href}")


def add_proposal(page: Page, hidden: str, value: str) -> None:
    """Press the button of the proposal whose hidden ``hidden`` input is ``value``."""
    form = page.locator("#proposals form.proposal").filter(
        has=page.locator(f'input[name="{hidden}"][value="{value}"]')
    )
    expect(form).to_have_count(1)
    form.locator("button[type=submit]").click()


def decide(page: Page, item: Locator, kind: str, note: str) -> None:
    """Open the item's decision form, choose ``kind``, write a note and record it."""
    form = item.locator('form[action$="/decision"]')
    decision_form = item.page.locator('form[action$="/decision"]')  # relative to the details
    item.locator("details").filter(has=decision_form).locator("summary").click()
    form.locator('select[name$="-kind"]').select_option(kind)
    form.locator('textarea[name$="-note"]').fill(note)
    form.locator("button[type=submit]").click()


# ------------------------------------------------------------------ the tests


def test_marugame_shien_kento_approves_a_plan_and_closes_a_case(
    page: Page, live_server: LiveServer
) -> None:
    base = live_server.url("marugame")
    # Given three cases of 丸亀市's 推進室 (see prepare_marugame)
    cases = run_in_db(live_server, prepare_marugame)
    plan, evaluated, no_consent = cases["plan"], cases["evaluation"], cases["no_consent"]

    # When the supervisor opens the next 支援検討会議 from the meetings calendar
    log_in_as(page, live_server, "marugame", "supervisor")
    page.locator('nav a[href="/meetings"]').first.click()
    expect(page).to_have_url(base + "/meetings")
    checked(page)
    upcoming = page.locator(".meetings-upcoming li.meeting-scheduled a").filter(
        has_text="支援検討会議"
    )
    upcoming.first.click()
    expect(page).to_have_url(MEETING_PATH)
    meeting_url = page.url
    # Then it is the consent-based meeting, without the 106条の6 notice
    expect(page.locator("#meeting-h")).to_contain_text("支援検討会議")
    expect(page.locator("aside.confidential")).to_have_count(0)
    # And the cases are proposed: the plan for 支援決定, the evaluated one for 終結,
    # and the one without consent flagged
    for case, kind in [(plan, "support_decision"), (evaluated, "evaluation")]:
        proposal = page.locator("#proposals form.proposal").filter(
            has=page.locator(f'input[name="case_id"][value="{case.case_id}"]')
        )
        expect(proposal.locator('input[name="kind"]')).to_have_value(kind)
        expect(proposal.locator(".badge.warn")).to_have_count(0)
    flagged = page.locator("#proposals form.proposal").filter(
        has=page.locator(f'input[name="case_id"][value="{no_consent.case_id}"]')
    )
    expect(flagged.locator(".badge.warn")).to_have_count(1)
    checked(page)

    # When the case without consent is added anyway
    with page.expect_response(lambda r: r.url.endswith("/agenda")) as refused:
        add_proposal(page, "case_id", no_consent.case_id)
    # Then it is refused (422) with the reason, and is not on the agenda
    assert refused.value.status == 422
    expect(page.locator("#meeting-alert")).to_be_visible()
    expect(agenda_row(page, no_consent.case_id)).to_have_count(0)
    checked(page)

    # When the plan awaiting its support decision is put on the agenda
    add_proposal(page, "case_id", plan.case_id)
    expect(page).to_have_url(MEETING_PATH)
    expect(agenda_row(page, plan.case_id).locator("td").last).to_have_text(PLAN_LABEL)
    # And the meeting records 支援決定 on it
    plan_item = agenda_item(page, agenda_row(page, plan.case_id))
    decide(page, plan_item, "support_decision", "プランを承認")
    # Then the case moves on to 支援実施 (the person had agreed to the plan)
    expect(page).to_have_url(MEETING_PATH)
    expect(agenda_row(page, plan.case_id).locator("td").last).to_have_text(SUPPORT_LABEL)
    expect(plan_item.locator(".decided")).to_have_count(1)
    checked(page)

    # When the evaluated case is put on the agenda and the meeting decides 終結
    add_proposal(page, "case_id", evaluated.case_id)
    expect(agenda_row(page, evaluated.case_id).locator("td").last).to_have_text(
        MARUGAME_LABELS.get("evaluation", "評価")
    )
    closing_item = agenda_item(page, agenda_row(page, evaluated.case_id))
    decide(page, closing_item, "closure", "目標達成のため終結")
    # Then that case is closed (丸亀市: 支援終結)
    expect(agenda_row(page, evaluated.case_id).locator("td").last).to_have_text(CLOSED_LABEL)
    checked(page)
    assert page.url.startswith(meeting_url.split("#")[0])

    # And the case pages agree: 支援実施 for the approved plan, 支援終結 for the closed case
    agenda_row(page, plan.case_id).locator(f'a[href="/cases/{plan.case_id}"]').click()
    expect(page.locator(".case-header .badge.stage")).to_have_text(SUPPORT_LABEL)
    expect(page.locator("#timeline")).to_contain_text("支援検討会議")
    checked(page)
    page.goto(f"{base}/cases/{evaluated.case_id}")
    expect(page.locator(".case-header .badge.stage")).to_have_text(CLOSED_LABEL)
    checked(page)


def test_usuki_shien_kaigi_outreach_and_non_member_404(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    base = live_server.url("usuki")
    non_members = [
        a["key"]
        for a in usuki_assumptions.AGENCIES
        if a["key"] not in usuki_assumptions.SHIEN_KAIGI_MEMBERS
    ]
    assert "kyogikai" in non_members
    title = f"ごみが積まれた家に住む高齢の男性（E2E-{uuid.uuid4().hex[:4]}）"

    # Given the supervisor (地域力創生課, a 支援会議 member) starts an outreach record
    # about someone nobody has named yet
    log_in_as(page, live_server, "usuki", "supervisor")
    page.goto(base + "/outreach/new")
    checked(page)
    page.locator("#title").fill(title)
    page.locator("#description").fill("民生委員から、最近姿を見かけないとの連絡（架空）。")
    page.locator("#place").fill("中央地区 商店街の裏手（架空）")
    page.locator("#noticed_by").select_option("minsei")
    page.locator("#outreach-new button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/outreach/[0-9a-f-]{36}$"))
    outreach_id = page.url.rsplit("/", 1)[1]
    checked(page)

    # When a 支援会議 is called ad hoc from the calendar
    page.locator('nav a[href="/meetings"]').first.click()
    expect(page).to_have_url(base + "/meetings")
    checked(page)
    day = today_jst() + timedelta(days=7)
    page.locator("#new-type").select_option("shien_kaigi")
    expect(page.locator("#new-type option:checked")).to_have_text("支援会議")
    page.locator("#new-date").fill(day.isoformat())
    page.locator("#new-time").fill("10:00")
    page.locator("#new-place").fill("臼杵庁舎 第1会議室")
    page.locator(".meetings-new button[type=submit].primary").click()
    # Then its page opens with the 106条の6 confidentiality notice
    expect(page).to_have_url(MEETING_PATH)
    meeting_path = page.url.removeprefix(base).split("#")[0]
    expect(page.locator("#meeting-h")).to_contain_text("支援会議")
    expect(page.locator("#meeting-h")).to_contain_text(wareki(day))  # the date policy
    expect(page.locator("aside.notice.confidential")).to_be_visible()
    expect(page.locator("dl.meeting-facts")).to_contain_text("社会福祉法106条の6")
    checked(page)

    # When the unnamed outreach record proposed for it is put on the agenda
    add_proposal(page, "outreach_id", outreach_id)
    # Then it is an item with no case behind it, shared under Art. 106-6
    row = page.locator("table.agenda tbody tr").filter(has_text=title)
    expect(row).to_have_count(1)
    expect(row.locator('a[href^="/cases/"]')).to_have_count(0)  # no case, no person
    expect(row.locator(".badge.basis-art106_6")).to_have_count(1)
    expect(page.locator("aside.notice.confidential")).to_be_visible()
    # And the meeting can record that information was shared about it
    decide(page, agenda_item(page, row), "information_sharing", "見守りを強める（架空）")
    expect(agenda_item(page, row).locator(".decided")).to_have_count(1)
    checked(page)

    # And the member sees the printable papers, which carry the item
    papers = page.goto(base + meeting_path + "/papers")
    assert papers is not None and papers.status == 200
    expect(page.locator("body")).to_contain_text(title)
    checked(page)

    # When a caseworker of 地域振興協議会 (not a 支援会議 member) asks for the papers
    username = run_in_db(live_server, create_non_member, "usuki", "kyogikai")
    context = browser.new_context()
    try:
        other = context.new_page()
        log_in_as(other, live_server, "usuki", username)
        missing = f"{base}/meetings/{uuid.uuid4()}"
        # Then the papers, and the meeting page, answer as a missing meeting: 404
        expect_not_found_like_missing(other, base + meeting_path + "/papers", missing + "/papers")
        expect(other.locator("body")).not_to_contain_text(title)
        checked(other)
        expect_not_found_like_missing(other, base + meeting_path, missing)
        expect(other.locator("body")).not_to_contain_text(title)
    finally:
        context.close()


def test_calendar_feed_holds_meetings_and_no_personal_names(
    page: Page, playwright: Playwright, live_server: LiveServer
) -> None:
    base = live_server.url("marugame")
    # Given the supervisor on the calendar-feed page
    log_in_as(page, live_server, "marugame", "supervisor")
    page.goto(base + "/calendar/feed")
    expect(page.locator("#calendar-feed-url")).to_have_count(0)
    checked(page)

    # When they make their feed URL (htmx swaps the section in place)
    page.locator('#calendar-feed form:has(input[name="step"][value="issue"]) button').click()
    feed = page.locator("#calendar-feed-url")
    expect(feed).to_have_value(re.compile(r"^http://marugame\.localhost:\d+/calendar/.+\.ics$"))
    checked(page)
    feed_url = feed.input_value()

    # And a calendar app fetches it: no cookies, no login. (Its resolver does not know
    # *.localhost, so it connects to 127.0.0.1 and names the tenant's host itself.)
    path = feed_url.removeprefix(base)
    app = playwright.request.new_context()
    try:
        answer = app.get(
            f"http://127.0.0.1:{live_server.port}{path}",
            headers={"Host": f"marugame.localhost:{live_server.port}"},
        )
        assert answer.status == 200, answer.status
        assert answer.headers["content-type"].startswith("text/calendar")
        body = answer.body()
    finally:
        app.dispose()

    # Then it parses as iCalendar and holds the meetings, by type name and time
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert events, "the feed holds no VEVENT"
    names = {m["name"] for m in marugame.kasane_meeting_types(tenant=None)}
    for event in events:
        assert str(event["SUMMARY"]) in names
        assert event.get("DTSTART") is not None and event.get("DTEND") is not None
        assert event.get("DESCRIPTION") is None and event.get("ATTENDEE") is None
    assert {str(e["SUMMARY"]) for e in events} >= {"支援検討会議"}
    # And no person's or staff member's name appears anywhere in it
    text = body.decode("utf-8")
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    people = run_in_db(live_server, personal_names, "marugame")
    assert len(people) > 10  # the demo caseload is there to leak, if anything did
    leaked = sorted({n for n in people if n in unfolded})
    assert not leaked, f"personal names in the feed: {leaked}"
