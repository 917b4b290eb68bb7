"""Roles within agencies: grant, revoke, deactivate and reactivate staff, switch agency.

Every change is audited against ``staff_account:<id>`` with the role and agency key (never
a name). The tenant keeps at least one active tenant administrator: the last one can neither
lose the role nor be deactivated (:class:`LastAdmin`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import StaffAccount, StaffMembership, StaffSession
from kasane.core.auth.permissions import AGENCY_OPTIONAL_ROLES, TENANT_ADMIN, check_role
from kasane.core.db import utcnow
from kasane.core.errors import NotFound
from kasane.core.i18n import N_

MSG_LAST_ADMIN = N_(
    "This is the last active tenant administrator. Make someone else a tenant administrator first."
)
MSG_NEEDS_AGENCY = N_("Choose the agency this role works in")
MSG_ALREADY = N_("This staff member already holds this role in this agency")


class MembershipRefused(Exception):
    """A change that would break a rule; ``message`` is a msgid naming why."""

    def __init__(self, message: str, field: str = "form") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LastAdmin(MembershipRefused):
    def __init__(self) -> None:
        super().__init__(MSG_LAST_ADMIN)


def _target(account: StaffAccount) -> str:
    return f"staff_account:{account.id}"


async def get_membership(session: AsyncSession, membership_id: uuid.UUID) -> StaffMembership:
    """A membership of this tenant, or NotFound (other tenants' too)."""
    row = (
        await session.execute(select(StaffMembership).where(StaffMembership.id == membership_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("staff_membership")
    return row


async def active_admin_ids(session: AsyncSession) -> set[uuid.UUID]:
    """The active accounts that hold tenant_admin (in any agency or none)."""
    rows = await session.execute(
        select(StaffMembership.account_id)
        .join(
            StaffAccount,
            (StaffAccount.tenant_id == StaffMembership.tenant_id)
            & (StaffAccount.id == StaffMembership.account_id),
        )
        .where(StaffMembership.role == TENANT_ADMIN, StaffAccount.is_active.is_(True))
        .group_by(StaffMembership.account_id)
    )
    return set(rows.scalars())


async def _guard_last_admin(session: AsyncSession, account: StaffAccount) -> None:
    """Refuse when ``account`` is the only active tenant administrator."""
    if account.is_active and (await active_admin_ids(session)) == {account.id}:
        raise LastAdmin()


async def do_grant_role(
    session: AsyncSession,
    account: StaffAccount,
    role: str,
    agency_key: str | None,
    *,
    actor: str,
) -> StaffMembership:
    """Give ``account`` the role in the agency (``None``: tenant-wide, for the roles that
    work without one). The caller checks that the agency exists."""
    role = check_role(role)
    agency_key = agency_key or None
    if agency_key is None and role not in AGENCY_OPTIONAL_ROLES:
        raise MembershipRefused(MSG_NEEDS_AGENCY, "agency_key")
    if any(m.role == role and m.agency_key == agency_key for m in account.memberships):
        raise MembershipRefused(MSG_ALREADY, "role")
    membership = StaffMembership(role=role, agency_key=agency_key, created_at=utcnow())
    account.memberships.append(membership)
    await session.flush()
    await do_audit(
        session, actor, "staff.role_granted", _target(account), role=role, agency=agency_key
    )
    return membership


async def do_revoke_role(
    session: AsyncSession, account: StaffAccount, membership: StaffMembership, *, actor: str
) -> None:
    """Take the membership away; the last active tenant administrator keeps theirs."""
    if membership.account_id != account.id:
        raise NotFound("staff_membership")
    others = [m for m in account.memberships if m.id != membership.id]
    if membership.role == TENANT_ADMIN and not any(m.role == TENANT_ADMIN for m in others):
        await _guard_last_admin(session, account)
    role, agency_key = membership.role, membership.agency_key
    account.memberships.remove(membership)
    await session.flush()
    await do_audit(
        session, actor, "staff.role_revoked", _target(account), role=role, agency=agency_key
    )


async def do_deactivate(session: AsyncSession, account: StaffAccount, *, actor: str) -> None:
    """Stop the account signing in and end its sessions (its records stay its own)."""
    if not account.is_active:
        return
    await _guard_last_admin(session, account)
    account.is_active = False
    await session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
    await do_audit(session, actor, "staff.deactivated", _target(account))


async def do_reactivate(session: AsyncSession, account: StaffAccount, *, actor: str) -> None:
    if account.is_active:
        return
    account.is_active = True
    await do_audit(session, actor, "staff.reactivated", _target(account))


async def do_switch_agency(
    session: AsyncSession, account: StaffAccount, login: StaffSession, agency_key: str
) -> bool:
    """Make ``agency_key`` the session's active agency, when the account is a member there."""
    if agency_key not in {m.agency_key for m in account.memberships if m.agency_key}:
        return False
    if login.agency_key != agency_key:
        login.agency_key = agency_key
        await do_audit(
            session,
            f"account:{account.id}",
            "auth.agency_switched",
            _target(account),
            agency=agency_key,
        )
    return True
