"""TOTP (RFC 6238) second factor for local accounts. The secret is sealed with the tenant's
key (table ``staff_accounts``, field ``totp_secret``).

After a right password the login waits for the code; the pending step is kept server-side
for five minutes (in-process, like the rate limiter)."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import StaffAccount
from kasane.core.protection.crypto import cipher_for

PENDING_SECONDS = 5 * 60
ISSUER_NAME = "Kasane"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: StaffAccount, tenant_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=f"{account.username}@{tenant_name}", issuer_name=ISSUER_NAME
    )


def code_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The 30-second step whose code this is (now, or one step either side), else None."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // totp.interval)
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_matches(secret: str, code: str) -> bool:
    return code_step(secret, code) is not None


async def do_enrol_totp(session: AsyncSession, account: StaffAccount, secret: str) -> None:
    cipher = await cipher_for(session)
    account.totp_secret_sealed = cipher.seal("staff_accounts", account.id, "totp_secret", secret)
    await do_audit(
        session, f"account:{account.id}", "auth.totp_enrol", f"staff_account:{account.id}"
    )


async def check_totp(session: AsyncSession, account: StaffAccount, code: str) -> bool:
    if not account.totp_secret_sealed:
        return False
    cipher = await cipher_for(session)
    secret = cipher.open("staff_accounts", account.id, "totp_secret", account.totp_secret_sealed)
    step = code_step(secret, code)
    # A code is good once: one seen over the shoulder or replayed within its window fails.
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    account.totp_last_step = step
    return True


@dataclass
class PendingSecondStep:
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    username: str
    next: str
    expires: float


_pending: dict[str, PendingSecondStep] = {}


def start_second_step(account: StaffAccount, next_path: str) -> str:
    now = time.monotonic()
    for key in [k for k, p in _pending.items() if p.expires < now]:
        _pending.pop(key, None)
    token = secrets.token_urlsafe(32)
    _pending[token] = PendingSecondStep(
        account.tenant_id, account.id, account.username, next_path, now + PENDING_SECONDS
    )
    return token


def pending_second_step(token: str, tenant_id: uuid.UUID) -> PendingSecondStep | None:
    pending = _pending.get(token)
    if pending is None or pending.expires < time.monotonic() or pending.tenant_id != tenant_id:
        return None
    return pending


def finish_second_step(token: str) -> None:
    _pending.pop(token, None)
