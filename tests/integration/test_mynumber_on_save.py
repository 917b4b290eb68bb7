"""One My Number check on save, for every free-text field of every record type and import.

Forms name the field themselves; what reaches storage unchecked is refused at seal and flush
time (``MyNumberRefused``), so no spelling of a My Number is ever stored.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kasane.core.community.models import CommunityPlace
from kasane.core.db import Base, Database
from kasane.core.db.model import TenantScoped
from kasane.core.db.session import _text_columns
from kasane.core.protection.crypto import cipher_for
from kasane.core.protection.mynumber import MyNumberRefused
from tests.conftest import Env, csrf_of, login, tenant_client

# 123456789018 has a valid check digit (worked by hand in tests/unit/test_mynumber.py).
SPELLINGS = [
    "1234・5678・9018",
    "1234.5678.9018",
    "1234  5678  9018",
    "1234\u200b5678\u200b9018",
    "123456 789018",
    "１２３４－５６７８－９０１８",
]


@pytest.mark.parametrize("written", SPELLINGS)
def test_a_case_note_with_any_spelling_is_refused_naming_the_field(
    sqlite_env: Env, written: str
) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        cases = c.get("/cases")
        case_url = cases.text.split('href="/cases/', 1)[1].split('"', 1)[0]
        page = c.get(f"/cases/{case_url}")
        r = c.post(
            f"/cases/{case_url}/notes",
            data={
                "_csrf_token": csrf_of(page.text),
                "note-kind": "visit",
                "note-occurred_on": "2026-12-01",
                "note-body": f"番号 {written}",
            },
            follow_redirects=False,
        )
        after = c.get(f"/cases/{case_url}")
    # then the note is refused with a message that names the field, the text stays in the
    # form as typed, and nothing of it is stored
    assert r.status_code == 422
    assert "マイナンバー（個人番号）と思われる番号" in r.text
    assert written.replace("\u200b", "") in r.text.replace("\u200b", "")
    assert after.text.count(written) == 0


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_a_form_without_its_own_check_is_stopped_at_save(sqlite_env: Env, slug: str) -> None:
    name = "集いの場 1234・5678・9018"
    with tenant_client(sqlite_env, slug) as c:
        login(c, "registry")
        page = c.get("/community")
        r = c.post(
            "/community/places",
            data={"_csrf_token": csrf_of(page.text), "name": name, "kind": "salon"},
            follow_redirects=False,
        )
    # then the page says what was refused and why, naming the field, and nothing is stored
    assert r.status_code == 422
    assert "名称・氏名" in r.text and "マイナンバー" in r.text
    assert "community_places" not in r.text  # never a table name
    tenant_id = sqlite_env.tenant_id(slug)

    async def count(db: Database) -> int:
        async with db.session(tenant_id) as s:
            stmt = select(func.count()).where(CommunityPlace.name.like("集いの場 1234%"))
            return int((await s.execute(stmt)).scalar_one())

    assert sqlite_env.run(count) == 0


def test_every_text_column_of_every_record_type_refuses_one(any_env: Env) -> None:
    """For each tenant table with a stored row, writing a My Number into each of its text
    columns is refused before it reaches the database."""
    tenant_id = any_env.tenant_id("usuki")
    models = [m for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)]

    async def probe(db: Database) -> tuple[list[str], list[str]]:
        refused, stored = [], []
        for mapper in models:
            for column in _text_columns(mapper):
                async with db.sessions() as s:
                    s.info["tenant_id"] = tenant_id
                    s.info["kasane_all_tenants"] = False
                    row = (await s.execute(select(mapper.class_).limit(1))).scalar_one_or_none()
                    if row is None:
                        break
                    kind = type(getattr(row, column))
                    value = ["1234・5678・9018"] if kind is list else "1234・5678・9018"
                    if kind is dict:
                        value = {"note": "1234・5678・9018"}
                    setattr(row, column, value)
                    try:
                        await s.flush()
                        stored.append(f"{mapper.local_table.name}.{column}")
                    except MyNumberRefused:
                        refused.append(f"{mapper.local_table.name}.{column}")
                    await s.rollback()
        return refused, stored

    refused, stored = any_env.run(probe)
    assert not stored, f"stored a My Number in {stored}"
    # the demo has rows in the tables staff write to most
    for column in ("people.name", "meetings.place", "plan_rows.goal", "consultations.data"):
        assert column in refused


def test_sealed_text_is_checked_before_it_is_hidden(sqlite_env: Env) -> None:
    import uuid

    tenant_id = sqlite_env.tenant_id("marugame")

    async def seal(db: Database) -> None:
        async with db.session(tenant_id) as s:
            cipher = await cipher_for(s)
            cipher.seal("progress_notes", uuid.uuid4(), "body", "確認 123456 789018")

    with pytest.raises(MyNumberRefused):
        sqlite_env.run(seal)
