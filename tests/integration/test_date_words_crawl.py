"""One date policy and no internal words on the pages staff read (issue 12, decision 0019).

In both demo towns, as the admin, a caseworker and the supervisor (who answers 開示請求), the
pages that showed ISO dates, raw UTC moments or internal keys are opened and their visible
text — what a person reads, not ``<time datetime>`` or ``<input value>`` — is checked: dates
in 和暦, moments in JST, labels instead of keys, 名称 heading the agencies' name column.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.core.cases.models import Case, CaseDecision, Evaluation, ProgressNote
from kasane.core.cases.page_forms import DECISION_LABELS, SOURCES
from kasane.core.cases.records import EVALUATION_OUTCOMES, GOAL_OUTCOMES, NOTE_KINDS
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.referrals.models import Referral
from tests.conftest import Env, login, tenant_client
from tests.integration.test_outreach import post

SLUGS = ["usuki", "marugame"]
# an ISO day or month (2026-12-06, 2026-12): a month heading is read in 和暦 too
ISO_DAY = re.compile(r"\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])\b")
UTC_MOMENT = re.compile(r"\+00:00|T\d{2}:\d{2}")
# the keys the pages used to print where a label belongs, and the ids nobody should read
RAW_KEYS = sorted(
    {*DECISION_LABELS, *SOURCES, *NOTE_KINDS, *EVALUATION_OUTCOMES, *GOAL_OUTCOMES}
    | {"national-2021.1", "kasane-person-export"}
)
RAW_KEY = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, RAW_KEYS)) + r")(?![\w-])", re.A)


class _VisibleText(HTMLParser):
    """The text nodes of a page outside <script> and <style>: no tags, no attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def wrong_words(text: str) -> list[str]:
    """What a reader should not meet: ISO days, UTC moments, internal keys."""
    found = ISO_DAY.findall(text) + UTC_MOMENT.findall(text)
    # Japanese pages: a raw key is an ASCII word among Japanese (\w would take 漢字 too)
    return found + [m.group(1) for m in RAW_KEY.finditer(text)]


def read(client: TestClient, path: str) -> tuple[str, str]:
    """The page's HTML and its visible text, the page checked for the policy."""
    r = client.get(path)
    assert r.status_code == 200, path
    text = visible(r.text)
    assert wrong_words(text) == [], path
    return r.text, text


def first_link(html: str, prefix: str) -> str:
    found = re.search(rf'href="({prefix}/[0-9a-f-]{{36}})"', html)
    assert found, prefix
    return found.group(1)


def _crawl_casework(c: TestClient) -> None:
    """Case list, referrals and an answer, the calendar and a meeting, outreach and a
    record, a person page."""
    cases, _ = read(c, "/cases")
    case_page, _ = read(c, first_link(cases, "/cases"))
    inbox, _ = read(c, "/referrals")
    read(c, first_link(inbox, "/referrals"))
    calendar, _ = read(c, "/meetings")
    read(c, first_link(calendar, "/meetings"))
    read(c, "/meetings?month=" + today_jst().strftime("%Y-%m"))
    outreach, _ = read(c, "/outreach")
    read(c, first_link(outreach, "/outreach"))
    read(c, first_link(case_page, "/people"))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_admin_reads_dates_in_wareki_and_organisations_under_meisho(
    sqlite_env: Env, slug: str
) -> None:
    with tenant_client(sqlite_env, slug) as admin:
        login(admin, "admin")
        _crawl_casework(admin)
        # given a pending invitation (it shows when its link expires)
        page = admin.get("/admin/invitations").text
        agency = re.search(r'<option value="([a-z0-9-]+)"', page.split('name="agency_key"')[1])
        assert agency
        email = f"date-{uuid.uuid4().hex[:8]}@{slug}.example"
        r = post(
            admin,
            "/admin/invitations",
            "/admin/invitations",
            email=email,
            role="caseworker",
            agency_key=agency.group(1),
        )
        assert r.status_code == 200
        _, text = read(admin, "/admin/invitations")
        assert email in text and "令和" in text.split(email, 1)[1]
        html, text = read(admin, "/admin/agencies")
        read(admin, "/community")  # 地域づくり's indicators by month
    # then the agencies' name column is headed 名称, not 氏名 (a person's name)
    head = re.search(r'id="plugin-agencies">\s*<thead><tr><th scope="col">([^<]+)<', html)
    assert head and head.group(1) == "名称"
    assert "氏名" not in text


def start_outreach(client: TestClient) -> str:
    r = post(
        client, "/outreach/new", "/outreach", title="見守り", description="—", noticed_by="minsei"
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


@pytest.mark.parametrize("slug", SLUGS)
def test_the_caseworker_reads_dates_in_wareki_and_birth_dates_with_the_era(
    sqlite_env: Env, slug: str
) -> None:
    name = f"元年 一郎 {uuid.uuid4().hex[:6]}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        _crawl_casework(cw)
        # given a person born on the first full day of 平成, found through outreach
        url = start_outreach(cw)
        r = post(
            cw,
            url,
            f"{url}/link",
            action="create",
            new_name=name,
            new_kana="がんねん いちろう",
            new_birth_date="1989-01-08",
        )
        assert r.status_code == 303, r.text
        # when another outreach record looks for them by name
        url = start_outreach(cw)
        r = post(
            cw,
            url,
            f"{url}/link",
            action="search",
            search_name=name,
            search_kana="がんねん いちろう",
        )
    # then the candidate's birth date reads 平成元年1月8日, never 1989-01-08 or 平成1年
    assert r.status_code == 200
    text = visible(r.text)
    assert name in text and wrong_words(text) == []
    assert "平成元年1月8日" in text


def _richest_person(env: Env, slug: str) -> uuid.UUID:
    """A person whose case has decisions, notes, an evaluation and a referral: the export
    then shows every kind of entry."""
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            stmt = (
                select(Case.person_id)
                .where(Case.id.in_(select(CaseDecision.case_id)))
                .where(Case.id.in_(select(Evaluation.case_id)))
                .where(Case.id.in_(select(ProgressNote.case_id)))
                .where(Case.person_id.in_(select(Referral.person_id)))
                .order_by(Case.person_id)
            )
            found = (await s.execute(stmt)).scalars().first()
            assert found, "the demo has a case with decisions, notes and an evaluation"
            return found

    return env.run(go)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_disclosure_export_reads_as_words_and_japan_dates(sqlite_env: Env, slug: str) -> None:
    person = _richest_person(sqlite_env, slug)
    expires = today_jst() + timedelta(days=400)
    with tenant_client(sqlite_env, slug) as sv:
        login(sv, "supervisor")
        # given a consent that runs out on a known day
        r = post(
            sv,
            f"/people/{person}",
            f"/people/{person}/consents",
            **{
                "consent-agencies": "*",
                "consent-purposes": "support",
                "consent-obtained_on": today_jst().isoformat(),
                "consent-method": "written",
                "consent-expires_on": expires.isoformat(),
            },
        )
        assert r.status_code == 303
        # when the person page and the printable 開示請求 record are read
        _, person_text = read(sv, f"/people/{person}")
        _, text = read(sv, f"/people/{person}/export")
    # then the expiry is a 和暦 day on both, and the record names sources and outcomes
    day = f"令和{expires.year - 2018}年{expires.month}月{expires.day}日"
    assert day in person_text and day in text
    assert "(会議で決定)" in text
    assert re.search(r"\((目標達成|一部達成|未達成|達成)\)", text)
