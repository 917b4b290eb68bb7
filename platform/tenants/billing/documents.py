"""Quotations (見積書) and invoices (適格請求書) as documents: numbers, dates, the seller.

Both are drawn from :func:`kasane.tenants.contract.contract_amounts`, so the paper, the
price table and what the provider charges agree to the yen. The seller's name, address,
登録番号 and bank account come from settings (``KASANE_OPERATOR_*``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.i18n import N_
from kasane.settings import Settings
from kasane.tenants.billing.models import BillingInvoice, BillingQuote
from kasane.tenants.contract import (
    QUOTE_VALID_DAYS,
    ContractAmounts,
    contract_amounts,
    fiscal_year_bounds,
    start_months,
    wareki_year,
)
from kasane.tenants.municipalities import Municipality
from kasane.tenants.plans import TAX_RATE_PERCENT, Plan, find_plan


def new_number(prefix: str, day: date) -> str:
    """``Q20260415-3F9A1C``: the issue day and six random hex digits (no counter to race
    on; unique by the table's key)."""
    return f"{prefix}{day:%Y%m%d}-{secrets.token_hex(3).upper()}"


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    registration_number: str
    bank_account: str

    @classmethod
    def of(cls, settings: Settings) -> Seller:
        return cls(
            settings.operator_name,
            settings.operator_address,
            settings.operator_registration_number,
            settings.operator_bank_account,
        )


def check_quote_request(
    municipality: Municipality | None, plan_key: str, start: str, today: date
) -> tuple[dict[str, str], Plan | None, date | None]:
    """Problems per field (msgids), the plan and the contract's first day."""
    problems: dict[str, str] = {}
    if municipality is None:
        problems["municipality_code"] = N_("No municipality has this code")
    plan = find_plan(plan_key)
    if plan is None:
        problems["plan"] = N_("Choose a plan")
    elif municipality and municipality.population and not plan.covers(municipality.population):
        problems["plan"] = N_("This plan does not cover your population; choose a larger one")
    first: date | None = None
    try:
        year, month = (int(x) for x in start.split("-")[:2])
        first = date(year, month, 1)
    except ValueError:
        problems["start"] = N_("Choose the month the contract starts")
    else:
        if f"{first:%Y-%m}" not in start_months(today):
            problems["start"] = N_("Choose a month from this month to the end of next fiscal year")
    return problems, plan, first


async def do_issue_quote(
    s: AsyncSession,
    municipality: Municipality,
    plan: Plan,
    start: date,
    today: date,
) -> BillingQuote:
    """Number and record a quotation (a platform row: the town's public name, no person)."""
    amounts = contract_amounts(plan, start)
    quote = BillingQuote(
        number=new_number("Q", today),
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        plan=plan.key,
        fiscal_year=amounts.fiscal_year,
        period_start=amounts.period_start,
        months=amounts.months,
        subtotal_yen=amounts.subtotal,
        tax_yen=amounts.tax,
        issued_on=today,
        valid_until=today + timedelta(days=QUOTE_VALID_DAYS),
    )
    s.add(quote)
    await s.flush()
    return quote


def document_context(
    kind: str,
    settings: Settings,
    *,
    number: str,
    buyer: str,
    amounts: ContractAmounts,
    issued_on: date,
    **extra: Any,
) -> dict[str, Any]:
    """What the PDF templates show: one dict for a quotation or an invoice."""
    plan = amounts.plan
    return {
        "kind": kind,
        "number": number,
        "buyer": buyer,
        "seller": Seller.of(settings),
        "plan": plan,
        "amounts": amounts,
        "fiscal_year_label": wareki_year(amounts.fiscal_year),
        "issued_on": issued_on,
        "tax_rate": TAX_RATE_PERCENT,
        "grace_days": settings.billing_grace_days,
        **extra,
    }


def invoice_amounts(invoice: BillingInvoice) -> ContractAmounts:
    """The figures stored on an invoice (as issued, even if the price list changed since)."""
    plan = find_plan(invoice.plan)
    assert plan is not None
    return ContractAmounts(
        plan=plan,
        fiscal_year=invoice.fiscal_year,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        months=invoice.months,
        subtotal=invoice.subtotal_yen,
        tax=invoice.tax_yen,
    )


def quote_amounts(quote: BillingQuote) -> ContractAmounts:
    plan = find_plan(quote.plan)
    assert plan is not None
    return ContractAmounts(
        plan=plan,
        fiscal_year=quote.fiscal_year,
        period_start=quote.period_start,
        period_end=fiscal_year_bounds(quote.fiscal_year)[1],
        months=quote.months,
        subtotal=quote.subtotal_yen,
        tax=quote.tax_yen,
    )
