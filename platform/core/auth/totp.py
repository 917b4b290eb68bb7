"""TOTP (RFC 6238) second factor for local accounts. The secret is sealed with the tenant's
key (table ``staff_accounts``, field ``totp_secret``).

After a right password the login waits for the code; the pending step is kept server-side
for five minutes in the app's ephemeral store (shared by every app process)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.otp import ISSUER_NAME, fresh_step
from kasane.core.ephemeral import EphemeralStore
from kasane.core.protection.crypto import cipher_for

PENDING_SECONDS = 5 * 60
KIND = "totp_step"


def provisioning_uri(secret: str, account: StaffAccount, tenant_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=f"{account.username}@{tenant_name}", issuer_name=ISSUER_NAME
    )


async def do_enrol_totp(session: AsyncSession, account: StaffAccount, secret: str) -> None:
    cipher = await cipher_for(session)
    account.totp_secret_sealed = cipher.seal("staff_accounts", account.id, "totp_secret", secret)
    await do_audit(
        session, f"account:{account.id}", "auth.totp_enrol", f"staff_account:{account.id}"
    )


async def check_totp(session: AsyncSession, account: StaffAccount, code: str) -> bool:
    """True when ``code`` is the account's current code and was never accepted before.

    A code is good once: one seen over the shoulder, replayed within its window, or sent in
    several parallel requests logs in at most once. The step is consumed with one atomic
    compare-and-set (``UPDATE … WHERE last_step < :step RETURNING``), never read-then-write:
    of concurrent requests with the same code, the database lets exactly one update the row.
    """
    if not account.totp_secret_sealed:
        return False
    cipher = await cipher_for(session)
    secret = cipher.open("staff_accounts", account.id, "totp_secret", account.totp_secret_sealed)
    step = fresh_step(secret, code, account.totp_last_step)
    if step is None:
        return False
    consumed = (
        await session.execute(
            update(StaffAccount)
            .where(
                StaffAccount.tenant_id == account.tenant_id,
                StaffAccount.id == account.id,
                or_(StaffAccount.totp_last_step.is_(None), StaffAccount.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .returning(StaffAccount.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if consumed is None:
        return False
    # keep the loaded object in step without a second write at flush
    set_committed_value(account, "totp_last_step", step)
    return True


@dataclass
class PendingSecondStep:
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    username: str
    next: str


def _step_key(token: str) -> str:
    # The token is a bearer secret: the store sees only its hash.
    return hashlib.sha256(token.encode()).hexdigest()


async def start_second_step(store: EphemeralStore, account: StaffAccount, next_path: str) -> str:
    token = secrets.token_urlsafe(32)
    value = {"account_id": str(account.id), "username": account.username, "next": next_path}
    await store.put(KIND, account.tenant_id.hex, _step_key(token), value, PENDING_SECONDS)
    return token


async def pending_second_step(
    store: EphemeralStore, token: str, tenant_id: uuid.UUID
) -> PendingSecondStep | None:
    """The live step for ``token``, only on the tenant that started it (keys are per tenant)."""
    value = await store.get(KIND, tenant_id.hex, _step_key(token)) if token else None
    if value is None:
        return None
    return PendingSecondStep(
        tenant_id, uuid.UUID(value["account_id"]), value["username"], value["next"]
    )


async def finish_second_step(store: EphemeralStore, token: str, tenant_id: uuid.UUID) -> None:
    await store.delete(KIND, tenant_id.hex, _step_key(token))
