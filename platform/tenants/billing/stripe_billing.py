"""Billing through Stripe with the official client (or localstripe, via the API base).

The client is synchronous and runs in a worker thread: calls are few (signup, checkout,
portal) and a thread keeps them independent of whichever event loop is running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import stripe

from kasane.tenants.billing.interface import (
    BillingAccount,
    BillingError,
    WebhookEvent,
    verify_webhook,
)

if TYPE_CHECKING:
    from kasane.settings import Settings
    from kasane.tenants.plans import Plan

T = TypeVar("T")


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

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        return verify_webhook(payload, signature, self.settings.stripe_webhook_secret)
