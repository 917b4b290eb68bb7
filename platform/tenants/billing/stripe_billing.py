"""Billing through Stripe with the official client (or localstripe, via the API base).

The client is synchronous and runs in a worker thread: calls are few (signup, checkout,
portal) and a thread keeps them independent of whichever event loop is running.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import stripe

from kasane.core.japan_time import JST
from kasane.tenants.billing.interface import (
    BillingAccount,
    BillingError,
    IssuedInvoice,
    WebhookEvent,
    verify_webhook,
)
from kasane.tenants.contract import fiscal_year_bounds

if TYPE_CHECKING:
    from kasane.settings import Settings
    from kasane.tenants.contract import ContractAmounts
    from kasane.tenants.plans import Plan

T = TypeVar("T")
TAX_RATE_TAG = "kasane_consumption_tax"  # metadata marking the tax rate Kasane made


def make_client(settings: Settings) -> stripe.StripeClient:
    """A client for ``KASANE_STRIPE_SECRET_KEY`` at ``KASANE_STRIPE_API_BASE`` (if set)."""
    if not settings.stripe_secret_key:
        raise BillingError("KASANE_STRIPE_SECRET_KEY is not set")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=base,  # type: ignore[arg-type]  # a partial dict is what it expects
        max_network_retries=2,
    )


async def call(fn: Callable[[], T]) -> T:
    """Run one blocking client call in a thread; provider failures become BillingError."""
    try:
        return await anyio.to_thread.run_sync(fn)
    except stripe.StripeError as exc:
        raise BillingError(f"billing provider: {exc.__class__.__name__}") from exc


class StripeBilling:
    """The real implementation: Stripe Checkout, the Customer Portal, signed webhooks."""

    name = "stripe"

    def __init__(self, settings: Settings, client: stripe.StripeClient | None = None) -> None:
        if not settings.stripe_webhook_secret:
            raise BillingError("KASANE_STRIPE_WEBHOOK_SECRET is not set")
        self.settings = settings
        self.client = client or make_client(settings)

    async def create_customer(self, account: BillingAccount) -> str:
        params: Any = {"metadata": account.metadata()}
        customer = await call(lambda: self.client.v1.customers.create(params))
        return str(customer.id)

    async def create_checkout_session(
        self, account: BillingAccount, plan: Plan, success_url: str, cancel_url: str
    ) -> str:
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        metadata = account.metadata(plan=plan.key)
        params: Any = {
            "mode": "subscription",
            "customer": account.customer_id,
            "line_items": [{"price": plan.price_id(self.settings), "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(account.tenant_id),
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
        session = await call(lambda: self.client.v1.checkout.sessions.create(params))
        if not session.url:
            raise BillingError("Checkout returned no URL")
        return str(session.url)

    async def create_portal_session(self, account: BillingAccount, return_url: str) -> str:
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        params: Any = {"customer": account.customer_id, "return_url": return_url}
        session = await call(lambda: self.client.v1.billing_portal.sessions.create(params))
        return str(session.url)

    async def create_invoice_subscription(
        self, account: BillingAccount, amounts: ContractAmounts, *, number: str, days_until_due: int
    ) -> IssuedInvoice:
        """A yearly subscription anchored on the next 1 April (JST), billed by invoice
        payable by Japanese bank transfer (``customer_balance``); the first invoice carries
        Kasane's pro-rated amount as a one-off item, so Stripe's by-the-second proration
        never differs from the quotation."""
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        settings = self.settings
        next_april = fiscal_year_bounds(amounts.fiscal_year + 1)[0]
        anchor = int(datetime.combine(next_april, time(), JST).timestamp())
        metadata = account.metadata(plan=amounts.plan.key, invoice=number)

        def subscribe() -> IssuedInvoice:
            tax_rate = settings.stripe_tax_rate or self._consumption_tax_rate(amounts.tax_rate)
            params = _invoice_subscription(
                str(account.customer_id), settings.stripe_product, amounts, days_until_due
            ) | {
                "billing_cycle_anchor": anchor,
                "default_tax_rates": [tax_rate],
                "metadata": metadata,
            }
            subscription = self.client.v1.subscriptions.create(params)
            invoice = subscription.latest_invoice
            invoice_id = str(invoice if isinstance(invoice, str) else getattr(invoice, "id", ""))
            # the first invoice stays a draft for about an hour: send it now
            self.client.v1.invoices.finalize_invoice(invoice_id, {"auto_advance": True})
            self.client.v1.invoices.send_invoice(invoice_id)
            return IssuedInvoice(str(subscription.id), invoice_id)

        return await call(subscribe)

    def _consumption_tax_rate(self, percentage: int) -> str:
        """The id of Kasane's 消費税 rate in the Stripe account: the one made before (found
        by its metadata tag), else a new one. One rate for every invoice, not one per
        contract (``KASANE_STRIPE_TAX_RATE`` names one and skips this). Blocking."""
        tag = f"{percentage}%"
        listed = self.client.v1.tax_rates.list({"active": True, "limit": 100})
        for rate in listed.auto_paging_iter():
            metadata = rate.to_dict().get("metadata") or {}
            if metadata.get(TAX_RATE_TAG) == tag and not rate.inclusive:
                return str(rate.id)
        tax: Any = {
            "display_name": "消費税",
            "percentage": percentage,
            "inclusive": False,
            "country": "JP",
            "metadata": {TAX_RATE_TAG: tag},
        }
        return str(self.client.v1.tax_rates.create(tax).id)

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        return verify_webhook(payload, signature, self.settings.stripe_webhook_secret)


def _invoice_subscription(
    customer: str, product: str, amounts: ContractAmounts, days_until_due: int
) -> dict[str, Any]:
    """A yearly subscription's parameters, billed by invoice payable by Japanese bank
    transfer, with the pro-rated first amount as a one-off item and no proration of
    Stripe's own."""
    return {
        "customer": customer,
        "collection_method": "send_invoice",
        "days_until_due": days_until_due,
        "items": [
            {
                "price_data": {
                    "currency": "jpy",
                    "product": product,
                    "unit_amount": amounts.plan.annual_yen,
                    "recurring": {"interval": "year"},
                }
            }
        ],
        "proration_behavior": "none",
        "add_invoice_items": [
            {"price_data": {"currency": "jpy", "product": product, "unit_amount": amounts.subtotal}}
        ],
        "payment_settings": {
            "payment_method_types": ["customer_balance"],
            "payment_method_options": {
                "customer_balance": {
                    "funding_type": "bank_transfer",
                    "bank_transfer": {"type": "jp_bank_transfer"},
                }
            },
        },
    }
