"""``kasane billing check-prices`` (issue 19, one source of prices): card Checkout charges the
Stripe price each plan names, while every page, quotation and invoice takes its figures from
``kasane.tenants.plans``; the command reads those prices from Stripe (the tests' front, which
answers ``/v1/prices`` as Stripe does) and names any that is not the plan's."""

from __future__ import annotations

import os
import subprocess
import sys

from kasane.tenants.plans import PLANS
from tests.billing_fixtures import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeFront,
    localstripe_server,  # noqa: F401  (registers the fixture)
    own_stripe_front,  # noqa: F401  (registers the fixture)
)
from tests.conftest import Env


def check_prices(env: Env, front: StripeFront) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "KASANE_DATABASE_URL": env.settings.database_url,
        "KASANE_VAR_DIR": str(env.settings.var_dir),
        "KASANE_BILLING": "stripe",
        "KASANE_STRIPE_API_BASE": front.url,
        "KASANE_STRIPE_SECRET_KEY": SECRET_KEY,
        "KASANE_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    command = [sys.executable, "-m", "kasane.cli", "billing", "check-prices"]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60)


def monthly(yen: int) -> dict[str, object]:
    return {"unit_amount": yen, "currency": "jpy", "recurring": {"interval": "month"}}


def test_prices_that_are_the_plans_pass_and_a_drifted_one_is_named(
    sqlite_env: Env, front: StripeFront
) -> None:
    # given the operator made each plan's price in Stripe at the plan's monthly amount
    for plan in PLANS:
        front.prices[plan.price_id(sqlite_env.settings)] = monthly(plan.monthly_yen)
    done = check_prices(sqlite_env, front)
    assert done.returncode == 0, done.stderr
    assert "every plan's Stripe price is the plan's" in done.stdout
    asked = [path for method, path, _ in front.requests if method == "GET"]
    assert asked == [f"/v1/prices/{p.price_id(sqlite_env.settings)}" for p in PLANS]
    # when one price charges another amount and another is yearly, and one is missing
    small, medium, large = (p.price_id(sqlite_env.settings) for p in PLANS[:3])
    front.prices[small] = monthly(PLANS[0].monthly_yen + 1_000)
    front.prices[medium] = {**monthly(PLANS[1].monthly_yen), "recurring": {"interval": "year"}}
    del front.prices[large]
    done = check_prices(sqlite_env, front)
    # then the command fails and names each, with what it charges and what the plan says
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == (
        f"small: {small} charges {PLANS[0].monthly_yen + 1_000} jpy every 1 month; "
        f"the plan says {PLANS[0].monthly_yen} jpy a month (excluding tax)"
    )
    assert lines[1].startswith(f"medium: {medium} charges") and "every 1 year" in lines[1]
    assert lines[2] == f"large: {large} cannot be read (billing provider: InvalidRequestError)"
