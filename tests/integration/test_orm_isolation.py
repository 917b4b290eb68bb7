"""The ORM half of isolation: every statement is filtered to the session's tenant.

Runs on SQLite and on PostgreSQL (as the app role, where RLS repeats the filter).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from kasane.core.auth.models import StaffAccount
from kasane.core.auth.passwords import hash_password
from kasane.core.db import CrossTenantWrite, Database
from tests.conftest import Env


def test_a_tenant_session_sees_only_its_own_rows(any_env: Env) -> None:
    usuki, marugame = any_env.tenant_id("usuki"), any_env.tenant_id("marugame")

    async def go(db: Database) -> tuple[set, set, int]:  # type: ignore[type-arg]
        async with db.session(usuki) as s:
            u = set((await s.execute(select(StaffAccount.tenant_id))).scalars())
        async with db.session(marugame) as s:
            m = set((await s.execute(select(StaffAccount.tenant_id))).scalars())
        async with db.session(None) as s:
            none = (await s.execute(select(func.count()).select_from(StaffAccount))).scalar_one()
        return u, m, none

    u, m, none = any_env.run(go)
    assert u == {usuki} and m == {marugame}
    # no tenant set → no rows at all
    assert none == 0


def test_another_tenants_id_is_not_found(any_env: Env) -> None:
    usuki, marugame = any_env.tenant_id("usuki"), any_env.tenant_id("marugame")

    async def go(db: Database):  # type: ignore[no-untyped-def]
        async with db.session(marugame) as s:
            theirs = (await s.execute(select(StaffAccount.id).limit(1))).scalar_one()
        async with db.session(usuki) as s:
            return (
                await s.execute(select(StaffAccount).where(StaffAccount.id == theirs))
            ).scalar_one_or_none()

    assert any_env.run(go) is None


def test_a_bulk_update_never_reaches_another_tenant(any_env: Env) -> None:
    usuki, marugame = any_env.tenant_id("usuki"), any_env.tenant_id("marugame")

    async def go(db: Database) -> list[str]:
        async with db.session(usuki) as s:
            await s.execute(
                update(StaffAccount)
                .where(StaffAccount.username == "admin")
                .values(display_name="管理者（デモ）")
            )
        async with db.session(marugame) as s:
            await s.execute(update(StaffAccount).values(display_name=StaffAccount.display_name))
            return list((await s.execute(select(StaffAccount.display_name))).scalars())

    names = any_env.run(go)
    assert "管理者（デモ）" in names  # marugame's admin kept its own name


def test_writing_another_tenants_row_is_refused(any_env: Env) -> None:
    usuki, marugame = any_env.tenant_id("usuki"), any_env.tenant_id("marugame")

    async def go(db: Database) -> None:
        async with db.session(usuki) as s:
            s.add(
                StaffAccount(
                    tenant_id=marugame,
                    username="intruder",
                    display_name="x",
                    password_hash=hash_password("x"),
                )
            )

    with pytest.raises(CrossTenantWrite):
        any_env.run(go)


def test_new_rows_are_stamped_with_the_session_tenant(any_env: Env) -> None:
    marugame = any_env.tenant_id("marugame")

    async def go(db: Database):  # type: ignore[no-untyped-def]
        async with db.session(marugame) as s:
            account = StaffAccount(
                username=f"stamp-{any_env.backend}",
                display_name="x",
                password_hash=hash_password("x"),
            )
            s.add(account)
            await s.flush()
            return account.tenant_id, account.id.version

    tenant_id, version = any_env.run(go)
    assert tenant_id == marugame and version == 7  # UUIDv7 ids
