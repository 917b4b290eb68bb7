"""The real Stripe invoice path (issue 19): ``StripeBilling.create_invoice_subscription``
through the official ``stripe`` library, against a front that serves the endpoints
localstripe lacks (tax rates, a ``send_invoice`` subscription, finalize, send) the way
Stripe answers them and records what Kasane sent.

What Stripe must receive: a yearly subscription collected by invoice (due in 30 or 60
days), payable by Japanese bank transfer, anchored on the next 1 April (JST), the pro-rated
rest of the fiscal year as a one-off item, 10 % 消費税 as the default tax rate — one rate
for the account, not one per contract — and the first invoice finalized and sent.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from kasane.core.japan_time import JST
from kasane.settings import Settings
from kasane.tenants.billing.interface import BillingAccount, IssuedInvoice
from kasane.tenants.billing.stripe_billing import StripeBilling
from kasane.tenants.contract import ContractAmounts, contract_amounts
from kasane.tenants.plans import find_plan
from tests.billing_fixtures import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeFront,
    localstripe_server,  # noqa: F401  (registers the fixture)
    own_stripe_front,  # noqa: F401  (registers the fixture)
)
from tests.conftest import Env

OCTOBER_START = date(2026, 10, 20)  # mid-year: October to March, six months
NEXT_APRIL = int(datetime.combine(date(2027, 4, 1), time(), JST).timestamp())


def billing_at(env: Env, front: StripeFront, **changes: str) -> StripeBilling:
    settings: Settings = replace(
        env.settings,
        billing="stripe",
        stripe_api_base=front.url,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        **changes,
    )
    return StripeBilling(settings)


def small_from_october() -> ContractAmounts:
    plan = find_plan("small")
    assert plan is not None
    return contract_amounts(plan, OCTOBER_START)


def issue(billing: StripeBilling, slug: str, number: str, days: int) -> IssuedInvoice:
    """A customer (kept by localstripe, through the front) and its invoice subscription."""

    async def go() -> IssuedInvoice:
        account = BillingAccount(uuid.uuid4(), slug)
        customer = await billing.create_customer(account)
        return await billing.create_invoice_subscription(
            replace(account, customer_id=customer),
            small_from_october(),
            number=number,
            days_until_due=days,
        )

    return asyncio.run(go())


@pytest.mark.parametrize("days", [30, 60])
def test_the_subscription_is_billed_by_invoice_payable_by_bank_transfer(
    sqlite_env: Env, front: StripeFront, days: int
) -> None:
    # when a town's fiscal-year contract is issued through the real implementation
    billing = billing_at(sqlite_env, front)
    issued = issue(billing, "invoice-path", "INV-2026-0001", days)
    amounts = small_from_october()
    (sub,) = front.posted("/v1/subscriptions")
    # then Stripe is asked for a subscription collected by sending the invoice, due in `days`
    assert sub["collection_method"] == "send_invoice"
    assert sub["days_until_due"] == str(days)
    # … payable by Japanese bank transfer (the customer's balance) …
    assert sub["payment_settings[payment_method_types][0]"] == "customer_balance"
    options = "payment_settings[payment_method_options][customer_balance]"
    assert sub[f"{options}[funding_type]"] == "bank_transfer"
    assert sub[f"{options}[bank_transfer][type]"] == "jp_bank_transfer"
    # … renewing yearly from the next 1 April at the plan's annual price, with no proration
    # of Stripe's own: the first invoice carries the rest of this fiscal year as one item
    assert sub["billing_cycle_anchor"] == str(NEXT_APRIL)
    assert sub["items[0][price_data][recurring][interval]"] == "year"
    assert sub["items[0][price_data][unit_amount]"] == str(amounts.plan.annual_yen)
    assert sub["proration_behavior"] == "none"
    assert amounts.months == 6 and amounts.subtotal == 6 * amounts.plan.monthly_yen
    assert sub["add_invoice_items[0][price_data][unit_amount]"] == str(amounts.subtotal)
    assert sub["add_invoice_items[0][price_data][currency]"] == "jpy"
    # … with 10 % consumption tax, and Kasane's invoice number in the metadata
    (rate,) = front.tax_rates
    assert sub["default_tax_rates[0]"] == rate["id"]
    assert (rate["percentage"], rate["inclusive"], rate["country"]) == (10.0, False, "JP")
    assert sub["metadata[invoice]"] == "INV-2026-0001" and sub["metadata[plan]"] == "small"
    # and the first invoice (a draft for an hour otherwise) is finalized, then sent
    invoice = issued.invoice_id
    calls = [p for m, p, _f in front.requests if m == "POST" and p.startswith("/v1/invoices/")]
    assert calls == [f"/v1/invoices/{invoice}/finalize", f"/v1/invoices/{invoice}/send"]
    assert front.posted(f"/v1/invoices/{invoice}/finalize") == [{"auto_advance": "true"}]
    assert issued.subscription_id.startswith("sub_")


def test_two_contracts_share_one_tax_rate(sqlite_env: Env, front: StripeFront) -> None:
    # when two towns' contracts are issued, by two instances (two requests, or processes)
    first = issue(billing_at(sqlite_env, front), "tax-one", "INV-1", 30)
    second = issue(billing_at(sqlite_env, front), "tax-two", "INV-2", 60)
    # then one tax rate was created, and both subscriptions use it
    assert first.invoice_id != second.invoice_id
    assert len(front.posted("/v1/tax_rates")) == 1
    (rate,) = front.tax_rates
    assert [s["default_tax_rates[0]"] for s in front.posted("/v1/subscriptions")] == [
        rate["id"],
        rate["id"],
    ]


def test_a_configured_tax_rate_is_used_as_is(sqlite_env: Env, front: StripeFront) -> None:
    billing = billing_at(sqlite_env, front, stripe_tax_rate="txr_configured")
    issue(billing, "tax-set", "INV-3", 30)
    assert front.tax_rates == [] and front.posted("/v1/tax_rates") == []
    assert front.posted("/v1/subscriptions")[0]["default_tax_rates[0]"] == "txr_configured"
