"""Central admins' accounts and sessions.

Accounts are made by the operator (``kasane central add-account``): an Argon2 password and
a TOTP secret, sealed with a key derived from the master key for this purpose only. A
login is the password then the code; an account without a TOTP secret signs in with the
password alone only in demo mode (the demo analysts). OpenID Connect signs in an account
by its ``sub``, or — the first time — by the verified e-mail the operator gave it.
Every login, failure and download is appended to ``central_events``, hash-chained
(:mod:`kasane.central.audit`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kasane.central.audit import do_central_audit
from kasane.central.models import CENTRAL_ROLES, CentralAccount, CentralSession
from kasane.core.auth.otp import ISSUER_NAME, fresh_step
from kasane.core.auth.passwords import check_password, hash_password
from kasane.core.db import utcnow
from kasane.core.i18n import N_
from kasane.core.protection.aead import FieldCipher, SealedDataError, derive_key

CENTRAL_OWNER = uuid.uuid5(uuid.NAMESPACE_URL, "kasane:central")  # binds sealed values
SEAL_INFO = b"kasane central accounts v1"
MIN_PASSWORD = 12
USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,80}$")

# Which permissions each central role holds (the site's routes name them).
PERMISSIONS: dict[str, str] = {
    "central:session:use": N_("Use the central site and log out"),
    "central:figures:read": N_("Compare the towns' released figures"),
    "central:figures:export": N_("Download the comparison as CSV"),
    "central:budget:read": N_("See the privacy budget ledger and refused releases"),
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "operator_analyst": frozenset(PERMISSIONS),
    "prefecture_analyst": frozenset(PERMISSIONS),
    "guest": frozenset({"central:session:use", "central:figures:read"}),
}
ROLE_LABELS = {
    "operator_analyst": N_("Operator analyst (every town)"),
    "prefecture_analyst": N_("Prefecture analyst"),
    "guest": N_("Guest (read only)"),
}


class AccountInvalid(ValueError):
    """Bad account data; ``problems`` maps field → English msgid."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CentralActor:
    """The signed-in central admin, as the pages see them."""

    id: uuid.UUID
    username: str
    display_name: str
    role: str
    prefecture_code: str | None

    @property
    def ref(self) -> str:
        return f"central_account:{self.id}"

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    @classmethod
    def of(cls, account: CentralAccount) -> CentralActor:
        return cls(
            account.id,
            account.username,
            account.display_name,
            account.role,
            account.prefecture_code if account.role == "prefecture_analyst" else None,
        )


def _cipher(master_key: str) -> FieldCipher:
    return FieldCipher(CENTRAL_OWNER, derive_key(master_key, SEAL_INFO))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------ accounts


def check_account(
    username: str,
    role: str,
    prefecture_code: str | None,
    password: str,
    min_password: int = MIN_PASSWORD,
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not USERNAME.match(username):
        problems["username"] = N_("Use 3 to 80 letters, digits, dots, hyphens or underscores")
    if role not in CENTRAL_ROLES:
        problems["role"] = N_("Choose a role")
    if role == "prefecture_analyst" and not re.fullmatch(r"\d{2}", prefecture_code or ""):
        problems["prefecture"] = N_("A prefecture analyst needs the prefecture's two-digit code")
    if len(password) < min_password:
        problems["password"] = N_("Use at least 12 characters")
    return problems


async def do_create_account(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    master_key: str = "",
    prefecture_code: str | None = None,
    email: str | None = None,
    totp_secret: str | None = None,
    actor: str = "cli",
    min_password: int = MIN_PASSWORD,
) -> CentralAccount:
    """Create a central account (audited). ``totp_secret``: enrol this secret, sealed with a
    key derived from ``master_key`` (the caller shows the secret once); None: no second
    factor (such an account signs in only in demo mode).

    Raises:
        AccountInvalid: a field is wrong or the user name is taken.
    """
    problems = check_account(username, role, prefecture_code, password, min_password)
    taken = select(CentralAccount.id).where(CentralAccount.username == username)
    if "username" not in problems and (await session.execute(taken)).first():
        problems["username"] = N_("This user name is taken")
    if problems:
        raise AccountInvalid(problems)
    account = CentralAccount(
        id=uuid.uuid4(),
        username=username,
        display_name=display_name or username,
        role=role,
        prefecture_code=prefecture_code if role == "prefecture_analyst" else None,
        email=(email or "").strip().lower() or None,
        password_hash=hash_password(password),
        is_active=True,
        created_at=utcnow(),
    )
    if totp_secret:
        account.totp_secret_sealed = _cipher(master_key).seal(
            "central_accounts", account.id, "totp_secret", totp_secret
        )
    session.add(account)
    await session.flush()
    await do_central_audit(
        session,
        actor,
        "central.account_create",
        f"central_account:{account.id}",
        role=role,
        prefecture_code=account.prefecture_code,
        totp=bool(totp_secret),
    )
    return account


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (shown once by the CLI)."""
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@central", issuer_name=ISSUER_NAME)


async def check_password_step(
    session: AsyncSession, username: str, password: str
) -> CentralAccount | None:
    """The active account when the password is right; a failure is audited."""
    account = (
        await session.execute(
            select(CentralAccount).where(
                CentralAccount.username == username, CentralAccount.is_active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if not check_password(account.password_hash if account else None, password):
        await do_central_audit(
            session, "anonymous", "central.login_failed", "", known_user=account is not None
        )
        return None
    return account


async def check_code(
    session: AsyncSession, account: CentralAccount, code: str, master_key: str
) -> bool:
    """The TOTP code, good once: a replayed code fails, and of parallel requests with the
    same code one wins (compare-and-set on the last accepted step)."""
    if not account.totp_secret_sealed:
        return False
    secret = _cipher(master_key).open(
        "central_accounts", account.id, "totp_secret", account.totp_secret_sealed
    )
    step = fresh_step(secret, code, account.totp_last_step)
    consumed = (
        step is not None
        and (
            await session.execute(
                update(CentralAccount)
                .where(
                    CentralAccount.id == account.id,
                    or_(
                        CentralAccount.totp_last_step.is_(None),
                        CentralAccount.totp_last_step < step,
                    ),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
        ).rowcount
        == 1
    )
    if not consumed:
        await do_central_audit(session, "anonymous", "central.login_failed", "", second_factor=True)
        return False
    set_committed_value(account, "totp_last_step", step)
    return True


async def do_open_session(session: AsyncSession, account: CentralAccount, method: str) -> str:
    """A new central session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        CentralSession(
            token_hash=_token_hash(token),
            account_id=account.id,
            method=method,
            created_at=now,
            last_seen_at=now,
        )
    )
    account.last_login_at = now
    await do_central_audit(
        session, f"central_account:{account.id}", "central.login", "", method=method
    )
    return token


async def find_login(
    session: AsyncSession, token: str, *, idle: timedelta, absolute: timedelta
) -> CentralAccount | None:
    """The active account behind a cookie token, or None (an expired session is deleted)."""
    row = (
        await session.execute(
            select(CentralSession).where(CentralSession.token_hash == _token_hash(token))
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        await session.delete(row)
        return None
    account = await session.get(CentralAccount, row.account_id)
    if account is None or not account.is_active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return account


async def do_logout(session: AsyncSession, token: str, actor: str) -> None:
    await session.execute(
        delete(CentralSession).where(CentralSession.token_hash == _token_hash(token))
    )
    await do_central_audit(session, actor, "central.logout")


async def find_oidc_account(
    session: AsyncSession, subject: str, email: str
) -> CentralAccount | None:
    """The active account for an ID token: by ``sub``, else (first sign-in) by the verified
    e-mail the operator gave the account, which then keeps this ``sub``."""
    account = (
        await session.execute(select(CentralAccount).where(CentralAccount.oidc_subject == subject))
    ).scalar_one_or_none()
    if account is None and email:
        account = (
            await session.execute(
                select(CentralAccount).where(
                    CentralAccount.email == email, CentralAccount.oidc_subject.is_(None)
                )
            )
        ).scalar_one_or_none()
        if account is not None:
            account.oidc_subject = subject
    return account if account is not None and account.is_active else None


async def do_reseal_totp_secrets(session: AsyncSession, old_master: str, new_master: str) -> int:
    """Master-key rotation: re-seal every central account's TOTP secret under a key derived
    from ``new_master``; one already sealed under it is left alone. Returns how many were
    re-sealed (audited once on the central chain). The caller commits.

    Raises:
        SealedDataError: a secret opens under neither key (nothing is changed).
    """
    old, new = _cipher(old_master), _cipher(new_master)
    accounts = (
        (
            await session.execute(
                select(CentralAccount).where(CentralAccount.totp_secret_sealed.is_not(None))
            )
        )
        .scalars()
        .all()
    )
    plan = []
    for account in accounts:
        sealed = account.totp_secret_sealed or ""
        try:
            new.open("central_accounts", account.id, "totp_secret", sealed)
            continue
        except SealedDataError:
            pass
        secret = old.open("central_accounts", account.id, "totp_secret", sealed)
        plan.append((account, secret))
    for account, secret in plan:
        account.totp_secret_sealed = new.seal("central_accounts", account.id, "totp_secret", secret)
    if plan:
        await session.flush()
        await do_central_audit(session, "cli", "central.master_key_rotated", "", accounts=len(plan))
    return len(plan)
