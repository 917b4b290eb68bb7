"""Buying the way a municipality does: prices, a quotation PDF, the fiscal-year contract
paid by invoice, its 適格請求書, the paid webhook and an unpaid invoice's suspension.

Local billing with localstripe: the customer is localstripe's; the invoice, its
``send_invoice`` collection, the due date and the bank transfer are the local
implementation's (localstripe has no stand-alone invoices and no such endpoints).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.tenants.billing.models import BillingInvoice, BillingQuote
from kasane.tenants.billing.services import do_billing_sweep
from kasane.tenants.contract import contract_amounts, months_left
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.plans import PLANS, find_plan
from tests.billing_fixtures import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    event,
    localstripe_server,  # noqa: F401  (registers the fixture)
    sign,
    stripe_get,
)
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client

# 香川県's municipalities other than 丸亀市 (a demo tenant); test_billing takes them from the
# front, this module from the back, so the two never sign the same town up.
KAGAWA = iter(
    sorted(
        (c for c, m in all_municipalities().items() if m.prefecture == "香川県" and c != "372021"),
        reverse=True,
    )
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, localstripe: str) -> Env:
    base = _make_sqlite_env(tmp_path_factory.mktemp("contract"))
    settings = replace(
        base.settings,
        billing="local",
        stripe_api_base=localstripe,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    return Env(settings, "sqlite")


@pytest.fixture
def operator(env: Env) -> Iterator[TestClient]:
    with tenant_client(env, None) as client:
        yield client


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def tenant_row(env: Env, slug: str) -> Tenant:
    async def go(db: Database) -> Tenant:
        async with db.session() as s:
            return (await s.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()

    return env.run(go)


def invoices_of(env: Env, tenant_id: uuid.UUID) -> list[BillingInvoice]:
    async def go(db: Database) -> list[BillingInvoice]:
        async with db.session(tenant_id) as s:
            return list((await s.execute(select(BillingInvoice))).scalars())

    return env.run(go)


# ------------------------------------------------------------------ the arithmetic


def test_a_mid_year_start_pays_the_remaining_months_with_tax_once() -> None:
    small = find_plan("small")
    assert small is not None
    # a whole year from April; October to March is six months, the start month in full
    whole = contract_amounts(small, date(2026, 4, 1))
    half = contract_amounts(small, date(2026, 10, 20))
    assert (whole.months, whole.subtotal, whole.tax, whole.total) == (12, 360_000, 36_000, 396_000)
    assert (half.months, half.subtotal, half.total) == (6, 180_000, 198_000)
    assert (half.period_start, half.period_end) == (date(2026, 10, 1), date(2027, 3, 31))
    assert (
        months_left(date(2027, 3, 5)) == 1
        and contract_amounts(small, date(2027, 1, 1)).fiscal_year == 2026
    )


# ------------------------------------------------------------------ prices and quotation


def test_the_price_table_shows_the_figures_billing_uses(operator: TestClient) -> None:
    page = operator.get("/")
    signup = operator.get("/signup")
    for plan in PLANS:
        for figure in (plan.monthly_yen, plan.monthly_yen_with_tax, plan.annual_yen_with_tax):
            assert f"{figure:,}" in page.text
        assert f"{plan.monthly_yen_with_tax:,}" in signup.text
        assert f'id="includes-{plan.key}"' in page.text
    assert 'id="quote-link"' in page.text


def test_a_town_downloads_a_numbered_quotation_before_signing_up(
    env: Env, operator: TestClient
) -> None:
    page = operator.get("/quote")
    assert page.status_code == 200
    start = today_jst().replace(day=1)
    # when 臼杵市 asks for the small plan from this month
    r = operator.post(
        "/quote",
        data={
            "municipality_code": "442062",
            "plan": "small",
            "start": f"{start:%Y-%m}",
            "_csrf_token": csrf_of(page.text),
        },
    )
    # then it gets a PDF naming the town, the number, the operator's 登録番号 and the amounts
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    amounts = contract_amounts(find_plan("small"), start)  # type: ignore[arg-type]
    number = re.search(r"Q\d{8}-[0-9A-F]{6}", text)
    assert number and "臼杵市" in text and env.settings.operator_registration_number in text
    assert f"{amounts.total:,}" in text and f"{amounts.tax:,}" in text

    async def stored(db: Database) -> BillingQuote | None:
        async with db.session() as s:
            return await s.get(BillingQuote, number.group(0))  # type: ignore[union-attr]

    quote = env.run(stored)
    assert quote is not None and quote.subtotal_yen + quote.tax_yen == amounts.total


def test_a_bad_quotation_request_names_each_field(operator: TestClient) -> None:
    page = operator.get("/quote")
    r = operator.post(
        "/quote",
        data={
            "municipality_code": "442061",
            "plan": "huge",
            "start": "1999-01",
            "_csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 422
    for field in ("municipality_code-error", "plan-error", "start-error"):
        assert f'id="{field}"' in r.text


# ------------------------------------------------------------------ invoice billing


def signup_on_invoice(operator: TestClient, slug: str, days: str = "30"):  # type: ignore[no-untyped-def]
    page = operator.get("/signup")
    return operator.post(
        "/signup",
        data={
            "municipality_code": next(KAGAWA),
            "population": "30000",
            "admin_name": "会計 花子",
            "admin_email": "kaikei@example.jp",
            "slug": slug,
            "plan": "small",
            "billing_method": "invoice",
            "payment_days": days,
            "_csrf_token": csrf_of(page.text),
        },
    )


def test_signup_on_invoice_issues_the_first_invoice_and_payment_activates(
    env: Env, operator: TestClient, localstripe: str
) -> None:
    # when a town signs up paying by invoice, 60 days
    r = signup_on_invoice(operator, "inv-town", "60")
    assert r.status_code == 201 and 'id="first-invoice"' in r.text
    row = tenant_row(env, "inv-town")
    (invoice,) = invoices_of(env, row.id)
    amounts = contract_amounts(find_plan("small"), today_jst())  # type: ignore[arg-type]
    # then the invoice asks for the pro-rated rest of the year, due in 60 days
    assert (row.status, row.billing_method) == ("trial", "invoice")
    assert (invoice.subtotal_yen, invoice.tax_yen) == (amounts.subtotal, amounts.tax)
    assert invoice.due_on == today_jst() + timedelta(days=60) and invoice.status == "open"
    # … for the customer localstripe holds (its invoices are the local implementation's)
    assert stripe_get(localstripe, f"/v1/customers/{row.stripe_customer_id}")["id"]
    # when the paid webhook arrives (a bank transfer reached Stripe)
    paid = {
        "id": invoice.provider_invoice_id,
        "object": "invoice",
        "customer": row.stripe_customer_id,
        "subscription": row.stripe_subscription_id,
        "collection_method": "send_invoice",
        "status": "paid",
    }
    payload = event("invoice.paid", paid)
    answer = operator.post(
        "/stripe/webhook",
        content=payload,
        headers={"stripe-signature": sign(payload), "content-type": "application/json"},
    )
    # then the town is active and its invoice paid
    assert answer.json()["outcome"] == "applied"
    assert tenant_row(env, "inv-town").status == "active"
    assert invoices_of(env, row.id)[0].status == "paid"


def test_an_unpaid_invoice_suspends_after_the_grace_period(env: Env, operator: TestClient) -> None:
    assert signup_on_invoice(operator, "late-town").status_code == 201
    row = tenant_row(env, "late-town")
    (invoice,) = invoices_of(env, row.id)
    due = datetime.combine(invoice.due_on, datetime.min.time(), UTC)
    # before the due date nothing happens; the day after, it is past due
    env.run(lambda db: do_billing_sweep(db, env.settings, due))
    assert tenant_row(env, "late-town").status == "trial"
    env.run(lambda db: do_billing_sweep(db, env.settings, due + timedelta(days=2)))
    assert tenant_row(env, "late-town").status == "past_due"
    # after the grace period it is suspended (read-only); usuki is untouched
    later = due + timedelta(days=env.settings.billing_grace_days + 2)
    lines = env.run(lambda db: do_billing_sweep(db, env.settings, later))
    assert any("suspended late-town" in line for line in lines)
    assert tenant_row(env, "late-town").status == "suspended"
    assert tenant_row(env, "usuki").status != "suspended"


def test_the_admin_starts_the_contract_and_downloads_a_qualified_invoice(env: Env) -> None:
    with tenant_client(env, "marugame") as town:
        assert login(town, "admin").status_code == 302
        page = town.get("/billing")
        assert page.status_code == 200 and 'id="invoice-form"' in page.text
        start = today_jst().replace(day=1)
        # a bad choice is named, nothing is issued
        bad = town.post(
            "/billing/invoice",
            data={
                "plan": "small",
                "start": "2001-01",
                "payment_days": "45",
                "_csrf_token": csrf_of(page.text),
            },
        )
        assert bad.status_code == 422 and 'id="start-error"' in bad.text
        assert 'id="payment_days-error"' in bad.text
        assert invoices_of(env, env.tenant_id("marugame")) == []
        # a quotation for the budget request
        quote = town.post(
            "/billing/quote",
            data={"plan": "medium", "start": f"{start:%Y-%m}", "_csrf_token": csrf_of(page.text)},
        )
        assert quote.status_code == 200 and "丸亀市" in pdf_text(quote.content)
        # the contract
        r = town.post(
            "/billing/invoice",
            data={
                "plan": "medium",
                "start": f"{start:%Y-%m}",
                "payment_days": "30",
                "_csrf_token": csrf_of(page.text),
            },
        )
        refused = re.findall(r'id="[a-z_]+-error"[^>]*>([^<]*)<', r.text)
        assert r.status_code == 200 and 'id="invoiced"' in r.text, refused
        link = re.search(r'href="(/billing/invoices/[0-9a-f-]+/pdf)"', r.text)
        assert link
        pdf = town.get(link.group(1))
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    amounts = contract_amounts(find_plan("medium"), start)  # type: ignore[arg-type]
    # 適格請求書: the issuer's registration number, totals per tax rate, the due date
    assert env.settings.operator_registration_number in text
    assert f"{amounts.subtotal:,}" in text and f"{amounts.tax:,}" in text
    assert f"{amounts.total:,}" in text and "丸亀市" in text
    # another tenant's admin does not find it
    with tenant_client(env, "usuki") as usuki:
        assert login(usuki, "admin").status_code == 302
        assert usuki.get(link.group(1)).status_code == 404


@pytest.mark.postgres
def test_invoice_billing_works_as_the_app_role_on_postgres(pg_env: Env) -> None:
    env = Env(replace(pg_env.settings, stripe_webhook_secret=WEBHOOK_SECRET), "postgres")
    slug = "pginv-" + uuid.uuid4().hex[:6]
    with tenant_client(env, None) as operator:
        assert signup_on_invoice(operator, slug).status_code == 201
    row = tenant_row(env, slug)
    (invoice,) = invoices_of(env, row.id)
    due = datetime.combine(invoice.due_on, datetime.min.time(), UTC)
    later = due + timedelta(days=env.settings.billing_grace_days + 2)
    env.run(lambda db: do_billing_sweep(db, env.settings, later))
    assert tenant_row(env, slug).status == "suspended"


@pytest.mark.postgres
def test_a_quotation_is_numbered_and_kept_as_the_app_role_on_postgres(pg_env: Env) -> None:
    env = Env(replace(pg_env.settings, stripe_webhook_secret=WEBHOOK_SECRET), "postgres")
    with tenant_client(env, None) as operator:
        page = operator.get("/quote")
        r = operator.post(
            "/quote",
            data={
                "municipality_code": "442062",
                "plan": "small",
                "start": f"{today_jst():%Y-%m}",
                "_csrf_token": csrf_of(page.text),
            },
        )
    assert r.status_code == 200 and re.search(r"Q\d{8}-[0-9A-F]{6}", pdf_text(r.content))
