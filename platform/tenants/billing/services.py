"""The billing lifecycle: webhooks → tenant status, and the sweep of overdue tenants.

Webhooks are verified (by the billing implementation), deduplicated by event id, processed
idempotently and order-independently:

* the status follows from the event's own object (a subscription's current status, a paid
  or failed invoice, a completed checkout), never from counting events;
* each tenant remembers ``billing_event_at``, the ``created`` time of the newest event
  applied; an older event arriving later changes nothing; among events of the same second
  the more severe state wins (cancelled > past_due > active), whatever their order;
* recording the event id, changing the tenant and the audit entry are one transaction, so
  a redelivery after a crash either finds the event done or does all of it again.

Lifecycle: trial → active (paid) → past_due (payment failed) → suspended (grace period
over, by the sweep; read-only, data kept) → active again when paid; cancelled (export
offered, ``delete_after`` = cancellation + retention) → marked for deletion by the sweep.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import do_audit
from kasane.core.db import Database, utcnow
from kasane.core.i18n import N_
from kasane.core.japan_time import JST
from kasane.settings import Settings
from kasane.tenants.billing.interface import Billing, BillingAccount, WebhookEvent
from kasane.tenants.billing.models import BillingEvent
from kasane.tenants.models import Tenant
from kasane.tenants.plans import Plan, plan_of_price

SEVERITY = {"active": 1, "past_due": 2, "cancelled": 3}
STATUS_LABELS = {
    "trial": N_("Free trial"),
    "active": N_("Active"),
    "past_due": N_("Payment overdue"),
    "suspended": N_("Suspended (read-only)"),
    "cancelled": N_("Cancelled"),
}
# What a tenant status says about its billing (trial: nothing yet).
BILLING_STATE = {
    "active": "active",
    "past_due": "past_due",
    "suspended": "past_due",
    "cancelled": "cancelled",
}
SUBSCRIPTION_STATE = {
    "active": "active",
    "trialing": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "canceled": "cancelled",
    "incomplete_expired": "cancelled",
}


@dataclass(frozen=True)
class Decision:
    """What one event says: the billing state it implies and the ids it carries."""

    state: str | None  # active | past_due | cancelled | None (nothing to change)
    customer: str | None = None
    subscription: str | None = None
    plan: str | None = None
    tenant_hint: uuid.UUID | None = None  # from metadata, when the customer is not known


def _id(value: Any) -> str | None:
    """A Stripe reference, expanded (an object) or not (its id)."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    for candidate in (
        obj.get("metadata"),
        (obj.get("subscription_details") or {}).get("metadata"),
        ((obj.get("parent") or {}).get("subscription_details") or {}).get("metadata"),
    ):
        if candidate:
            return dict(candidate)
    return {}


def _plan_of(obj: dict[str, Any], settings: Settings) -> str | None:
    if plan := _metadata(obj).get("plan"):
        return str(plan)
    for item in (obj.get("items") or {}).get("data") or []:
        price = _id(item.get("price")) or _id(item.get("plan"))
        if price and (found := plan_of_price(settings, price)):
            return found.key
    return None


def decide(event: WebhookEvent, settings: Settings) -> Decision:
    """The billing state an event implies (None for events Kasane does not act on)."""
    obj, kind = event.object, event.type
    state: str | None = None
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    subscription = _id(obj.get("subscription")) or _id(parent.get("subscription"))
    if kind == "checkout.session.completed":
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        if obj.get("mode") == "subscription" and paid:
            state = "active"
    elif kind in ("customer.subscription.created", "customer.subscription.updated"):
        state, subscription = SUBSCRIPTION_STATE.get(str(obj.get("status"))), _id(obj)
    elif kind == "customer.subscription.deleted":
        state, subscription = "cancelled", _id(obj)
    elif kind in ("invoice.payment_failed", "invoice.overdue") and subscription:
        state = "past_due"  # overdue: an invoice paid by transfer passed its due date
    elif kind in ("invoice.paid", "invoice.payment_succeeded") and subscription:
        state = "active"
    hint = _metadata(obj).get("tenant_id") or obj.get("client_reference_id")
    try:
        tenant_hint = uuid.UUID(str(hint)) if hint else None
    except ValueError:
        tenant_hint = None
    return Decision(
        state, _id(obj.get("customer")), subscription, _plan_of(obj, settings), tenant_hint
    )


async def _find_tenant(s: AsyncSession, d: Decision) -> Tenant | None:
    if d.customer:
        found = (
            await s.execute(select(Tenant).where(Tenant.stripe_customer_id == d.customer))
        ).scalar_one_or_none()
        if found is not None:
            return found
    if d.tenant_hint:
        found = await s.get(Tenant, d.tenant_hint)
        # metadata names the tenant only while the customer does not contradict it
        if found is not None and found.stripe_customer_id in (None, d.customer):
            return found
    return None


async def _set_status(
    s: AsyncSession, row: Tenant, status: str, when: datetime, settings: Settings, **detail: Any
) -> None:
    """Change a tenant's status in the caller's tenant-bound session, audited in its chain."""
    old = row.status
    row.status, row.status_changed_at = status, utcnow()
    if status == "past_due":
        row.past_due_since = when
    elif status == "active":
        # A deletion mark is the operator's (the app role cannot write it): a town that
        # pays again is never offboarded, as offboarding deletes cancelled towns only.
        row.past_due_since = row.delete_after = None
    elif status == "cancelled":
        row.past_due_since = None
        row.delete_after = when + timedelta(days=settings.retention_days)
    await do_audit(s, "system", "tenant.status", f"tenant:{row.id}", old=old, new=status, **detail)


def _apply(row: Tenant, event: WebhookEvent, d: Decision) -> str | None:
    """Record the event's ids on the tenant row; None when its status must change, else why
    not (``stale``, ``other_subscription``, ``unchanged``)."""
    assert d.state is not None
    current = BILLING_STATE.get(row.status)
    if row.billing_event_at is not None:
        if event.created < row.billing_event_at:
            return "stale"
        if event.created == row.billing_event_at and SEVERITY[d.state] < SEVERITY.get(
            current or "", 0
        ):
            return "stale"
    known = row.stripe_subscription_id
    if d.state != "active" and d.subscription and known and d.subscription != known:
        return "other_subscription"  # e.g. the end of a subscription already replaced
    if current == "cancelled" and event.type.startswith("invoice.") and d.subscription == known:
        return "ended_subscription"  # a late invoice of the subscription that ended
    row.billing_event_at = event.created
    row.stripe_customer_id = row.stripe_customer_id or d.customer
    if d.subscription and (d.state == "active" or not known):
        row.stripe_subscription_id = d.subscription
    if d.plan:
        row.plan = d.plan
    return "unchanged" if d.state == current else None


async def do_process_event(
    db: Database, settings: Settings, event: WebhookEvent
) -> tuple[str, str | None]:
    """Apply one verified event exactly once. Returns (outcome, tenant slug or None).

    Outcomes: ``applied``, ``unchanged``, ``stale``, ``other_subscription``,
    ``ended_subscription`` (a late invoice never revives a cancelled town), ``ignored``
    (nothing Kasane acts on), ``unknown_tenant``, ``duplicate`` (this event id was seen).
    """
    decision = decide(event, settings)
    tenant: Tenant | None = None
    if decision.state is not None:
        async with db.session() as s:
            tenant = await _find_tenant(s, decision)
    tenant_id = tenant.id if tenant else None
    outcome = "ignored" if decision.state is None else "unknown_tenant"
    try:
        async with db.session(tenant_id) as s:
            record = BillingEvent(
                event_id=event.id, type=event.type, created=event.created, tenant_ref=tenant_id
            )
            s.add(record)
            await s.flush()  # the unique event id: a replay fails here and changes nothing
            if tenant_id is not None:
                row = (
                    await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
                ).scalar_one()
                outcome = _apply(row, event, decision) or "applied"
                # imported here: invoicing builds on this module's status changes
                from kasane.tenants.billing.invoicing import record_invoice_event

                await record_invoice_event(s, event)
                if outcome == "applied":
                    when = datetime.fromtimestamp(event.created, UTC)
                    await _set_status(
                        s, row, str(decision.state), when, settings, event=event.id, via="billing"
                    )
            record.outcome, record.processed_at = outcome, utcnow()
    except IntegrityError:
        return "duplicate", tenant.slug if tenant else None
    return outcome, tenant.slug if tenant else None


# ------------------------------------------------------------------ checkout and portal


async def do_ensure_customer(
    db: Database, billing: Billing, tenant_id: uuid.UUID
) -> BillingAccount:
    """The tenant's billing account, creating its provider customer on first use."""
    async with db.session() as s:
        row = await s.get(Tenant, tenant_id)
        if row is None:
            raise LookupError(tenant_id)
        account = BillingAccount(row.id, row.slug, row.stripe_customer_id)
    if account.customer_id:
        return account
    customer = await billing.create_customer(account)
    async with db.session(tenant_id) as s:
        row = (
            await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        ).scalar_one()
        if row.stripe_customer_id:  # another request won the race: keep the first
            return BillingAccount(row.id, row.slug, row.stripe_customer_id)
        row.stripe_customer_id = customer
        await do_audit(s, "system", "billing.customer", f"tenant:{tenant_id}", customer=customer)
    return BillingAccount(account.tenant_id, account.slug, customer)


async def do_start_checkout(
    db: Database,
    billing: Billing,
    tenant_id: uuid.UUID,
    plan: Plan,
    success_url: str,
    cancel_url: str,
) -> str:
    """The Checkout URL where the tenant subscribes to ``plan``."""
    account = await do_ensure_customer(db, billing, tenant_id)
    return await billing.create_checkout_session(account, plan, success_url, cancel_url)


# ------------------------------------------------------------------ the sweep


async def _status_is_audited(s: AsyncSession, row: Tenant) -> bool:
    """True when the tenant's own hash-chained log agrees that it was cancelled: the
    latest ``tenant.status`` event sets it. A status written around the app (an injected
    UPDATE) has no such event, and must never lead to deleting a town's data."""
    last = (
        await s.execute(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "tenant.status", AuditEvent.target == f"tenant:{row.id}")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return bool(last) and json.loads(last).get("new") == row.status


async def do_billing_sweep(
    db: Database,
    settings: Settings,
    now: datetime | None = None,
    *,
    operator_db: Database | None = None,
    mark_deletions: bool = True,
) -> list[str]:
    """Suspend tenants past due beyond the grace period; mark cancelled tenants whose
    retention has run out for deletion (the deletion itself is the offboarding job's;
    ``mark_deletions=False``: a runner without the operator's connection only suspends).

    Marking is the operator's: it goes through ``operator_db`` (the migration URL on
    PostgreSQL, where the app role may not write deletion marks; ``db`` when omitted), and
    only for a tenant whose cancellation is in its audit log.

    Idempotent: run it as often as you like (``kasane billing sweep``). Returns what it did.
    """
    now = now or utcnow()
    # an invoice paid by transfer and unpaid past its due date makes its tenant past due
    # first (imported here: invoicing builds on this module's status changes)
    from kasane.tenants.billing.invoicing import do_mark_overdue

    lines = await do_mark_overdue(db, settings, now.astimezone(JST).date())
    grace_cutoff = now - timedelta(days=settings.billing_grace_days)
    async with db.session() as s:
        overdue = list(
            (
                await s.execute(
                    select(Tenant.id).where(
                        Tenant.status == "past_due", Tenant.past_due_since <= grace_cutoff
                    )
                )
            ).scalars()
        )
        expired = await _retention_ended(s, now) if mark_deletions else []
    for tenant_id in overdue:
        lines += await _suspend_if_still_past_due(db, settings, tenant_id, grace_cutoff, now)
    for tenant_id in expired:
        lines += await _mark_for_deletion(operator_db or db, tenant_id, now)
    return lines


async def _retention_ended(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Cancelled tenants whose retention has run out and that are not marked yet."""
    return list(
        (
            await session.execute(
                select(Tenant.id).where(
                    Tenant.status == "cancelled",
                    Tenant.delete_after <= now,
                    Tenant.deletion_marked_at.is_(None),
                )
            )
        ).scalars()
    )


async def _suspend_if_still_past_due(
    db: Database, settings: Settings, tenant_id: uuid.UUID, grace_cutoff: datetime, now: datetime
) -> list[str]:
    """Suspend the tenant when, under its row lock, it is still past due beyond the grace
    period (a payment may have arrived meanwhile)."""
    async with db.session(tenant_id) as s:
        row = (
            await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        ).scalar_one()
        if row.status == "past_due" and row.past_due_since and row.past_due_since <= grace_cutoff:
            await _set_status(s, row, "suspended", now, settings, via="billing.sweep")
            return [f"suspended {row.slug} (past due since {row.past_due_since:%Y-%m-%d})"]
    return []


async def _mark_for_deletion(db: Database, tenant_id: uuid.UUID, now: datetime) -> list[str]:
    """Mark a cancelled tenant for deletion — only when, under its row lock, it is still
    unmarked and its cancellation is in its audit log (else the refusal is audited)."""
    async with db.session(tenant_id) as s:
        row = (
            await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        ).scalar_one()
        if row.status != "cancelled" or row.deletion_marked_at is not None:
            return []
        if not await _status_is_audited(s, row):
            await do_audit(s, "system", "tenant.deletion_refused", f"tenant:{row.id}")
            return [f"refused to mark {row.slug}: its cancellation is not in its audit log"]
        row.deletion_marked_at = now
        await do_audit(s, "system", "tenant.deletion_due", f"tenant:{row.id}")
        return [f"marked {row.slug} for deletion (retention ended {row.delete_after:%Y-%m-%d})"]
