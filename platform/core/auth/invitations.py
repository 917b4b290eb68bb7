"""Staff invitations: an admin invites by e-mail with a role and agency; the invitee joins
through the tenant's SSO (the invitation link binds the provider's identity; or a verified
e-mail matches) or, without SSO, sets a local password
and enrols TOTP, and gets that role in that agency (a membership). Only the SHA-256 of the
token is stored; invitations expire after 14 days and can be withdrawn before they are used."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.models import StaffInvitation
from kasane.core.auth.permissions import TENANT_ADMIN, check_role
from kasane.core.db import Base, utcnow
from kasane.core.errors import NotFound

INVITATION_DAYS = 14


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def do_invite_staff(
    session: AsyncSession,
    *,
    email: str,
    role: str = "caseworker",
    agency_key: str | None = None,
    actor: str = "system",
) -> tuple[StaffInvitation, str]:
    """Create an invitation; returns it and the token (shown once / e-mailed)."""
    role = check_role(role)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = StaffInvitation(
        email=email.strip().lower(),
        role=role,
        agency_key=agency_key or None,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    await session.flush()
    # the audit names the invitation, never the person
    await do_audit(session, actor, "staff.invite", f"staff_invitation:{invitation.id}", role=role)
    return invitation, token


async def find_staff_invitation(session: AsyncSession, token: str) -> StaffInvitation | None:
    """The pending, unexpired invitation of this tenant for ``token``, or None."""
    return (
        await session.execute(
            select(StaffInvitation).where(
                StaffInvitation.token_hash == token_hash(token),
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.withdrawn_at.is_(None),
                StaffInvitation.expires_at > utcnow(),
            )
        )
    ).scalar_one_or_none()


async def pending_invitations(session: AsyncSession) -> list[StaffInvitation]:
    """Staff invitations neither accepted nor withdrawn, newest first (expired ones too,
    so the admin sees them lapse)."""
    return list(
        (
            await session.execute(
                select(StaffInvitation)
                .where(
                    StaffInvitation.accepted_at.is_(None), StaffInvitation.withdrawn_at.is_(None)
                )
                .order_by(StaffInvitation.created_at.desc())
            )
        ).scalars()
    )


async def get_pending_invitation(
    session: AsyncSession, invitation_id: uuid.UUID
) -> StaffInvitation:
    """A pending invitation of this tenant, or NotFound (used, withdrawn, other tenant's)."""
    row = (
        await session.execute(
            select(StaffInvitation).where(
                StaffInvitation.id == invitation_id,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.withdrawn_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("staff_invitation")
    return row


async def do_withdraw_invitation(
    session: AsyncSession, invitation: StaffInvitation, *, actor: str
) -> None:
    invitation.withdrawn_at = utcnow()
    await do_audit(
        session, actor, "staff.invitation_withdrawn", f"staff_invitation:{invitation.id}"
    )


@dataclass(frozen=True)
class OpenInvitation:
    """A pending invitation: a staff invitation, or the first admin's from signup."""

    kind: str  # "staff" | "admin"
    id: uuid.UUID
    email: str
    role: str
    agency_key: str | None
    name: str


def _admin_invitations() -> Table:
    # The signup's table (kasane.tenants), reached through the metadata so core does not
    # import the tenants package; filtered to the session's tenant explicitly.
    return Base.metadata.tables["tenant_admin_invitations"]


async def find_open_invitation(session: AsyncSession, token: str) -> OpenInvitation | None:
    staff = await find_staff_invitation(session, token)
    if staff is not None:
        return OpenInvitation("staff", staff.id, staff.email, staff.role, staff.agency_key, "")
    t = _admin_invitations()
    row = (
        await session.execute(
            select(t.c.id, t.c.email, t.c.name).where(
                t.c.tenant_id == session.info["tenant_id"],
                t.c.token_hash == token_hash(token),
                t.c.accepted_at.is_(None),
                t.c.expires_at > utcnow(),
            )
        )
    ).first()
    if row is None:
        return None
    return OpenInvitation("admin", row.id, row.email.strip().lower(), TENANT_ADMIN, None, row.name)


async def find_open_invitation_by_id(
    session: AsyncSession, kind: str, invitation_id: str
) -> OpenInvitation | None:
    """The pending, unexpired invitation of this tenant (``kind`` "staff" or "admin") with
    this id — the one an SSO login was started from — or None."""
    try:
        wanted = uuid.UUID(invitation_id)
    except ValueError:
        return None
    now = utcnow()
    if kind == "staff":
        staff = (
            await session.execute(
                select(StaffInvitation).where(
                    StaffInvitation.id == wanted,
                    StaffInvitation.accepted_at.is_(None),
                    StaffInvitation.withdrawn_at.is_(None),
                    StaffInvitation.expires_at > now,
                )
            )
        ).scalar_one_or_none()
        if staff is None:
            return None
        return OpenInvitation("staff", staff.id, staff.email, staff.role, staff.agency_key, "")
    t = _admin_invitations()
    row = (
        await session.execute(
            select(t.c.id, t.c.email, t.c.name).where(
                t.c.tenant_id == session.info["tenant_id"],
                t.c.id == wanted,
                t.c.accepted_at.is_(None),
                t.c.expires_at > now,
            )
        )
    ).first()
    if row is None:
        return None
    return OpenInvitation("admin", row.id, row.email.strip().lower(), TENANT_ADMIN, None, row.name)


async def find_invitation_by_email(session: AsyncSession, email: str) -> OpenInvitation | None:
    """The newest pending invitation for ``email`` (staff first, then the signup admin's)."""
    email = email.strip().lower()
    now = utcnow()
    staff = (
        (
            await session.execute(
                select(StaffInvitation)
                .where(
                    StaffInvitation.email == email,
                    StaffInvitation.accepted_at.is_(None),
                    StaffInvitation.withdrawn_at.is_(None),
                    StaffInvitation.expires_at > now,
                )
                .order_by(StaffInvitation.created_at.desc())
            )
        )
        .scalars()
        .first()
    )
    if staff is not None:
        return OpenInvitation("staff", staff.id, staff.email, staff.role, staff.agency_key, "")
    t = _admin_invitations()
    row = (
        await session.execute(
            select(t.c.id, t.c.email, t.c.name).where(
                t.c.tenant_id == session.info["tenant_id"],
                func.lower(t.c.email) == email,
                t.c.accepted_at.is_(None),
                t.c.expires_at > now,
            )
        )
    ).first()
    if row is None:
        return None
    return OpenInvitation("admin", row.id, email, TENANT_ADMIN, None, row.name)


async def do_mark_accepted(session: AsyncSession, invitation: OpenInvitation) -> bool:
    """Use the invitation up: True for the one request that does (compare-and-set on
    ``accepted_at IS NULL``), False when another request accepted it first."""
    now = utcnow()
    if invitation.kind == "staff":
        result = await session.execute(
            update(StaffInvitation)
            .where(StaffInvitation.id == invitation.id, StaffInvitation.accepted_at.is_(None))
            .values(accepted_at=now)
            .execution_options(synchronize_session=False)
        )
    else:
        t = _admin_invitations()
        result = await session.execute(
            update(t)
            .where(
                t.c.tenant_id == session.info["tenant_id"],
                t.c.id == invitation.id,
                t.c.accepted_at.is_(None),
            )
            .values(accepted_at=now)
        )
    return bool(cast(CursorResult[Any], result).rowcount)  # an UPDATE's result
