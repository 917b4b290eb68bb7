"""The personal iCalendar feed: made by a logged-in member, read by calendar apps without a
login, and carrying meeting names, times and places only — never a case or a name."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.core.audit.services import count_events
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case
from kasane.core.db import Database
from kasane.core.meetings.papers import calendar_token_hash
from kasane.core.meetings.services import do_cancel, do_create_meeting
from kasane.core.people.models import Person
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_meeting_papers import Scenario, build_meeting, tenant_config

FEED_URL = re.compile(r'value="(https?://[^"/]+(/calendar/[A-Za-z0-9_-]+\.ics))"')


@pytest.fixture(scope="module")
def discussed(sqlite_env: Env) -> Scenario:
    """A 支援会議 in the feed's window with a named person's case on its agenda."""
    return build_meeting(sqlite_env, "usuki", "shien_kaigi", days_ago=3)


@pytest.fixture
def caseworker(sqlite_env: Env) -> Iterator[TestClient]:
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        yield client


def make_feed_url(client: TestClient, step: str = "issue") -> tuple[str, str]:
    """POST /calendar/token like the page's button; (full URL, path) of the new feed."""
    page = client.get("/calendar/feed")
    assert page.status_code == 200
    r = client.post("/calendar/token", data={"step": step, "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 200
    match = FEED_URL.search(r.text)
    assert match, "the new feed URL is shown"
    return match.group(1), match.group(2)


def anonymous_get(env: Env, slug: str, path: str):  # type: ignore[no-untyped-def]
    """What a calendar app does: no cookies, just the URL."""
    with tenant_client(env, slug) as app:
        return app.get(path)


def personal_data(env: Env) -> tuple[list[str], list[int]]:
    """Every person's name and kana, staff display name and case number in both tenants."""
    texts: list[str] = []
    numbers: list[int] = []

    async def go(db: Database, tenant_id: uuid.UUID) -> None:
        async with db.session(tenant_id) as s:
            for name, kana in (await s.execute(select(Person.name, Person.kana))).all():
                texts.extend(t for t in (name, kana) if t)
            texts.extend((await s.execute(select(StaffAccount.display_name))).scalars())
            numbers.extend((await s.execute(select(Case.case_no))).scalars())

    for slug in ("usuki", "marugame"):
        env.run(go, env.tenant_id(slug))
    return texts, numbers


def test_a_member_gets_a_feed_of_meeting_names_times_and_places_only(
    sqlite_env: Env, caseworker: TestClient, discussed: Scenario
) -> None:
    # given a caseworker who makes a feed URL on the calendar page
    url, path = make_feed_url(caseworker)
    assert url.startswith("http://usuki.kasane.test/calendar/")
    # when a calendar app fetches it without any cookie
    r = anonymous_get(sqlite_env, "usuki", path)
    # then it is an iCalendar of the meetings the caseworker's agency sits on
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert str(cal["PRODID"]) == "-//Kasane//ja" and str(cal["VERSION"]) == "2.0"
    assert "臼杵市" in str(cal["X-WR-CALNAME"])
    events = list(cal.walk("VEVENT"))
    assert events
    _tenant_id, config = tenant_config(sqlite_env, "usuki")
    names = {m.name for m in config.meeting_types if "hokatsu" in m.members}
    assert {str(e["SUMMARY"]) for e in events} <= names
    assert all(str(e["UID"]).endswith("@usuki.kasane") for e in events)
    assert all(e.decoded("DTSTART").tzinfo is not None for e in events)
    assert all(e.decoded("DTSTART").utcoffset().total_seconds() == 0 for e in events)
    assert f"{discussed.meeting_id}@usuki.kasane" in {str(e["UID"]) for e in events}
    assert {str(e["STATUS"]) for e in events} <= {"CONFIRMED", "CANCELLED"}
    # … and nothing personal: no person's or staff member's name, no case number, no agenda
    text = r.content.decode()
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    people, numbers = personal_data(sqlite_env)
    assert discussed.person_name in people
    leaked = [p for p in people if p in unfolded]
    assert not leaked, f"personal data in the feed: {leaked[:3]}"
    assert "No." not in unfolded
    assert not any(f"No.{n}" in unfolded for n in numbers)
    assert "DESCRIPTION" not in unfolded and "ATTENDEE" not in unfolded


def test_only_the_hash_of_the_token_is_stored_and_the_issue_is_audited(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    tenant_id = sqlite_env.tenant_id("usuki")

    async def stored(db: Database) -> tuple[str | None, int]:
        async with db.session(tenant_id) as s:
            hashed = (
                await s.execute(
                    select(StaffAccount.calendar_token_hash).where(
                        StaffAccount.username == "caseworker"
                    )
                )
            ).scalar_one()
            return hashed, await count_events(s, "calendar.token")

    _hash, before = sqlite_env.run(stored)
    # when a feed URL is made
    _url, path = make_feed_url(caseworker)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    hashed, after = sqlite_env.run(stored)
    # then the account keeps its SHA-256 only, and the audit log has the event
    assert hashed == calendar_token_hash(token) and token not in (hashed or "")
    assert after == before + 1


def test_a_new_url_stops_the_old_one_and_stopping_stops_it(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    # given a feed URL, then a new one
    _url, old = make_feed_url(caseworker)
    _url, new = make_feed_url(caseworker)
    # then only the new one works
    assert anonymous_get(sqlite_env, "usuki", old).status_code == 404
    assert anonymous_get(sqlite_env, "usuki", new).status_code == 200
    # when the member stops their feed
    page = caseworker.get("/calendar/feed")
    r = caseworker.post(
        "/calendar/token", data={"step": "revoke", "_csrf_token": csrf_of(page.text)}
    )
    # then the URL no longer works
    assert r.status_code == 200 and not FEED_URL.search(r.text)
    assert anonymous_get(sqlite_env, "usuki", new).status_code == 404


def test_an_unknown_token_gets_the_plain_404(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as app:
        unknown = app.get("/calendar/" + "A" * 43 + ".ics")
        malformed = app.get("/calendar/nothing-here.ics")
        no_suffix = app.get("/calendar/" + "A" * 43)
    assert unknown.status_code == malformed.status_code == no_suffix.status_code == 404
    assert unknown.text == malformed.text == no_suffix.text


def test_a_token_works_only_on_the_host_of_its_tenant(any_env: Env) -> None:
    # given a usuki feed URL that works on usuki (SQLite, and PostgreSQL as the app role)
    with tenant_client(any_env, "usuki") as usuki:
        assert login(usuki, "caseworker").status_code == 302
        _url, path = make_feed_url(usuki)
    assert anonymous_get(any_env, "usuki", path).status_code == 200
    # when it is sent to marugame's host
    with tenant_client(any_env, "marugame") as marugame:
        foreign = marugame.get(path)
        unknown = marugame.get("/calendar/" + "B" * 43 + ".ics")
    # then marugame answers exactly as for any unknown token
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.text == unknown.text


def test_the_feed_page_needs_a_login(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as app:
        r = app.get("/calendar/feed", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_a_cancelled_meeting_is_in_the_feed_as_cancelled(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    # given a usuki meeting next month that was cancelled
    tenant_id, config = tenant_config(sqlite_env, "usuki")

    async def cancel_one(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            actor = ActorInfo.of(account)
            meeting = await do_create_meeting(
                s,
                actor,
                config,
                meeting_type_key="jusoteki",
                starts_at=datetime.now(UTC) + timedelta(days=30),
                place="臼杵庁舎 会議室",
            )
            await do_cancel(s, actor, meeting, "会場の都合")
            return meeting.id

    cancelled = sqlite_env.run(cancel_one)
    _url, path = make_feed_url(caseworker)
    # when the feed is read
    cal = Calendar.from_ical(anonymous_get(sqlite_env, "usuki", path).content)
    # then that meeting is there, marked cancelled, with its building but not the reason
    event = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == f"{cancelled}@usuki.kasane")
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]) == "重層的支援会議" and str(event["LOCATION"]) == "臼杵庁舎"
    assert "会場の都合" not in cal.to_ical().decode()


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_a_place_typed_with_a_name_never_reaches_the_feed(sqlite_env: Env, slug: str) -> None:
    # given a meeting whose place was typed as someone's home
    tenant_id, config = tenant_config(sqlite_env, slug)

    async def at_home(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            meeting = await do_create_meeting(
                s,
                ActorInfo.of(account),
                config,
                meeting_type_key=config.meeting_types[0].key,
                starts_at=datetime.now(UTC) + timedelta(days=20),
                place="山田花子さん宅（港町3-2）",
            )
            return meeting.id

    meeting_id = sqlite_env.run(at_home)
    with tenant_client(sqlite_env, slug) as member:
        assert login(member, "caseworker").status_code == 302
        _url, path = make_feed_url(member)
    feed = anonymous_get(sqlite_env, slug, path)
    cal = Calendar.from_ical(feed.content)
    # then the meeting is in the feed without a location, and the charset is stated once
    event = next(e for e in cal.walk("VEVENT") if str(e["UID"]).startswith(str(meeting_id)))
    assert "LOCATION" not in event
    assert "山田" not in feed.content.decode()
    assert feed.headers["content-type"].count("charset") == 1
