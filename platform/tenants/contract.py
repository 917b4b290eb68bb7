"""The fiscal-year contract (年度契約): periods, pro-ration and the amounts on paper.

Municipalities buy per fiscal year (April–March). A town that starts mid-year pays for the
remaining months of that year: 月割, the month it starts in counted in full (a budget is
requested in whole months, and a rule a clerk can check by hand beats day counting).
Consumption tax is computed once on the document's total at the standard rate, rounded
down (適格請求書: one rounding per tax rate and document).

Every figure a quotation, an invoice or the provider sees comes from :func:`contract_amounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kasane.tenants.plans import TAX_RATE_PERCENT, Plan, tax_of

PAYMENT_TERMS_DAYS = (30, 60)  # 請求書払い: due this many days after the invoice
QUOTE_VALID_DAYS = 90  # a quotation holds for this long (stated on it)


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度) a day falls in: 2026 for 2026-04-01 … 2027-03-31."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day of a fiscal year."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def months_left(start: date) -> int:
    """Months from ``start``'s month to March, both counted (12 from April)."""
    return (3 - start.month) % 12 + 1


def start_months(today: date) -> list[str]:
    """The months a contract may start (``YYYY-MM``): this month to the end of next
    fiscal year."""
    day = today.replace(day=1)
    last = fiscal_year_bounds(fiscal_year_of(day) + 1)[1]
    months = []
    while day <= last:
        months.append(f"{day:%Y-%m}")
        day = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
    return months


@dataclass(frozen=True)
class ContractAmounts:
    """One contract period's figures, in yen."""

    plan: Plan
    fiscal_year: int
    period_start: date  # the first of the start month
    period_end: date  # 31 March
    months: int
    subtotal: int  # tax excluded
    tax: int
    tax_rate: int = TAX_RATE_PERCENT

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    @property
    def prorated(self) -> bool:
        return self.months < 12


def contract_amounts(plan: Plan, start: date) -> ContractAmounts:
    """The contract from ``start`` to the end of its fiscal year (the whole year from April)."""
    fiscal_year = fiscal_year_of(start)
    months = months_left(start)
    subtotal = plan.monthly_yen * months
    return ContractAmounts(
        plan=plan,
        fiscal_year=fiscal_year,
        period_start=start.replace(day=1),
        period_end=fiscal_year_bounds(fiscal_year)[1],
        months=months,
        subtotal=subtotal,
        tax=tax_of(subtotal),
    )


def wareki_year(fiscal_year: int) -> str:
    """令和 year of a fiscal year, as staff write it (2026 → 令和8年度; 2019 → 令和元年度)."""
    n = fiscal_year - 2018
    return f"令和{'元' if n == 1 else n}年度"
