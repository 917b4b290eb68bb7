"""Do the card prices Stripe charges match the plans? (``kasane billing check-prices``)

The pages, quotations and invoices take their figures from :mod:`kasane.tenants.plans`;
card Checkout charges the Stripe price each plan names (``KASANE_STRIPE_PRICE_*``), which
the operator creates in Stripe. This reads each of those prices and names any whose amount,
currency or interval is not the plan's, so the two can never drift apart silently: run it
after setting the price ids and at each deploy (``infra/operations.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from kasane.settings import Settings
from kasane.tenants.plans import PLANS


async def price_problems(settings: Settings) -> list[str]:
    """One line per plan whose Stripe price is unreadable or differs from the plan."""
    # here: the stripe library is not every CLI command's to load
    from kasane.tenants.billing.interface import BillingError
    from kasane.tenants.billing.stripe_billing import call, make_client

    client = make_client(settings)
    problems = []
    for plan in PLANS:
        price_id = plan.price_id(settings)
        try:
            found: Any = await call(lambda pid=price_id: client.v1.prices.retrieve(pid))
        except BillingError as exc:  # what ``call`` makes of a Stripe error
            problems.append(f"{plan.key}: {price_id} cannot be read ({exc})")
            continue
        price = found.to_dict()
        recurring = price.get("recurring") or {}
        charged = (
            price.get("unit_amount"),
            price.get("currency"),
            recurring.get("interval"),
            recurring.get("interval_count", 1),
        )
        if charged != (plan.monthly_yen, "jpy", "month", 1):
            amount, currency, interval, count = charged
            problems.append(
                f"{plan.key}: {price_id} charges {amount} {currency} every {count} {interval}; "
                f"the plan says {plan.monthly_yen} jpy a month (excluding tax)"
            )
    return problems


def cmd_check_prices(_args: argparse.Namespace, settings: Settings) -> int:
    problems = asyncio.run(price_problems(settings))
    for line in problems:
        print(line, file=sys.stderr)
    print("prices: differ" if problems else "prices: every plan's Stripe price is the plan's")
    return 1 if problems else 0


def add_check_prices_command(billing: Any) -> None:
    """``check-prices`` under ``kasane billing``."""
    check = billing.add_parser(
        "check-prices",
        help="check that the Stripe prices card Checkout charges are the plans' (exit 1 if not)",
    )
    check.set_defaults(func=cmd_check_prices)
