"""Plans: tiers by population, each with its Stripe price id (from settings).

A municipality may take the tier its population falls in or any larger one; never a
smaller one. Prices are monthly, in yen, tax excluded (the amounts are placeholders until
the operator fixes the price list). This module is the one source of every figure a town
sees: the price table, the quotation (見積書), the invoice (請求書) and the amounts the
billing code sends the provider are all computed here (:mod:`kasane.tenants.contract`
for the fiscal-year arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane.core.i18n import N_
from kasane.settings import Settings

TAX_RATE_PERCENT = 10  # 消費税 (standard rate); prices below exclude it
# The free trial has no fixed end yet: nothing is charged until the town pays by card
# (a trial length belongs to the buying issue; the pages say exactly this meanwhile).


def tax_of(amount_yen: int) -> int:
    """Consumption tax on an amount excluding tax, rounded down once per rate and
    document (インボイス制度: one rounding per tax rate on each invoice)."""
    return amount_yen * TAX_RATE_PERCENT // 100


def with_tax(amount_yen: int) -> int:
    return amount_yen + tax_of(amount_yen)


@dataclass(frozen=True)
class Plan:
    key: str
    label: str  # msgid
    description: str  # msgid
    max_population: int | None  # exclusive upper bound; None = no bound
    monthly_yen: int
    includes: tuple[str, ...] = ()  # msgids: what the plan includes, for the price table

    @property
    def annual_yen(self) -> int:
        """A whole fiscal year (April–March), tax excluded."""
        return self.monthly_yen * 12

    @property
    def annual_yen_with_tax(self) -> int:
        return with_tax(self.annual_yen)

    @property
    def monthly_yen_with_tax(self) -> int:
        """The monthly price with consumption tax (10 %, rounded down as invoices do)."""
        return with_tax(self.monthly_yen)

    def covers(self, population: int) -> bool:
        return self.max_population is None or population < self.max_population

    def price_id(self, settings: Settings) -> str:
        """The Stripe price (or plan) id this tier is billed with."""
        return str(getattr(settings, f"stripe_price_{self.key}"))


# What every plan includes; the larger plans add to it.
EVERY_PLAN = (
    N_("Every feature: intake, cases, meetings, participation, registry, figures"),
    N_("Unlimited staff accounts and agencies"),
    N_("Your own plugin and look; sign-in with your identity provider"),
    N_("Daily backups; data export at any time"),
)
PLANS: tuple[Plan, ...] = (
    Plan(
        "small",
        N_("Small"),
        N_("Municipalities under 50,000 people"),
        50_000,
        30_000,
        (*EVERY_PLAN, N_("Support by e-mail on working days")),
    ),
    Plan(
        "medium",
        N_("Medium"),
        N_("Municipalities under 300,000 people"),
        300_000,
        80_000,
        (*EVERY_PLAN, N_("Support by e-mail and telephone on working days")),
    ),
    Plan(
        "large",
        N_("Large"),
        N_("Municipalities of 300,000 people or more"),
        None,
        200_000,
        (
            *EVERY_PLAN,
            N_("Support by e-mail and telephone on working days"),
            N_("A named contact and an annual review meeting"),
        ),
    ),
)
PLANS_BY_KEY = {p.key: p for p in PLANS}


def find_plan(key: str) -> Plan | None:
    return PLANS_BY_KEY.get(key)


def plan_for_population(population: int) -> Plan:
    """The smallest tier that covers ``population``."""
    return next(p for p in PLANS if p.covers(population))


def plan_of_price(settings: Settings, price_id: str) -> Plan | None:
    """The tier billed with this Stripe price id, if any."""
    return next((p for p in PLANS if p.price_id(settings) == price_id), None)
