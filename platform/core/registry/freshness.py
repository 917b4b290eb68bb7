"""Keeping entries fresh: signed confirmation links and the contacts' pending changes.

Staff make a link for a service and send it to the resource's contact. The link is signed
(HMAC-SHA256 with a key derived from the app secret), bound to the tenant and the service,
and expires after 14 days; nothing is stored for it. Through it the contact — who has no
account — confirms the entry or proposes corrections; either way a :class:`PendingChange`
waits on the resource page until staff approve (corrections applied, ``reviewed_on`` set to
today) or reject it. Submitting, approving and rejecting are audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.errors import NotFound
from kasane.core.registry.models import PendingChange, Service
from kasane.core.registry.services import ServiceInput, current_input, do_update_service

LINK_TTL = timedelta(days=14)
_PURPOSE = b"kasane.registry.confirm.v1"
# What a contact may correct through the link: ServiceInput field → form label msgid.
CORRECTABLE = (
    "name",
    "name_kana",
    "description",
    "url",
    "email",
    "phone",
    "application_process",
    "fees_description",
    "eligibility_description",
    "schedule_description",
)


class BadLink(LookupError):
    """The link was altered, is for another tenant or service, or is not a link at all."""


class ExpiredLink(Exception):
    """The link was genuine but is older than 14 days."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, tenant_id: uuid.UUID, payload: bytes) -> bytes:
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, tenant_id.bytes + payload, hashlib.sha256).digest()[:20]


def make_link_token(
    secret: str, tenant_id: uuid.UUID, service_id: uuid.UUID, now: datetime | None = None
) -> str:
    """``<service id + issue time>.<signature>``, URL-safe; valid for 14 days."""
    issued = int((now or utcnow()).timestamp())
    payload = service_id.bytes + issued.to_bytes(8, "big")
    return f"{_b64(payload)}.{_b64(_mac(secret, tenant_id, payload))}"


def read_link_token(
    secret: str, tenant_id: uuid.UUID, token: str, now: datetime | None = None
) -> uuid.UUID:
    """The service id of a genuine, unexpired link of this tenant.

    Raises:
        BadLink: malformed, altered, or signed for another tenant.
        ExpiredLink: genuine but issued more than 14 days ago.
    """
    try:
        head, sig = token.split(".")
        payload, mac = _unb64(head), _unb64(sig)
    except (ValueError, TypeError) as exc:
        raise BadLink() from exc
    if len(payload) != 24 or not hmac.compare_digest(mac, _mac(secret, tenant_id, payload)):
        raise BadLink()
    issued = datetime.fromtimestamp(int.from_bytes(payload[16:], "big"), tz=UTC)
    if (now or utcnow()) - issued > LINK_TTL:
        raise ExpiredLink()
    return uuid.UUID(bytes=payload[:16])


async def do_make_link(
    session: AsyncSession, actor: str, secret: str, service: Service
) -> tuple[str, datetime]:
    """A fresh link token for ``service`` and when it expires (audited: the link lets
    someone without an account propose changes)."""
    now = utcnow()
    token = make_link_token(secret, service.tenant_id, service.id, now)
    await do_audit(session, actor, "registry.link.create", f"registry_service:{service.id}")
    return token, now + LINK_TTL


async def pending_changes(session: AsyncSession, service_id: uuid.UUID) -> list[PendingChange]:
    rows = await session.execute(
        select(PendingChange)
        .where(PendingChange.service_id == service_id)
        .order_by(PendingChange.submitted_at.desc())
    )
    return list(rows.scalars())


async def get_change(session: AsyncSession, change_id: uuid.UUID) -> PendingChange:
    row = (
        await session.execute(select(PendingChange).where(PendingChange.id == change_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("registry_pending_change")
    return row


def changes_of(change: PendingChange) -> dict[str, str]:
    data = json.loads(change.changes or "{}")
    return {k: v for k, v in data.items() if k in CORRECTABLE}


async def proposable(session: AsyncSession, service: Service) -> dict[str, Any]:
    """The correctable fields' current values (what the contact sees and may change)."""
    current = await current_input(session, service)
    return {name: getattr(current, name) or "" for name in CORRECTABLE}


class UsedLink(Exception):
    """This confirmation link has already carried its one submission."""


def link_hash(token: str) -> str:
    """What is stored of a link: its hash (the token itself is a bearer secret)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def link_used(session: AsyncSession, token: str) -> bool:
    found = await session.execute(
        select(PendingChange.id).where(PendingChange.link_hash == link_hash(token))
    )
    return found.first() is not None


async def do_submit_change(
    session: AsyncSession,
    service: Service,
    proposed: dict[str, str],
    message: str,
    token: str | None = None,
) -> PendingChange:
    """Record what the contact confirmed (no differences) or corrected. An earlier
    pending submission for the same service is marked superseded.

    A link carries one submission: ``token``'s hash is stored with it under a unique
    constraint, so of two submissions through the same link (even in parallel) the
    database keeps one.

    Raises:
        UsedLink: the link was used before; nothing is recorded.
    """
    current = await proposable(session, service)
    diff = {
        k: v.strip()
        for k, v in proposed.items()
        if k in CORRECTABLE and (v or "").strip() != (current.get(k) or "").strip()
    }
    change = PendingChange(
        service_id=service.id,
        changes=json.dumps(diff, ensure_ascii=False, sort_keys=True),
        message=message.strip(),
        link_hash=link_hash(token) if token else None,
    )
    try:
        async with session.begin_nested():
            session.add(change)
            await session.flush()
    except IntegrityError:
        raise UsedLink() from None
    for older in await pending_changes(session, service.id):
        if older.status == "pending" and older.id != change.id:
            older.status = "superseded"
    await do_audit(
        session,
        "anonymous",
        "registry.change.submit",
        f"registry_service:{service.id}",
        change=str(change.id),
        fields=sorted(diff),
    )
    return change


async def do_decide_change(
    session: AsyncSession,
    actor: str,
    change: PendingChange,
    *,
    approve: bool,
    today: date,
    note: str = "",
) -> PendingChange:
    """Approve (apply the corrections, set ``reviewed_on`` to today) or reject a pending
    change. Only a pending change can be decided."""
    if change.status != "pending":
        raise ValueError("This change was already decided")
    service = (
        await session.execute(select(Service).where(Service.id == change.service_id))
    ).scalar_one()
    change.status = "approved" if approve else "rejected"
    change.decided_by = uuid.UUID(actor.split(":", 1)[1]) if actor.startswith("account:") else None
    change.decided_at = utcnow()
    change.decision_note = note[:300]
    if approve:
        data: ServiceInput = await current_input(session, service)
        for key, value in changes_of(change).items():
            setattr(data, key, value or None)
        data.name = data.name or service.name
        data.reviewed_on = today
        await do_update_service(session, actor, service, data, change=str(change.id))
    await do_audit(
        session,
        actor,
        "registry.change.approve" if approve else "registry.change.reject",
        f"registry_service:{service.id}",
        change=str(change.id),
    )
    return change
