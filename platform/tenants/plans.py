"""Plans: tiers by population, each with its Stripe price id (from settings).

A municipality may take the tier its population falls in or any larger one; never a
smaller one. Prices are monthly, in yen, tax excluded (the amounts are placeholders until
the operator fixes the price list; Stripe's price object is what is actually charged).
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane.core.i18n import N_
from kasane.settings import Settings

TAX_RATE_PERCENT = 10  # 消費税 (standard rate); prices below exclude it
# The free trial has no fixed end yet: nothing is charged until the town pays by card
# (a trial length belongs to the buying issue; the pages say exactly this meanwhile).


@dataclass(frozen=True)
class Plan:
    key: str
    label: str  # msgid
    description: str  # msgid
    max_population: int | None  # exclusive upper bound; None = no bound
    monthly_yen: int

    @property
    def monthly_yen_with_tax(self) -> int:
        """The monthly price with consumption tax (10 %, rounded down as invoices do)."""
        return self.monthly_yen * (100 + TAX_RATE_PERCENT) // 100

    def covers(self, population: int) -> bool:
        return self.max_population is None or population < self.max_population

    def price_id(self, settings: Settings) -> str:
        """The Stripe price (or plan) id this tier is billed with."""
        return str(getattr(settings, f"stripe_price_{self.key}"))


PLANS: tuple[Plan, ...] = (
    Plan("small", N_("Small"), N_("Municipalities under 50,000 people"), 50_000, 30_000),
    Plan("medium", N_("Medium"), N_("Municipalities under 300,000 people"), 300_000, 80_000),
    Plan("large", N_("Large"), N_("Municipalities of 300,000 people or more"), None, 200_000),
)
PLANS_BY_KEY = {p.key: p for p in PLANS}


def get_plan(key: str) -> Plan | None:
    return PLANS_BY_KEY.get(key)


def plan_for_population(population: int) -> Plan:
    """The smallest tier that covers ``population``."""
    return next(p for p in PLANS if p.covers(population))


def plan_of_price(settings: Settings, price_id: str) -> Plan | None:
    """The tier billed with this Stripe price id, if any."""
    return next((p for p in PLANS if p.price_id(settings) == price_id), None)
