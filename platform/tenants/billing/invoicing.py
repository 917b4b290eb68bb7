"""年度契約 paid by invoice (請求書払い): issuing, marking paid, and overdue invoices.

The town's invoice row (:class:`~.models.BillingInvoice`) is Kasane's own record of what
it asked for; the provider holds the matching invoice (Stripe: ``send_invoice`` with
``days_until_due``; local: localstripe's invoice, or in memory). The provider's
``invoice.paid`` webhook marks the row paid and the tenant active; ``invoice.overdue``
makes it past due. The sweep does not wait for that webhook: an open invoice past its due
date makes the tenant past due since that date (localstripe sends no ``invoice.overdue``),
and the ordinary grace period then suspends it — the same path as a failed card payment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import Database
from kasane.core.japan_time import JST
from kasane.settings import Settings
from kasane.tenants.billing.documents import new_number
from kasane.tenants.billing.interface import Billing, BillingError, WebhookEvent
from kasane.tenants.billing.models import BillingInvoice
from kasane.tenants.billing.services import _set_status, do_ensure_customer
from kasane.tenants.contract import PAYMENT_TERMS_DAYS, contract_amounts
from kasane.tenants.models import Tenant
from kasane.tenants.plans import Plan


@dataclass(frozen=True)
class InvoiceIssued:
    invoice: BillingInvoice
    total: int


async def do_start_invoice_billing(
    db: Database,
    billing: Billing,
    tenant_id: uuid.UUID,
    plan: Plan,
    start: date,
    payment_days: int,
    today: date,
) -> InvoiceIssued:
    """Start the fiscal-year contract from ``start`` and issue its first invoice.

    Raises:
        BillingError: the provider refused, or ``payment_days`` is not 30 or 60.
    """
    if payment_days not in PAYMENT_TERMS_DAYS:
        raise BillingError("payment terms must be 30 or 60 days")
    amounts = contract_amounts(plan, start)
    number = new_number("I", today)
    due_on = today + timedelta(days=payment_days)
    account = await do_ensure_customer(db, billing, tenant_id)
    issued = await billing.create_invoice_subscription(
        account, amounts, number=number, days_until_due=payment_days
    )
    async with db.session(tenant_id) as s:
        row = (
            await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        ).scalar_one()
        row.billing_method, row.plan = "invoice", plan.key
        row.stripe_subscription_id = issued.subscription_id
        invoice = BillingInvoice(
            number=number,
            provider_invoice_id=issued.invoice_id,
            plan=plan.key,
            fiscal_year=amounts.fiscal_year,
            period_start=amounts.period_start,
            period_end=amounts.period_end,
            months=amounts.months,
            subtotal_yen=amounts.subtotal,
            tax_yen=amounts.tax,
            issued_on=today,
            due_on=due_on,
            status="open",
        )
        s.add(invoice)
        await s.flush()
        await do_audit(
            s,
            "system",
            "billing.invoice_issued",
            f"billing_invoice:{invoice.id}",
            number=number,
            total=amounts.total,
            due_on=due_on.isoformat(),
        )
    return InvoiceIssued(invoice, amounts.total)


async def record_invoice_event(s: AsyncSession, event: WebhookEvent) -> None:
    """In the webhook's tenant-bound transaction: a paid (or voided) provider invoice
    marks the tenant's invoice row, audited."""
    status = {"invoice.paid": "paid", "invoice.voided": "void"}.get(event.type)
    provider_id = event.object.get("id")
    if status is None or not provider_id:
        return
    invoice = (
        await s.execute(
            select(BillingInvoice).where(BillingInvoice.provider_invoice_id == str(provider_id))
        )
    ).scalar_one_or_none()
    if invoice is None or invoice.status == status:
        return
    invoice.status = status
    if status == "paid":
        invoice.paid_on = datetime.fromtimestamp(event.created, JST).date()
    await do_audit(
        s, "system", f"billing.invoice_{status}", f"billing_invoice:{invoice.id}", event=event.id
    )


async def list_invoices(s: AsyncSession) -> list[BillingInvoice]:
    """The session tenant's invoices, newest first."""
    return list(
        (
            await s.execute(select(BillingInvoice).order_by(BillingInvoice.issued_on.desc()))
        ).scalars()
    )


async def do_mark_overdue(db: Database, settings: Settings, today: date) -> list[str]:
    """Tenants on invoice billing with an open invoice past its due date become past due
    since the day after it (then :func:`~.services.do_billing_sweep` suspends them after the
    grace period). Idempotent."""
    async with db.session() as s:
        candidates = list(
            (
                await s.execute(
                    select(Tenant.id).where(
                        Tenant.billing_method == "invoice",
                        Tenant.status.in_(("trial", "active")),
                    )
                )
            ).scalars()
        )
    lines: list[str] = []
    for tenant_id in candidates:
        async with db.session(tenant_id) as s:
            overdue = (
                await s.execute(
                    select(BillingInvoice)
                    .where(BillingInvoice.status == "open", BillingInvoice.due_on < today)
                    .order_by(BillingInvoice.due_on)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if overdue is None:
                continue
            row = (
                await s.execute(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
            ).scalar_one()
            if row.status not in ("trial", "active"):
                continue
            since = datetime.combine(overdue.due_on + timedelta(days=1), time(), JST)
            await _set_status(
                s,
                row,
                "past_due",
                since.astimezone(UTC),
                settings,
                via="billing.sweep",
                invoice=overdue.number,
            )
            lines.append(f"past due {row.slug} (invoice {overdue.number} due {overdue.due_on})")
    return lines
