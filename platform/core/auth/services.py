"""Accounts and sessions: ``do_*`` mutate with audit, ``get_*`` fetch or raise NotFound."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from functools import cache

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import StaffAccount, StaffMembership, StaffSession
from kasane.core.auth.passwords import check_password, hash_password
from kasane.core.auth.permissions import check_role
from kasane.core.db import utcnow
from kasane.core.errors import NotFound


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> StaffAccount:
    """Fetch an account of the session's tenant, or raise NotFound (other tenants too)."""
    account = (
        await session.execute(select(StaffAccount).where(StaffAccount.id == account_id))
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("staff_account")
    return account


async def list_accounts(session: AsyncSession) -> list[StaffAccount]:
    return list(
        (await session.execute(select(StaffAccount).order_by(StaffAccount.username))).scalars()
    )


def new_account(
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    agency_key: str | None,
    **fields: object,
) -> StaffAccount:
    """A new account (not yet added) with its first membership: ``role`` in ``agency_key``."""
    role = check_role(role)
    account = StaffAccount(
        username=username, display_name=display_name, password_hash=password_hash, **fields
    )
    account.memberships.append(
        StaffMembership(role=role, agency_key=agency_key or None, created_at=utcnow())
    )
    return account


async def do_add_account(
    session: AsyncSession, account: StaffAccount, *, actor: str = "system", **detail: object
) -> StaffAccount:
    """Insert ``new_account(...)`` and audit it with its first role and agency."""
    session.add(account)
    await session.flush()
    first = account.memberships[0]
    await do_audit(
        session,
        actor,
        "staff.create",
        f"staff_account:{account.id}",
        role=first.role,
        agency=first.agency_key,
        **detail,
    )
    return account


async def do_create_account(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str = "caseworker",
    agency_key: str | None = None,
    actor: str = "system",
) -> StaffAccount:
    """A local account holding ``role`` in ``agency_key`` (``admin`` means tenant_admin)."""
    account = new_account(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        agency_key=agency_key,
    )
    return await do_add_account(session, account, actor=actor)


async def do_login(
    session: AsyncSession, username: str, password: str
) -> tuple[StaffAccount, str] | None:
    """Check the password; on success open a session and return (account, cookie token).

    Failed attempts are audited without the password; the caller rate-limits. (Accounts
    with TOTP take the two-step path in the login controller instead.)
    """
    account = await check_login_password(session, username, password)
    if account is None:
        return None
    return account, await do_open_session(session, account, method="password")


async def check_login_password(
    session: AsyncSession, username: str, password: str
) -> StaffAccount | None:
    """The first step of a local login: the active account when the password is right."""
    account = (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.username == username, StaffAccount.is_active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if not check_password(account.password_hash if account else None, password):
        await do_audit(
            session, "anonymous", "auth.login_failed", "", known_user=account is not None
        )
        return None
    return account


async def do_open_session(
    session: AsyncSession, account: StaffAccount, *, method: str = "password"
) -> str:
    """Open a staff session (local and SSO login alike); returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    first_agency = next((m.agency_key for m in account.memberships if m.agency_key), None)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            agency_key=first_agency,
        )
    )
    account.last_login_at = now
    await do_audit(
        session,
        f"account:{account.id}",
        "auth.login",
        f"staff_account:{account.id}",
        method=method,
    )
    return token


@cache
def _login_statement() -> Select[StaffSession, StaffAccount]:
    """The login lookup, built once (building it cost more than running it, on every
    request); the token's hash is bound per call."""
    return (
        select(StaffSession, StaffAccount)
        .join(
            StaffAccount,
            (StaffAccount.tenant_id == StaffSession.tenant_id)
            & (StaffAccount.id == StaffSession.account_id),
        )
        .where(StaffSession.token_hash == bindparam("token_hash"))
        .options(joinedload(StaffAccount.memberships))
    )


async def find_login(
    session: AsyncSession, token: str, *, idle: timedelta, absolute: timedelta
) -> tuple[StaffAccount, StaffSession] | None:
    """(account, its session row) behind a cookie token on this tenant, or None (expired —
    the row is deleted —, unknown, other tenant). Touches ``last_seen_at`` at most once a
    minute."""
    # One statement on every request: the session, its account and the account's
    # memberships (joined eagerly) — nothing is cached, so a logout, a deactivation or a
    # role change is seen by the very next request.
    found = (
        (await session.execute(_login_statement(), {"token_hash": _token_hash(token)}))
        .unique()
        .first()
    )
    if found is None:
        return None
    row, account = found
    now = utcnow()
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        await session.delete(row)
        return None
    if not account.is_active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return account, row


async def do_logout(session: AsyncSession, token: str, actor: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    await do_audit(session, actor, "auth.logout")
