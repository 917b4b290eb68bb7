"""The billing interface: what Kasane needs from a payment provider, and nothing more.

Two implementations (house style 9), chosen by ``KASANE_BILLING``:

* ``stripe`` — :class:`~kasane.tenants.billing.stripe_billing.StripeBilling`, the official
  client against Stripe (or, in tests, localstripe);
* ``local`` — :class:`~kasane.tenants.billing.local_billing.LocalBilling`, Kasane's own
  Checkout and Customer Portal pages (which localstripe lacks), with customers and
  subscriptions kept in localstripe when ``KASANE_STRIPE_API_BASE`` is set, else in memory.

Both verify webhooks the same way, with Stripe's own signature scheme, and
``tests/integration/test_billing.py`` runs one conformance test against both.

Only a tenant's id and slug ever reach the provider (as metadata): no names, no e-mail.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import stripe

if TYPE_CHECKING:
    from kasane.settings import Settings
    from kasane.tenants.contract import ContractAmounts
    from kasane.tenants.plans import Plan


class BillingError(RuntimeError):
    """The provider could not be reached or refused the request."""


class WebhookInvalid(ValueError):
    """A webhook whose signature, timestamp or body does not verify."""


@dataclass(frozen=True)
class BillingAccount:
    """What billing may know of a tenant: its id, slug and Stripe customer — nothing personal."""

    tenant_id: uuid.UUID
    slug: str
    customer_id: str | None = None

    def metadata(self, **extra: str) -> dict[str, str]:
        """The only metadata ever sent to the provider."""
        return {"tenant_id": str(self.tenant_id), "slug": self.slug, **extra}


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event: Stripe's id, type, ``created`` and the object it carries."""

    id: str
    type: str
    created: int
    object: dict[str, Any]


@dataclass(frozen=True)
class IssuedInvoice:
    """The provider's side of a fiscal-year contract paid by invoice."""

    subscription_id: str
    invoice_id: str


class Billing(Protocol):
    """The payment provider, as Kasane uses it."""

    name: str

    async def create_customer(self, account: BillingAccount) -> str:
        """Create the provider's customer for this tenant; returns its id."""
        ...

    async def create_checkout_session(
        self, account: BillingAccount, plan: Plan, success_url: str, cancel_url: str
    ) -> str:
        """A hosted page where the tenant subscribes to ``plan``; returns its URL.

        ``account.customer_id`` must be set (see :meth:`create_customer`).
        """
        ...

    async def create_portal_session(self, account: BillingAccount, return_url: str) -> str:
        """A hosted page where the tenant manages its subscription; returns its URL."""
        ...

    async def create_invoice_subscription(
        self, account: BillingAccount, amounts: ContractAmounts, *, number: str, days_until_due: int
    ) -> IssuedInvoice:
        """A fiscal-year subscription billed by invoice (``collection_method=send_invoice``)
        whose first invoice asks for ``amounts`` (the pro-rated remainder of the year, tax
        at the standard rate) and is due ``days_until_due`` days after it is sent.

        ``account.customer_id`` must be set. ``number`` is Kasane's invoice number, kept
        in the provider's metadata.
        """
        ...

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """Verify a webhook (``Stripe-Signature``) and parse it.

        Raises:
            WebhookInvalid: bad or missing signature, stale timestamp, or not an event.
        """
        ...


def verify_webhook(payload: bytes, signature: str | None, secret: str) -> WebhookEvent:
    """Stripe's verification (``stripe.Webhook.construct_event``), shared by both
    implementations: HMAC-SHA256 over ``"{t}.{payload}"`` and a 5-minute tolerance."""
    if not secret:
        raise WebhookInvalid("no webhook secret is configured")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        body = json.loads(payload)
        return WebhookEvent(
            id=str(body["id"]),
            type=str(body["type"]),
            created=int(body["created"]),
            object=dict(body["data"]["object"]),
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookInvalid("signature does not verify") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookInvalid("not a Stripe event") from exc


def billing_for(settings: Settings) -> Billing:
    """The implementation ``settings.billing`` names."""
    if settings.billing == "stripe":
        from kasane.tenants.billing.stripe_billing import StripeBilling

        return StripeBilling(settings)
    from kasane.tenants.billing.local_billing import LocalBilling

    return LocalBilling(settings)
