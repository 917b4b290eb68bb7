"""Outreach (アウトリーチ): a record starts before anyone is named, logs contacts, and is
linked to a person once they are identified. The usuki ``caseworker`` works at the
地域包括支援センター (``hokatsu``); ``kodomo`` at the children's agency."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.db import Database
from kasane.core.errors import NotFound
from kasane.core.japan_time import today_jst
from kasane.core.outreach.models import OutreachContact, OutreachRecord
from kasane.core.outreach.services import (
    OutreachRuleError,
    access_outreach,
    contacts_of,
    do_link_person,
    do_log_contact,
    do_start_outreach,
    list_outreach,
)
from kasane.core.people.models import Person
from kasane.core.people.services import do_create_person
from kasane.core.protection.mynumber import is_valid_mynumber
from kasane.core.protection.sealing import unseal
from tests.conftest import Env, csrf_of, login, tenant_client

TODAY = today_jst()
DESCRIPTION = "郵便受けに新聞が五日分たまっている。夜は灯りがつく"


async def actor_of(s: AsyncSession, username: str) -> ActorInfo:
    account = (
        await s.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one()
    return ActorInfo.of(account)


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


# ------------------------------------------------------------------ services, both backends


def test_an_unnamed_record_logs_contacts_and_is_linked_later(any_env: Env) -> None:
    tenant_id = any_env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            # given a record started before anyone is named
            record = await do_start_outreach(
                s,
                actor,
                title=unique("港町の一人暮らしの高齢男性"),
                description=DESCRIPTION,
                place="港町二丁目",
                noticed_by="business",
                area_key="chuo",
                today=TODAY,
            )
            assert record.person_id is None and record.agency_key == "hokatsu"
            # when two contacts are logged
            for kind, days_ago in (("letter", 3), ("visit", 1)):
                await do_log_contact(
                    s,
                    actor,
                    record,
                    kind=kind,
                    occurred_on=TODAY - timedelta(days=days_ago),
                    note="不在",
                )
            with pytest.raises(OutreachRuleError):
                await do_log_contact(s, actor, record, kind="telepathy", occurred_on=TODAY, note="")
            # … and the person is identified and linked
            person = await do_create_person(
                s,
                actor,
                name=unique("港 一男"),
                kana="みなと かずお",
                phone_home="",
                phone_mobile="",
            )
            await do_link_person(s, actor, record, person.id, TODAY)
            with pytest.raises(OutreachRuleError):
                await do_link_person(s, actor, record, person.id, TODAY)
            record_id = record.id
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            stored = await access_outreach(s, actor, record_id)
            # then the record keeps both contacts (newest first) and the link
            assert [c.kind for c in await contacts_of(s, stored)] == ["visit", "letter"]
            assert stored.person_id is not None and stored.linked_on == TODAY
            assert record_id in {r.id for r in await list_outreach(s, actor)}
            # … and the description is stored sealed
            assert "新聞" not in stored.description_sealed
            opened = await unseal(
                s, "outreach_records", stored.id, "description", stored.description_sealed
            )
            assert opened == DESCRIPTION
            # another agency does not find it
            with pytest.raises(NotFound):
                await access_outreach(s, await actor_of(s, "kodomo"), record_id)

    any_env.run(go)


# ------------------------------------------------------------------ as staff see it (SQLite)


def staff(env: Env, username: str) -> TestClient:
    client = tenant_client(env, "usuki")
    client.__enter__()
    client.cookies.set("kasane_lang", "en")  # messages are asserted in English
    assert login(client, username).status_code == 302
    return client


def post(client: TestClient, page_url: str, url: str, **form: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**form, "_csrf_token": token}, follow_redirects=False)


def stored_record(env: Env, record_id: uuid.UUID) -> tuple[OutreachRecord, list[OutreachContact]]:
    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> tuple[OutreachRecord, list[OutreachContact]]:
        async with db.session(tenant_id) as s:
            record = (
                await s.execute(select(OutreachRecord).where(OutreachRecord.id == record_id))
            ).scalar_one()
            return record, await contacts_of(s, record)

    return env.run(go)


def start_record(client: TestClient, title: str, **extra: str) -> uuid.UUID:
    r = post(
        client,
        "/outreach/new",
        "/outreach",
        title=title,
        description=DESCRIPTION,
        place="港町二丁目",
        noticed_by="minsei",
        area_key="chuo",
        **extra,
    )
    assert r.status_code == 303, r.text
    match = re.fullmatch(r"/outreach/([0-9a-f-]{36})", r.headers["location"])
    assert match
    return uuid.UUID(match.group(1))


def test_outreach_from_first_notice_to_a_linked_person(sqlite_env: Env) -> None:
    caseworker, kodomo = staff(sqlite_env, "caseworker"), staff(sqlite_env, "kodomo")
    title = unique("港町の一人暮らしの高齢男性")
    try:
        # given a record started by the caseworker, with nobody named
        record_id = start_record(caseworker, title)
        page = caseworker.get(f"/outreach/{record_id}")
        assert page.status_code == 200 and title in page.text and DESCRIPTION in page.text
        assert "Nobody is named yet" in page.text
        listing = caseworker.get("/outreach").text
        assert title in listing and "Not yet identified" in listing
        # when two contacts are logged
        url = f"/outreach/{record_id}"
        for kind, days_ago, note in (("letter", 2, "手紙を置いた"), ("visit", 0, "玄関先で話せた")):
            occurred = (TODAY - timedelta(days=days_ago)).isoformat()
            r = post(caseworker, url, f"{url}/contacts", kind=kind, occurred_on=occurred, note=note)
            assert r.status_code == 303
        page = caseworker.get(url).text
        assert "手紙を置いた" in page and "玄関先で話せた" in page
        # … and the person, once identified, is added and linked
        name = unique("港 一男")
        r = post(
            caseworker,
            url,
            f"{url}/link",
            action="create",
            new_name=name,
            new_kana="みなと かずお",
            new_birth_date="1948-03-02",
        )
        assert r.status_code == 303
        # then the record shows the person and the way to record their consent
        record, contacts = stored_record(sqlite_env, record_id)
        assert record.person_id is not None and len(contacts) == 2
        page = caseworker.get(url).text
        assert name in page and f'href="/people/{record.person_id}"' in page
        assert "Record the person" in page
        # … the description and notes are sealed at rest
        assert "新聞" not in record.description_sealed
        assert all("手紙" not in c.note_sealed and "玄関" not in c.note_sealed for c in contacts)
        # … and another agency's user gets the plain 404
        missing = kodomo.get(f"/outreach/{uuid.uuid4()}")
        for path in (url, f"{url}/contacts", f"{url}/link"):
            theirs = kodomo.get(path)
            assert theirs.status_code == missing.status_code == 404
            assert theirs.text == missing.text
        assert title not in kodomo.get("/outreach").text
    finally:
        caseworker.__exit__(None, None, None)
        kodomo.__exit__(None, None, None)


def test_a_known_person_is_found_and_linked_and_a_look_alike_is_not_added_blindly(
    sqlite_env: Env,
) -> None:
    name = unique("既知 花子")
    # given a person the caseworker's agency already supports (need-to-know covers them)
    person_id = known_to_caseworker(sqlite_env, name, "きち はなこ", "1950-05-05")
    caseworker = staff(sqlite_env, "caseworker")
    try:
        first, second = start_record(caseworker, unique("川沿い")), start_record(caseworker, "坂")
        url = f"/outreach/{first}"
        # when the caseworker searches by name and reading, then the person is a candidate
        r = post(
            caseworker,
            url,
            f"{url}/link",
            action="search",
            search_name=name,
            search_kana="きち はなこ",
        )
        assert r.status_code == 200 and name in r.text and str(person_id) in r.text
        # … and linking that candidate links the record
        r = post(caseworker, url, f"{url}/link", action="link", person_id=str(person_id))
        assert r.status_code == 303
        assert stored_record(sqlite_env, first)[0].person_id == person_id
        # when someone adds a "new" person who looks like the known one
        url = f"/outreach/{second}"
        look_alike = {"new_name": name, "new_kana": "きち はなこ", "new_birth_date": "1950-05-05"}
        r = post(caseworker, url, f"{url}/link", action="create", **look_alike)
        # then the known person is offered first and nothing is created yet
        assert r.status_code == 200 and "Similar people are already registered" in r.text
        assert stored_record(sqlite_env, second)[0].person_id is None
        # … and only a confirmed add creates a second person
        r = post(caseworker, url, f"{url}/link", action="create", confirm="yes", **look_alike)
        assert r.status_code == 303
        linked = stored_record(sqlite_env, second)[0].person_id
        assert linked is not None and linked != person_id
    finally:
        caseworker.__exit__(None, None, None)


def known_to_caseworker(env: Env, name: str, kana: str, born: str) -> uuid.UUID:
    """A person recorded at the caseworker's counter with continued support there."""
    caseworker = staff(env, "caseworker")
    try:
        r = post(
            caseworker,
            "/intake/new?counter=hokatsu",
            "/intake",
            counter="hokatsu",
            received_on="2026-11-02",
            channel="visit_counter",
            name=name,
            kana=kana,
            birth_date=born,
            categories="care",
            main_category="care",
            outcome="continued",
        )
        assert r.status_code == 303, r.text
    finally:
        caseworker.__exit__(None, None, None)
    tenant_id = env.tenant_id("usuki")

    async def find(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            return (await s.execute(select(Person.id).where(Person.name == name))).scalar_one()

    return env.run(find)


def test_a_person_outside_need_to_know_is_announced_without_identity_and_not_linked(
    sqlite_env: Env,
) -> None:
    name = unique("他機関 花子")
    person_id = known_to_caseworker(sqlite_env, name, "たきかん はなこ", "1952-02-02")
    kodomo = staff(sqlite_env, "kodomo")  # the children's agency takes no part
    try:
        record = start_record(kodomo, unique("公園"))
        url = f"/outreach/{record}"
        r = post(
            kodomo,
            url,
            f"{url}/link",
            action="search",
            search_name=name,
            search_kana="たきかん はなこ",
            search_birth_date="1952-02-02",
        )
        # then a match elsewhere is announced, with nothing that identifies the person
        assert r.status_code == 200 and "A possible match exists at another agency" in r.text
        assert r.text.count(name) == 1  # only in the search box, as typed
        assert str(person_id) not in r.text
        # and linking by the id anyway is refused like an unknown id
        r = post(kodomo, url, f"{url}/link", action="link", person_id=str(person_id))
        assert r.status_code == 422 and "Choose the person to link." in r.text
        assert stored_record(sqlite_env, record)[0].person_id is None
        assert kodomo.get(f"/people/{person_id}").status_code == 404
    finally:
        kodomo.__exit__(None, None, None)


def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(sqlite_env: Env) -> None:
    body = "12345678901"
    secret = next(body + d for d in "0123456789" if is_valid_mynumber(body + d))
    title = unique("番号入り")
    caseworker = staff(sqlite_env, "caseworker")
    try:
        # a My Number in the description
        r = post(
            caseworker,
            "/outreach/new",
            "/outreach",
            title=title,
            description=f"番号 {secret}",
        )
        assert r.status_code == 422
        assert "What was noticed: this looks like an Individual Number" in r.text
        assert title in r.text  # what was typed is kept
        assert title not in caseworker.get("/outreach").text
        # a record without a title
        r = post(caseworker, "/outreach/new", "/outreach", title="", description="x")
        assert r.status_code == 422 and "Title is required" in r.text
        # a contact dated in the future
        record_id = start_record(caseworker, unique("未来"))
        url = f"/outreach/{record_id}"
        tomorrow = (TODAY + timedelta(days=2)).isoformat()
        r = post(caseworker, url, f"{url}/contacts", kind="visit", occurred_on=tomorrow, note="")
        assert r.status_code == 422 and "Date: a contact cannot be in the future" in r.text
        # a new person without a name
        r = post(caseworker, url, f"{url}/link", action="create", new_name="", new_kana="あ")
        assert r.status_code == 422 and "Name is required" in r.text
        record, contacts = stored_record(sqlite_env, record_id)
        assert contacts == [] and record.person_id is None
    finally:
        caseworker.__exit__(None, None, None)


def test_htmx_gets_the_panel_alone(sqlite_env: Env) -> None:
    caseworker = staff(sqlite_env, "caseworker")
    try:
        record_id = start_record(caseworker, unique("htmx"))
        url = f"/outreach/{record_id}"
        token = csrf_of(caseworker.get(url).text)
        r = caseworker.post(
            f"{url}/contacts",
            data={"kind": "phone", "occurred_on": TODAY.isoformat(), "note": "電話に出ず"},
            headers={"HX-Request": "true", "x-csrftoken": token},
        )
        assert r.status_code == 200
        assert "<html" not in r.text and 'id="outreach-contacts"' in r.text
        assert "電話に出ず" in r.text and "Contact logged." in r.text
    finally:
        caseworker.__exit__(None, None, None)


def test_people_created_here_are_people_of_the_tenant(sqlite_env: Env) -> None:
    """A person added from outreach is an ordinary person record (searchable by others)."""
    caseworker = staff(sqlite_env, "caseworker")
    name = unique("普通 次郎")
    try:
        record_id = start_record(caseworker, unique("公園"))
        url = f"/outreach/{record_id}"
        r = post(caseworker, url, f"{url}/link", action="create", new_name=name, new_kana="ふつう")
        assert r.status_code == 303
    finally:
        caseworker.__exit__(None, None, None)
    tenant_id = sqlite_env.tenant_id("usuki")

    async def go(db: Database) -> Person:
        async with db.session(tenant_id) as s:
            return (await s.execute(select(Person).where(Person.name == name))).scalar_one()

    person = sqlite_env.run(go)
    assert person.area_key == "chuo" and person.kana == "ふつう"


def test_the_consent_link_opens_the_person_page_for_the_outreach_agency(
    sqlite_env: Env,
) -> None:
    caseworker = staff(sqlite_env, "caseworker")
    try:
        record_id = start_record(caseworker, unique("駅前"))
        url = f"/outreach/{record_id}"
        r = post(caseworker, url, f"{url}/link", action="create", new_name=unique("駅 三郎"))
        assert r.status_code == 303
        person_id = stored_record(sqlite_env, record_id)[0].person_id
        assert caseworker.get(f"/people/{person_id}").status_code == 200
    finally:
        caseworker.__exit__(None, None, None)
