"""Billing without Stripe's hosted pages: Kasane's own Checkout and Customer Portal.

localstripe (the local Stripe API the tests use) has customers, plans and subscriptions but
no Checkout and no Customer Portal. This implementation serves those two pages itself
(``/billing/local/...`` on the operator host, see ``billing.controllers``) and, when the
tenant pays or changes its subscription there, does what Stripe would do: it creates the
subscription (in localstripe when ``KASANE_STRIPE_API_BASE`` is set, else in memory) and
sends Kasane's webhook endpoint the events Stripe would send, signed with the webhook secret
exactly as Stripe signs them — so the endpoint verifies them like any other.

Session tokens are signed (HMAC with the app secret) and carry everything the page needs,
so any worker can serve them; they hold ids and URLs only, never personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import stripe

from kasane.tenants.billing.interface import (
    BillingAccount,
    BillingError,
    IssuedInvoice,
    WebhookEvent,
    verify_webhook,
)
from kasane.tenants.billing.stripe_billing import call, make_client
from kasane.tenants.plans import Plan, find_plan

if TYPE_CHECKING:
    from kasane.settings import Settings
    from kasane.tenants.contract import ContractAmounts

LOCAL_PATH = "/billing/local"  # on the operator host
SESSION_SECONDS = 3600
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
PORTAL_ACTIONS = ("cancel", "fail_payment", "pay", "bank_transfer")


@dataclass(frozen=True)
class LocalSession:
    """A verified checkout or portal session token."""

    kind: str  # "checkout" | "portal"
    account: BillingAccount
    plan: str | None
    success_url: str
    cancel_url: str  # for a portal session: its return URL


def operator_origin(url: str, base_domain: str) -> str:
    """``http://usuki.localhost:8000/x`` → ``http://localhost:8000``: the local pages live on
    the operator host, reached with the scheme and port of the caller's own URLs."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{base_domain}{port}"


class LocalBilling:
    """The local implementation; see the module docstring."""

    name = "local"

    def __init__(self, settings: Settings, client: stripe.StripeClient | None = None) -> None:
        self.settings = settings
        # localstripe accepts any ``sk_…`` key; without an API base everything stays in memory
        if client is None and settings.stripe_api_base:
            client = make_client(
                settings
                if settings.stripe_secret_key
                else _with_key(settings, "sk_test_kasane_local")
            )
        self.client = client
        self._key = hashlib.sha256(b"local-billing:" + settings.secret_key.encode()).digest()

    # ---------------------------------------------------------------- the interface

    async def create_customer(self, account: BillingAccount) -> str:
        if self.client is None:
            return f"cus_local_{secrets.token_hex(8)}"
        params: Any = {"metadata": account.metadata()}
        customer = await call(lambda: self.client.v1.customers.create(params))  # type: ignore[union-attr]
        return str(customer.id)

    async def create_checkout_session(
        self, account: BillingAccount, plan: Plan, success_url: str, cancel_url: str
    ) -> str:
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        token = self._sign(
            {"k": "checkout", "p": plan.key, "ok": success_url, "no": cancel_url}, account
        )
        origin = operator_origin(success_url, self.settings.base_domain)
        return f"{origin}{LOCAL_PATH}/checkout?session={token}"

    async def create_portal_session(self, account: BillingAccount, return_url: str) -> str:
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        token = self._sign({"k": "portal", "ok": return_url, "no": return_url}, account)
        origin = operator_origin(return_url, self.settings.base_domain)
        return f"{origin}{LOCAL_PATH}/portal?session={token}"

    async def create_invoice_subscription(
        self, account: BillingAccount, amounts: ContractAmounts, *, number: str, days_until_due: int
    ) -> IssuedInvoice:
        """localstripe makes invoices only from subscriptions it charges automatically: it
        has no stand-alone invoice, no ``send_invoice`` collection, ``days_until_due``,
        finalize/send or bank transfer. So the subscription and the invoice are Kasane's
        own here (the customer is localstripe's); the local portal's "bank transfer
        received" sends the ``invoice.paid`` webhook Stripe would send."""
        if not account.customer_id:
            raise BillingError("the tenant has no customer yet")
        return IssuedInvoice(
            f"sub_local_{secrets.token_hex(8)}", f"in_local_{secrets.token_hex(8)}"
        )

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        return verify_webhook(payload, signature, self.settings.stripe_webhook_secret)

    # ---------------------------------------------------------------- the local pages

    def open_session(self, token: str, kind: str) -> LocalSession | None:
        """The session behind a token, or None when it is forged, expired or another kind."""
        try:
            body, mac = token.split(".", 1)
            expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, expected):
                return None
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            if data["k"] != kind or data["exp"] < time.time():
                return None
            account = BillingAccount(uuid.UUID(data["t"]), data["s"], data["c"])
            return LocalSession(kind, account, data.get("p"), data["ok"], data["no"])
        except (ValueError, KeyError, TypeError):
            return None

    async def complete_checkout(self, session: LocalSession) -> list[tuple[bytes, str]]:
        """The tenant paid: subscribe it and return the signed events Stripe would send."""
        plan = find_plan(session.plan or "")
        if plan is None:
            raise BillingError("unknown plan")
        account = session.account
        metadata = account.metadata(plan=plan.key)
        subscription = await self._subscribe(account, plan, metadata)
        checkout = {
            "id": f"cs_local_{secrets.token_hex(8)}",
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "customer": account.customer_id,
            "subscription": subscription["id"],
            "client_reference_id": str(account.tenant_id),
            "metadata": metadata,
        }
        return [
            self.signed_event("checkout.session.completed", checkout),
            self.signed_event("customer.subscription.created", subscription),
        ]

    async def portal_action(
        self,
        session: LocalSession,
        action: str,
        subscription_id: str | None,
        plan: str | None,
        invoice_id: str | None = None,
    ) -> list[tuple[bytes, str]]:
        """A change made in the local portal, as the events Stripe would send
        (``bank_transfer``: the open invoice ``invoice_id`` was paid by bank transfer)."""
        if action not in PORTAL_ACTIONS or not subscription_id:
            raise BillingError("nothing to change")
        if action == "bank_transfer" and not invoice_id:
            raise BillingError("no open invoice")
        account = session.account
        metadata = account.metadata(**({"plan": plan} if plan else {}))
        subscription = {
            "id": subscription_id,
            "object": "subscription",
            "customer": account.customer_id,
            "metadata": metadata,
        }
        invoice = {
            "id": invoice_id or f"in_local_{secrets.token_hex(8)}",
            "object": "invoice",
            "customer": account.customer_id,
            "subscription": subscription_id,
            "billing_reason": "subscription_cycle",
            "subscription_details": {"metadata": metadata},
        }
        if action == "bank_transfer":
            invoice["collection_method"] = "send_invoice"
        if action == "cancel":
            if self.client is not None:
                sub = await call(lambda: self.client.v1.subscriptions.cancel(subscription_id))  # type: ignore[union-attr]
                subscription = {**sub.to_dict(), "metadata": metadata}
            subscription["status"] = "canceled"
            return [self.signed_event("customer.subscription.deleted", subscription)]
        if action == "fail_payment":
            return [
                self.signed_event(
                    "invoice.payment_failed", {**invoice, "status": "open", "attempt_count": 1}
                ),
                self.signed_event(
                    "customer.subscription.updated", {**subscription, "status": "past_due"}
                ),
            ]
        return [
            self.signed_event("invoice.paid", {**invoice, "status": "paid"}),
            self.signed_event(
                "customer.subscription.updated", {**subscription, "status": "active"}
            ),
        ]

    def signed_event(self, type_: str, obj: dict[str, Any]) -> tuple[bytes, str]:
        """An event as Stripe sends it: JSON body and its ``Stripe-Signature`` header."""
        now = int(time.time())
        event = {
            "id": f"evt_local_{secrets.token_hex(12)}",
            "object": "event",
            "type": type_,
            "created": now,
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": obj},
        }
        payload = json.dumps(event, separators=(",", ":"))
        header = stripe.WebhookSignature.generate_signature_header(
            payload, self.settings.stripe_webhook_secret, now
        )
        return payload.encode(), header

    # ---------------------------------------------------------------- helpers

    def _sign(self, data: dict[str, Any], account: BillingAccount) -> str:
        data = {
            **data,
            "t": str(account.tenant_id),
            "s": account.slug,
            "c": account.customer_id,
            "exp": int(time.time()) + SESSION_SECONDS,
        }
        body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        return body + "." + hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    async def _subscribe(
        self, account: BillingAccount, plan: Plan, metadata: dict[str, str]
    ) -> dict[str, Any]:
        price = plan.price_id(self.settings)
        if self.client is None:
            return {
                "id": f"sub_local_{secrets.token_hex(8)}",
                "object": "subscription",
                "customer": account.customer_id,
                "status": "active",
                "metadata": metadata,
                "items": {"data": [{"price": {"id": price}}]},
            }
        client = self.client

        def subscribe() -> dict[str, Any]:
            _ensure_plan(client, price, plan)
            card: Any = {"type": "card", "card": TEST_CARD}
            method = client.v1.payment_methods.create(card)
            customer = str(account.customer_id)
            client.v1.payment_methods.attach(method.id, {"customer": customer})
            settings: Any = {"invoice_settings": {"default_payment_method": method.id}}
            client.v1.customers.update(customer, settings)
            # localstripe speaks the legacy ``plan`` item; a Stripe plan id is also a price id
            params: Any = {"customer": customer, "items": [{"plan": price}], "metadata": metadata}
            return client.v1.subscriptions.create(params).to_dict()

        return await call(subscribe)


def _ensure_plan(client: stripe.StripeClient, price: str, plan: Plan) -> None:
    try:
        client.v1.plans.retrieve(price)
    except stripe.InvalidRequestError:
        params: Any = {
            "id": price,
            "amount": plan.monthly_yen,
            "currency": "jpy",
            "interval": "month",
            "product": {"name": f"Kasane {plan.key}"},
        }
        client.v1.plans.create(params)


def _with_key(settings: Settings, key: str) -> Settings:
    from dataclasses import replace

    return replace(settings, stripe_secret_key=key)


async def deliver(app: Any, base_domain: str, events: list[tuple[bytes, str]]) -> list[int]:
    """POST each signed event to this app's own webhook endpoint (in process, over ASGI),
    as Stripe would over the network; returns the status codes."""
    transport = httpx.ASGITransport(app=app)
    statuses = []
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{base_domain}") as c:
        for payload, header in events:
            response = await c.post(
                "/stripe/webhook",
                content=payload,
                headers={"stripe-signature": header, "content-type": "application/json"},
            )
            statuses.append(response.status_code)
    return statuses
