"""Printable meeting papers: the members see agenda, discussion, decisions and minutes (as
a page and as a real PDF with Japanese text); anyone else gets the 404 of a missing id."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from kasane.core import i18n, plugins
from kasane.core.audit.services import count_events
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database, uuid7
from kasane.core.forms.validation import Submission
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import JST
from kasane.core.meetings.decisions import do_meeting_decision
from kasane.core.meetings.papers import ART106_6_NOTICE, DECISION_KINDS
from kasane.core.meetings.services import (
    at_jst,
    do_add_case_to_agenda,
    do_create_meeting,
    do_record_attendance,
    do_record_discussion,
    do_record_minutes,
)
from kasane.core.web.templating import wareki
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env, login, tenant_client

DISCUSSION = "長男との関係について情報を共有した。地域包括が見守りを続ける。"
MINUTES = "出席機関で早期の見守り体制を確認した。次回は状況の変化を報告する。"
OUTSIDER = "papers-outsider"  # an agency that sits on no meeting


@dataclass(frozen=True)
class Scenario:
    meeting_id: uuid.UUID
    day: date
    case_no: int
    person_name: str


def tenant_config(env: Env, slug: str) -> tuple[uuid.UUID, TenantConfig]:
    """The tenant's id and its validated configuration, as the app builds it."""

    async def go(db: Database) -> tuple[uuid.UUID, TenantConfig]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
        assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        return tenant.id, config

    return env.run(go)


def build_meeting(env: Env, slug: str, type_key: str, *, days_ago: int = 7) -> Scenario:
    """As the tenant's caseworker: a new case (through intake), a meeting of ``type_key``
    with the case on its agenda, discussion, attendance, one decision and minutes."""
    tenant_id, config = tenant_config(env, slug)
    mt = config.meeting_type(type_key)
    assert mt is not None
    day = datetime.now(JST).date() - timedelta(days=days_ago)
    name = f"紙資料 テスト{uuid7().hex[-6:]}（架空）"

    async def go(db: Database) -> Scenario:
        async with db.session(tenant_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            actor = ActorInfo.of(account)
            counter = next(c for c in config.counters if c.agency == actor.agency_key)
            intake = await do_intake(
                s,
                actor,
                config,
                counter_key=counter.key,
                submission=Submission(
                    values={"name": name, "kana": "カミシリョウ テスト", "received_on": day}
                ),
                outcome="continued",
                today=day,
            )
            case = intake.case
            assert case is not None
            meeting = await do_create_meeting(
                s,
                actor,
                config,
                meeting_type_key=mt.key,
                starts_at=at_jst(day, "10:00"),
                place="庁舎 2階 第1会議室",
            )
            item = await do_add_case_to_agenda(
                s, actor, meeting, mt, case, "early_detection", today=day
            )
            await do_record_discussion(s, actor, item, DISCUSSION)
            present = {key: key != mt.members[-1] for key in mt.members}
            await do_record_attendance(s, actor, meeting, mt, present)
            kind = next(k for k in ("information_sharing", "continuation") if k in mt.decisions)
            await do_meeting_decision(
                s, actor, config, meeting, mt, item, kind=kind, today=day, note="見守りを継続"
            )
            await do_record_minutes(s, actor, meeting, MINUTES)
            return Scenario(meeting.id, day, case.case_no, name)

    return env.run(go)


def ensure_outsider(env: Env, slug: str) -> None:
    """A staff account whose agency is on no meeting of the tenant."""
    tenant_id, config = tenant_config(env, slug)
    on_meetings = {a for m in config.meeting_types for a in m.members}
    agency = next(a.key for a in config.agencies if a.key not in on_meetings)

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            found = (
                await s.execute(select(StaffAccount.id).where(StaffAccount.username == OUTSIDER))
            ).first()
            if not found:
                await do_create_account(
                    s,
                    username=OUTSIDER,
                    display_name="会議外の機関（テスト）",
                    password=DEMO_PASSWORD,
                    agency_key=agency,
                )

    env.run(go)


def audit_count(env: Env, slug: str, action: str) -> int:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> int:
        async with db.session(tenant_id) as s:
            return await count_events(s, action)

    return env.run(go)


@pytest.fixture(scope="module")
def support_meeting(sqlite_env: Env) -> Scenario:
    """usuki's 支援会議 (社会福祉法106条の6), a week ago, with one case discussed."""
    return build_meeting(sqlite_env, "usuki", "shien_kaigi")


@contextmanager
def member_client(env: Env) -> Iterator[TestClient]:
    """usuki's caseworker (地域包括支援センター), a member of both usuki meetings."""
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        yield client


def test_a_member_sees_agenda_decisions_and_minutes_with_the_106_6_notice(
    sqlite_env: Env, support_meeting: Scenario
) -> None:
    # given a 支援会議 with a case discussed, a decision and minutes, and a member logged in
    before = audit_count(sqlite_env, "usuki", "meeting.papers")
    with member_client(sqlite_env) as client:
        # when the member opens the papers
        r = client.get(f"/meetings/{support_meeting.meeting_id}/papers")
    # then they show the confidentiality line, the header facts and every part of the meeting
    assert r.status_code == 200
    page = r.text
    assert i18n.gettext(ART106_6_NOTICE) in page and "106条の6" in page
    assert "臼杵市" in page and "支援会議" in page and "庁舎 2階 第1会議室" in page
    assert wareki(support_meeting.day) in page and "10:00" in page
    assert f"No.{support_meeting.case_no}" in page
    assert DISCUSSION in page and MINUTES in page
    assert i18n.gettext(DECISION_KINDS["information_sharing"]) in page and "見守りを継続" in page
    assert "臼杵市地域包括支援センター" in page  # an agency that was present
    # … the members see whom the case is about, its household and main concern (issue 12;
    # the item is a recorded disclosure to them, decision 0006), and the copy's 配付番号 …
    assert support_meeting.person_name in page and 'class="household"' in page
    assert "配付番号" in page
    # … nothing is cached, and the view is in the audit log
    assert r.headers["cache-control"] == "no-store"
    assert audit_count(sqlite_env, "usuki", "meeting.papers") == before + 1


def test_the_pdf_is_a_real_a4_pdf_with_japanese_text(
    sqlite_env: Env, support_meeting: Scenario
) -> None:
    # given a member and the 支援会議's papers
    with member_client(sqlite_env) as client:
        # when they download the PDF
        r = client.get(f"/meetings/{support_meeting.meeting_id}/papers.pdf")
    # then it is a PDF with an ASCII file name that names no one
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    expected = f"meeting-{support_meeting.day.isoformat()}.pdf"
    assert r.headers["content-disposition"] == f'inline; filename="{expected}"'
    assert r.content.startswith(b"%PDF-")
    # … A4 pages, the agenda and the minutes on separate pages …
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) >= 2
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    # … and the Japanese text is real glyphs (extractable), not tofu
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    assert "支援会議" in flat and "令和" in flat
    assert re.sub(r"\s+", "", MINUTES) in re.sub(r"\s+", "", reader.pages[-1].extract_text())


def test_a_consent_based_meeting_has_no_106_6_notice(sqlite_env: Env) -> None:
    # given usuki's 重層的支援会議 (consent-based), with no case on it
    tenant_id, config = tenant_config(sqlite_env, "usuki")

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            meeting = await do_create_meeting(
                s,
                ActorInfo.of(account),
                config,
                meeting_type_key="jusoteki",
                starts_at=at_jst(datetime.now(JST).date() + timedelta(days=3), "14:00"),
            )
            return meeting.id

    meeting_id = sqlite_env.run(go)
    with member_client(sqlite_env) as client:
        # when a member opens its papers
        r = client.get(f"/meetings/{meeting_id}/papers")
    # then they carry its 要綱 as the basis and no 106条の6 confidentiality line
    assert r.status_code == 200
    assert "重層的支援会議" in r.text and "臼杵市重層的支援体制整備事業実施要綱" in r.text
    assert i18n.gettext(ART106_6_NOTICE) not in r.text


def test_a_non_member_gets_the_404_of_a_missing_meeting(
    sqlite_env: Env, support_meeting: Scenario
) -> None:
    # given a staff member of an agency that sits on no meeting
    ensure_outsider(sqlite_env, "usuki")
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, OUTSIDER).status_code == 302
        # when they ask for the papers, as a page and as a PDF, and for a missing id
        page = client.get(f"/meetings/{support_meeting.meeting_id}/papers")
        pdf = client.get(f"/meetings/{support_meeting.meeting_id}/papers.pdf")
        missing = client.get(f"/meetings/{uuid7()}/papers")
        missing_pdf = client.get(f"/meetings/{uuid7()}/papers.pdf")
    # then both answer exactly like the missing meeting
    assert page.status_code == pdf.status_code == missing.status_code == 404
    assert missing_pdf.status_code == 404
    assert page.text == missing.text == pdf.text == missing_pdf.text
    assert DISCUSSION not in page.text and MINUTES not in pdf.text


def test_the_papers_need_a_login(sqlite_env: Env, support_meeting: Scenario) -> None:
    with tenant_client(sqlite_env, "usuki") as client:
        r = client.get(f"/meetings/{support_meeting.meeting_id}/papers.pdf", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_the_demo_meetings_follow_the_rules_and_are_seeded_once(sqlite_env: Env) -> None:
    # given the demo seed (seed_demo runs seed_meetings after the caseload)
    from kasane.core.consent.models import Disclosure
    from kasane.core.meetings.models import AgendaItem, Meeting
    from kasane.tenants.demo_meetings import seed_meetings

    async def check(db: Database, slug: str) -> dict[str, object]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
        assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        async with db.session(tenant.id) as s:
            accounts = {a.username: a for a in (await s.execute(select(StaffAccount))).scalars()}
        again = await seed_meetings(db, tenant, config, accounts)
        async with db.session(tenant.id) as s:
            meetings = {m.id: m for m in (await s.execute(select(Meeting))).scalars()}
            items = list((await s.execute(select(AgendaItem))).scalars())
            consented = {
                (d.case_id, d.to_meeting_type)
                for d in (
                    await s.execute(select(Disclosure).where(Disclosure.consent_id.is_not(None)))
                ).scalars()
            }
        by_meeting: dict[uuid.UUID, list[AgendaItem]] = {}
        for item in items:
            by_meeting.setdefault(item.meeting_id, []).append(item)
        held = [m for m in meetings.values() if m.status == "held" and m.minutes_sealed]
        for item in items:  # a case on a consent-based meeting was shared by consent
            mt = config.meeting_type(meetings[item.meeting_id].meeting_type_key)
            assert mt is not None
            if mt.consent_required:
                assert item.basis == "consent" and (item.case_id, mt.key) in consented
        return {
            "again": again,
            "held_with_items": sum(1 for m in held if len(by_meeting.get(m.id, [])) >= 2),
            "types_held": {m.meeting_type_key for m in held},
            "cancelled": sum(1 for m in meetings.values() if m.status == "cancelled"),
            "ad_hoc_outreach": any(
                m.occurrence_key is None and any(i.kind == "outreach" for i in by_meeting[m.id])
                for m in held
                if m.id in by_meeting
            ),
        }

    usuki, marugame = sqlite_env.run(check, "usuki"), sqlite_env.run(check, "marugame")
    # then seeding again does nothing, and each tenant has held meetings with cases on them,
    # each regular type among them, and a cancelled one; usuki an ad hoc 支援会議 with outreach
    for seeded_now in (usuki["again"], marugame["again"]):
        assert seeded_now == [], "seed_demo must call seed_meetings after seed_caseload"
    assert usuki["held_with_items"] >= 3 and marugame["held_with_items"] >= 6
    assert usuki["types_held"] >= {"jusoteki", "shien_kaigi"}
    assert marugame["types_held"] >= {"marugoto", "shien_kento"}
    assert usuki["cancelled"] >= 1 and marugame["cancelled"] >= 1
    assert usuki["ad_hoc_outreach"] is True
