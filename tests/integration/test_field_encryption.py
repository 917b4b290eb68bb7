"""Sensitive fields sealed per tenant: bound to tenant/table/row/field, gone with the key."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from kasane.core.db import Database, uuid7
from kasane.core.protection import crypto
from kasane.core.protection.crypto import (
    FieldCipher,
    SealedDataError,
    cipher_for,
    do_destroy_tenant_key,
    set_master_secret,
)
from kasane.core.protection.models import TenantKey
from kasane.tenants.services import do_create_tenant
from tests.conftest import TEST_MASTER_KEY, Env

NARRATIVE = "本人より、長男からの暴言と金銭の持ち出しについて相談あり。"


@pytest.fixture
def env(sqlite_env: Env) -> Iterator[Env]:
    """The SQLite environment with the app's master secret, restored after each test."""
    set_master_secret(TEST_MASTER_KEY)
    yield sqlite_env
    set_master_secret(TEST_MASTER_KEY)  # undo a test's other secret


def seal(env: Env, tenant: uuid.UUID, *args: object) -> str:
    async def go(db: Database) -> str:
        async with db.session(tenant) as s:
            return (await cipher_for(s)).seal(*args)  # type: ignore[arg-type]

    return env.run_with_current_secret(go)


def open_(env: Env, tenant: uuid.UUID, *args: object) -> str:
    async def go(db: Database) -> str:
        async with db.session(tenant) as s:
            return (await cipher_for(s)).open(*args)  # type: ignore[arg-type]

    return env.run_with_current_secret(go)


def test_a_sealed_narrative_opens_again_and_is_not_readable_at_rest(env: Env) -> None:
    usuki, row = env.tenant_id("usuki"), uuid7()
    # given a narrative sealed for one field of one row
    token = seal(env, usuki, "case_notes", row, "narrative", NARRATIVE)
    # when the process restarts (no cached key) and the field is opened
    set_master_secret(env.settings.master_key)
    opened = open_(env, usuki, "case_notes", row, "narrative", token)
    # then the text is back, and the stored token shows nothing of it
    assert opened == NARRATIVE
    assert token.startswith("v1:")
    stored = base64.urlsafe_b64decode(token[3:])
    assert "長男" not in token and "長男".encode() not in stored
    # and sealing the same text again gives another token (fresh nonce)
    assert seal(env, usuki, "case_notes", row, "narrative", NARRATIVE) != token


def test_an_empty_value_stays_empty(env: Env) -> None:
    usuki, row = env.tenant_id("usuki"), uuid7()
    assert seal(env, usuki, "case_notes", row, "narrative", "") == ""
    assert open_(env, usuki, "case_notes", row, "narrative", "") == ""


def test_a_token_opens_only_for_its_tenant_table_row_and_field(env: Env) -> None:
    usuki, marugame, row = env.tenant_id("usuki"), env.tenant_id("marugame"), uuid7()
    # given a token sealed for usuki's case_notes.narrative of one row
    token = seal(env, usuki, "case_notes", row, "narrative", NARRATIVE)
    # when it is copied anywhere else, then it refuses to open
    with pytest.raises(SealedDataError):
        open_(env, marugame, "case_notes", row, "narrative", token)
    with pytest.raises(SealedDataError):
        open_(env, usuki, "case_notes", uuid7(), "narrative", token)
    with pytest.raises(SealedDataError):
        open_(env, usuki, "case_notes", row, "summary", token)
    with pytest.raises(SealedDataError):
        open_(env, usuki, "intakes", row, "narrative", token)
    # and so does a token altered by one character, or plain text where a token belongs
    blob = bytearray(base64.urlsafe_b64decode(token[3:]))
    blob[20] ^= 1
    altered = "v1:" + base64.urlsafe_b64encode(bytes(blob)).decode()
    with pytest.raises(SealedDataError):
        open_(env, usuki, "case_notes", row, "narrative", altered)
    with pytest.raises(SealedDataError):
        open_(env, usuki, "case_notes", row, "narrative", NARRATIVE)


def test_the_stored_key_is_wrapped_by_the_master_secret(env: Env) -> None:
    usuki, row = env.tenant_id("usuki"), uuid7()
    token = seal(env, usuki, "case_notes", row, "narrative", NARRATIVE)

    async def stored(db: Database) -> str:
        async with db.session(usuki) as s:
            return (await s.execute(select(TenantKey.wrapped_key))).scalar_one()

    # given the key row as stored: nonce (12) + encrypted 32-byte key + tag (16)
    blob = base64.b64decode(env.run(stored))
    assert len(blob) == 12 + 32 + 16
    # then no 32 bytes of it are the data key itself
    for start in range(len(blob) - 32 + 1):
        with pytest.raises(SealedDataError):
            FieldCipher(usuki, blob[start : start + 32]).open("case_notes", row, "narrative", token)
    # and with another master secret the key cannot be unwrapped
    set_master_secret("not the app's secret key")
    try:
        with pytest.raises(SealedDataError, match="unwrapped"):
            open_(env, usuki, "case_notes", row, "narrative", token)
    finally:
        set_master_secret(TEST_MASTER_KEY)


def test_without_a_master_secret_nothing_is_sealed(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    usuki = env.tenant_id("usuki")
    # given a start-up that forgot set_master_secret
    monkeypatch.setattr(crypto, "_master_key", None)
    monkeypatch.setattr(crypto, "_data_keys", {})
    # then sealing fails loudly, naming the missing call
    with pytest.raises(RuntimeError, match="set_master_secret"):
        seal(env, usuki, "case_notes", uuid7(), "narrative", NARRATIVE)


def test_after_the_tenant_key_is_destroyed_nothing_opens(env: Env) -> None:
    async def new_tenant(db: Database) -> uuid.UUID:
        t = await do_create_tenant(
            db,
            slug="offboarded-town",
            name="退会町",
            municipality_code="442097",
            prefecture="大分県",
            plugin="usuki",
        )
        return t.id

    # given an offboarding tenant with sealed data
    gone, row = env.run(new_tenant), uuid7()
    token = seal(env, gone, "case_notes", row, "narrative", NARRATIVE)
    assert open_(env, gone, "case_notes", row, "narrative", token) == NARRATIVE

    async def destroy(db: Database) -> None:
        async with db.session(gone) as s:
            await do_destroy_tenant_key(s)

    # when its key is destroyed
    env.run(destroy)
    # then its data no longer opens, in this process or after a restart
    with pytest.raises(SealedDataError, match="destroyed"):
        open_(env, gone, "case_notes", row, "narrative", token)
    set_master_secret(env.settings.master_key)
    with pytest.raises(SealedDataError, match="destroyed"):
        open_(env, gone, "case_notes", row, "narrative", token)

    async def key_row(db: Database) -> TenantKey:
        async with db.session(gone) as s:
            return (await s.execute(select(TenantKey))).scalar_one()

    # and the key itself is gone from the database, not just marked
    row_left = env.run(key_row)
    assert row_left.wrapped_key == "" and row_left.destroyed_at is not None
    # while the other tenants' data still opens
    usuki = env.tenant_id("usuki")
    other = seal(env, usuki, "case_notes", row, "narrative", NARRATIVE)
    assert open_(env, usuki, "case_notes", row, "narrative", other) == NARRATIVE
