"""Migration 0015 seals the referral answers already stored as plain text, with each town's
own key, on SQLite and on PostgreSQL (where FORCEd RLS binds the owner it runs as), and
opens them again when undone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kasane.core.db import Database, uuid7
from kasane.core.protection import crypto
from kasane.core.protection.sealing import unseal
from kasane.migrations import downgrade, upgrade
from kasane.settings import async_url
from tests.integration.test_staff_roles_migration import TENANTS, _sync, empty_pg

__all__ = ["empty_pg"]  # the PostgreSQL fixture, shared with the 0011 test

PEOPLE = sa.table(
    "people",
    *(sa.column(n, sa.String()) for n in ("name", "kana", "name_norm", "kana_norm", "address")),
    *(sa.column(n, sa.String()) for n in ("phone_home", "phone_mobile", "phone_norm", "email")),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
BLANK_PERSON_COLUMNS = ("kana", "name_norm", "kana_norm", "address", "phone_home")
BLANK_PERSON_COLUMNS += ("phone_mobile", "phone_norm", "email")
REFERRALS = sa.table(
    "referrals",
    *(sa.column(n, sa.Uuid()) for n in ("tenant_id", "id", "person_id", "sent_by")),
    *(sa.column(n, sa.String()) for n in ("from_agency_key", "to_agency_key", "status")),
    *(sa.column(n, sa.String()) for n in ("reason_sealed", "decline_reason", "outcome")),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("ack_due_on", sa.Date()),
)
SEALED = ("decline_reason_sealed", "outcome_sealed")
KEYS = sa.table(
    "tenant_keys",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("wrapped_key", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("destroyed_at", sa.DateTime(timezone=True)),
)
# town → (its key's state before 0015, decline reason, outcome)
TOWNS = {
    "old-keyed": ("key", "本人が入院したため（架空）", ""),
    "old-keyless": ("none", "", "就労準備支援につながった（架空）"),
    "old-offboarded": ("destroyed", "転居のため（架空）", ""),
}


def _seed_at_0014(url: str) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Each town with one answered referral: slug → (tenant id, referral id)."""
    ids: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    engine = sa.create_engine(_sync(url))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for n, (slug, (key, why, what)) in enumerate(TOWNS.items()):
            tenant_id, person_id, referral_id = uuid7(), uuid7(), uuid7()
            ids[slug] = (tenant_id, referral_id)
            conn.execute(
                TENANTS.insert().values(
                    id=tenant_id,
                    slug=slug,
                    name=slug,
                    municipality_code=f"99100{n}",
                    prefecture="大分県",
                    status="active",
                    plugin="usuki",
                    created_at=now,
                )
            )
            if key != "none":
                data_key = AESGCM.generate_key(bit_length=256)
                conn.execute(
                    KEYS.insert().values(
                        tenant_id=tenant_id,
                        id=uuid7(),
                        wrapped_key=crypto._wrap(tenant_id, data_key) if key == "key" else "",
                        created_at=now,
                        destroyed_at=now if key == "destroyed" else None,
                    )
                )
            conn.execute(
                PEOPLE.insert().values(
                    tenant_id=tenant_id,
                    id=person_id,
                    name="旧 太郎",
                    created_at=now,
                    updated_at=now,
                    **dict.fromkeys(BLANK_PERSON_COLUMNS, ""),
                )
            )
            conn.execute(
                REFERRALS.insert().values(
                    tenant_id=tenant_id,
                    id=referral_id,
                    person_id=person_id,
                    sent_by=uuid7(),
                    from_agency_key="hokatsu",
                    to_agency_key="kodomo",
                    status="declined" if why else "completed",
                    reason_sealed="",
                    decline_reason=why,
                    outcome=what,
                    sent_at=now,
                    ack_due_on=date.today(),
                )
            )
    engine.dispose()
    return ids


def _stored(url: str, columns: tuple[str, ...]) -> dict[uuid.UUID, tuple[str, ...]]:
    engine = sa.create_engine(_sync(url))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sa.column("id", sa.Uuid()), *(sa.column(c) for c in columns)).select_from(
                sa.table("referrals")
            )
        ).all()
    engine.dispose()
    return {r[0]: tuple(r[1:]) for r in rows}


def _opened(url: str, tenant_id: uuid.UUID, referral_id: uuid.UUID, tokens: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The tokens opened by the app's own cipher for the town, as a page would."""

    async def go() -> tuple[str, ...]:
        db = Database(async_url(url))
        try:
            async with db.session(tenant_id) as s:
                return tuple(
                    [
                        await unseal(s, "referrals", referral_id, field, token)
                        for field, token in zip(("decline_reason", "outcome"), tokens, strict=True)
                    ]
                )
        finally:
            await db.dispose()

    return asyncio.run(go())


def _check_round_trip(url: str) -> None:
    # given three towns' answers stored as plain text before 0015: one town with a key,
    # one that never sealed anything (no key yet), one offboarded (its key destroyed)
    upgrade(url, "0014")
    ids = _seed_at_0014(url)
    # when 0015 runs
    upgrade(url, "0015")
    stored = _stored(url, SEALED)
    keyed, keyless = ids["old-keyed"], ids["old-keyless"]
    # then no answer is left in plain text, and the app opens each with its town's key
    for slug in ("old-keyed", "old-keyless"):
        tenant_id, referral_id = ids[slug]
        _key, why, what = TOWNS[slug]
        tokens = stored[referral_id]
        assert all(t.startswith("v1:") for t, text in zip(tokens, (why, what), strict=True) if text)
        assert not any(text and text in t for t in tokens for text in (why, what))
        assert _opened(url, tenant_id, referral_id, tokens) == (why, what)
    # … a town whose key was destroyed keeps nothing readable, so its answers are gone
    assert stored[ids["old-offboarded"][1]] == ("", "")
    # when 0015 is undone, the answers are plain text again (the destroyed town's stay gone)
    downgrade(url, "0014")
    back = _stored(url, ("decline_reason", "outcome"))
    assert back[keyed[1]] == TOWNS["old-keyed"][1:]
    assert back[keyless[1]] == TOWNS["old-keyless"][1:]
    assert back[ids["old-offboarded"][1]] == ("", "")
    upgrade(url)


def test_0015_seals_stored_referral_answers_on_sqlite(tmp_path: Path) -> None:
    _check_round_trip(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_0015_seals_stored_referral_answers_on_postgres_under_rls(empty_pg: str) -> None:
    _check_round_trip(empty_pg)


def test_0015_refuses_to_run_without_the_master_secret_when_answers_need_sealing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0014")
    _seed_at_0014(url)
    # when the process never set the master secret, then 0015 stops before dropping anything
    monkeypatch.setattr(crypto, "_master_key", None)
    with pytest.raises(RuntimeError, match="set_master_secret"):
        upgrade(url, "0015")
    assert _stored(url, ("decline_reason",))  # the plain columns are still there
