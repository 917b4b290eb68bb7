"""One-time values are used once, even in parallel: a TOTP code, an invitation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pyotp
from sqlalchemy import select

from kasane.core.auth.invitations import do_invite_staff, do_mark_accepted, find_open_invitation
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.auth.totp import check_totp, do_enrol_totp
from kasane.core.db import Database
from tests.conftest import Env

PARALLEL = 6


def _race(tenant_id: uuid.UUID) -> Callable[[Database], Awaitable[list[bool | str]]]:
    """Enrol a new account, then send its current code in PARALLEL second steps."""
    secret = pyotp.random_base32()
    username = f"totp-{uuid.uuid4().hex[:8]}"

    async def race(db: Database) -> list[bool | str]:
        async with db.session(tenant_id) as s:
            account = await do_create_account(
                s, username=username, display_name="二要素", password="x" * 16
            )
            await do_enrol_totp(s, account, secret)
            account_id = account.id
        code = pyotp.TOTP(secret).now()

        async def second_step() -> bool | str:
            try:
                async with db.session(tenant_id) as s:
                    account = (
                        await s.execute(select(StaffAccount).where(StaffAccount.id == account_id))
                    ).scalar_one()
                    return await check_totp(s, account, code)
            except Exception as exc:  # a refused write is a refusal, not a login
                return type(exc).__name__

        return list(await asyncio.gather(*(second_step() for _ in range(PARALLEL))))

    return race


def test_the_same_code_sent_in_parallel_is_accepted_exactly_once(any_env: Env) -> None:
    for slug in ("usuki", "marugame"):
        outcomes = any_env.run(_race(any_env.tenant_id(slug)))
        # then exactly one of the parallel second steps logged in
        assert outcomes.count(True) == 1, (slug, outcomes)


def test_an_invitation_is_accepted_once_even_in_parallel(any_env: Env) -> None:
    tenant_id = any_env.tenant_id("marugame")

    async def race(db: Database) -> list[bool]:
        async with db.session(tenant_id) as s:
            _invitation, token = await do_invite_staff(
                s, email=f"{uuid.uuid4().hex[:8]}@example.jp", role="caseworker"
            )
        async with db.session(tenant_id) as s:
            invitation = await find_open_invitation(s, token)
        assert invitation is not None

        async def accept() -> bool:
            try:
                async with db.session(tenant_id) as s:
                    return await do_mark_accepted(s, invitation)
            except Exception:  # a refused write is a refusal
                return False

        return list(await asyncio.gather(*(accept() for _ in range(PARALLEL))))

    assert any_env.run(race).count(True) == 1


def test_a_central_accounts_code_is_accepted_once_even_in_parallel(sqlite_env: Env) -> None:
    from kasane.central.accounts import check_code, do_create_account
    from kasane.central.models import CentralAccount

    secret, username = pyotp.random_base32(), f"central-{uuid.uuid4().hex[:6]}"
    master = sqlite_env.settings.master_key

    async def race(db: Database) -> list[bool]:
        async with db.session() as s:
            await do_create_account(
                s,
                username=username,
                display_name="並行",
                role="guest",
                password="central-test-password",
                master_key=master,
                totp_secret=secret,
            )
        code = pyotp.TOTP(secret).now()

        async def step() -> bool:
            try:
                async with db.session() as s:
                    account = (
                        await s.execute(
                            select(CentralAccount).where(CentralAccount.username == username)
                        )
                    ).scalar_one()
                    return await check_code(s, account, code, master)
            except Exception:  # a refused write is a refusal
                return False

        return list(await asyncio.gather(*(step() for _ in range(PARALLEL))))

    assert sqlite_env.run(race).count(True) == 1
