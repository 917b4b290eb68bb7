"""Buying and moving in, in the browser (issue 19).

A section chief views the prices, downloads a quotation (its PDF text read with pypdf),
signs the town up paying by invoice and sees the first invoice; the new admin downloads
it (a 適格請求書); a signed ``invoice.paid`` webhook makes the town active. Another town,
whose invoice stays unpaid past the grace period, is suspended by the sweep. Then the
admin imports the sample caseload (docs/samples) with the progress bar, and undoes it.
axe on every page; screenshots at 1366 and 390 px when ``KASANE_SHOTS`` names a folder.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from kasane.core.caseload.sample import sample_rows
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.tenants.billing.invoicing import do_start_invoice_billing
from kasane.tenants.billing.local_billing import LocalBilling
from kasane.tenants.billing.models import BillingInvoice
from kasane.tenants.billing.services import do_billing_sweep
from kasane.tenants.contract import contract_amounts
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.plans import PLANS, find_plan
from kasane.tenants.signup import SignupForm, do_signup
from tests.billing_fixtures import event, sign
from tests.conftest import REPO
from tests.e2e.conftest import LiveServer, assert_accessible, run_in_db
from tests.integration.test_caseload_import import csv_bytes

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("KASANE_SHOTS", "")
SAMPLE = REPO / "docs" / "samples" / "caseload-sample.xlsx"
# 大分県's towns from the back (the billing walk takes them from the front)
OITA = iter(
    sorted((c for c, m in all_municipalities().items() if m.prefecture == "大分県"), reverse=True)
)
WIDTHS = ((1366, 768), (390, 844))

POST_FORM = """async selector => {
    const form = document.querySelector(selector);
    const r = await fetch(form.action, {method: "POST", body: new FormData(form)});
    const bytes = Array.from(new Uint8Array(await r.arrayBuffer()));
    return [r.status, r.headers.get("content-type"), bytes];
}"""
GET_BYTES = """async url => {
    const r = await fetch(url);
    const bytes = Array.from(new Uint8Array(await r.arrayBuffer()));
    return [r.status, r.headers.get("content-type"), bytes];
}"""


def pdf_text(body: list[int]) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(body))).pages)


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{page.viewport_size['width']}.png", full_page=True)  # type: ignore[index]


def tenant_row(live_server: LiveServer, slug: str) -> Tenant:
    async def go(db: Database) -> Tenant:
        async with db.session() as s:
            return (await s.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()

    return run_in_db(live_server, go)  # type: ignore[no-any-return]


def post_webhook(live_server: LiveServer, type_: str, obj: dict[str, Any]) -> str:
    payload = event(type_, obj)
    request = urllib.request.Request(
        live_server.url(None) + "/stripe/webhook",
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload, live_server.env.settings.stripe_webhook_secret),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["outcome"])


# The lines each element's text takes (one rectangle per line of the text's range).
PLAN_NAME_LINES = """els => els.map(e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
})"""


def test_a_town_buys_on_paper_and_moves_its_caseload_in(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    operator = live_server.url(None)
    settings = live_server.env.settings
    # the prices, on the operator's site, at both widths
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(operator + "/")
        for plan in PLANS:
            expect(page.locator("#prices")).to_contain_text(f"{plan.annual_yen_with_tax:,}")
        assert_accessible(page)
        shoot(page, "buying-prices")
    page.set_viewport_size({"width": 1366, "height": 768})

    # a quotation: a bad code is named, then 臼杵市's downloads as a numbered PDF
    page.locator("#quote-link").click()
    page.locator("#municipality_code").fill("442061")
    page.locator("#quote form button[type=submit]").click()
    expect(page.locator("#municipality_code-error")).to_be_visible()
    assert_accessible(page)
    page.locator("#municipality_code").fill("442062")
    page.locator("#plan-small").check()
    shoot(page, "buying-quote")
    # each plan's name stays on one line at a phone's width (200 % zoom): it broke into
    # 「中規／模」 once
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.eval_on_selector_all("#plan label strong", PLAN_NAME_LINES) == [1, 1, 1]
    page.set_viewport_size({"width": 1366, "height": 768})
    status, kind, body = page.evaluate(POST_FORM, "#quote form")
    assert (status, kind) == (200, "application/pdf")
    text = pdf_text(body)
    start = today_jst().replace(day=1)
    amounts = contract_amounts(find_plan("small"), start)  # type: ignore[arg-type]
    assert "見積書" in text and "臼杵市" in text and "適格請求書発行事業者登録番号" in text
    assert settings.operator_registration_number in text and f"{amounts.total:,}" in text

    # signing up, paying by invoice (60 days)
    code, slug = next(OITA), "furikomi"
    page.goto(operator + "/signup")
    page.locator("#municipality_code").fill(code)
    page.locator("#population").fill("9000")
    page.locator("#admin_name").fill("会計 三郎")
    page.locator("#admin_email").fill("saburo@furikomi.example.jp")
    page.locator("#slug").fill(slug)
    page.locator("#plan-small").check()
    page.locator("#method-invoice").check()
    page.locator("#days-60").check()
    page.locator("#signup form button[type=submit]").click()
    expect(page.locator("#first-invoice")).to_be_visible()
    assert_accessible(page)
    shoot(page, "buying-signed-up")
    invitation = page.locator("#invitation-link").inner_text()
    assert tenant_row(live_server, slug).status == "trial"

    # the new admin signs in and downloads the first invoice (適格請求書)
    town = live_server.url(slug)
    page.goto(invitation)
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#username").fill("saburo")
    page.locator("#password").fill("a-long-enough-password")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#invitation form button[type=submit]").click()
    expect(page).to_have_url(f"{town}/admin/setup")
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{town}/billing")
        expect(page.locator("#invoices tbody tr")).to_have_count(1)
        assert_accessible(page)
        shoot(page, "buying-billing")
    href = page.locator("#invoices a").get_attribute("href")
    status, kind, body = page.evaluate(GET_BYTES, href)
    assert (status, kind) == (200, "application/pdf")
    text = pdf_text(body)
    assert (
        "請求書" in text
        and "税率ごとの合計" in text
        and settings.operator_registration_number in text
    )
    assert f"{amounts.tax:,}" in text

    # the bank transfer arrives: Stripe's signed invoice.paid makes the town active
    row = tenant_row(live_server, slug)

    async def invoice_of(db: Database) -> BillingInvoice:
        async with db.session(row.id) as s:
            return (await s.execute(select(BillingInvoice))).scalar_one()

    invoice = run_in_db(live_server, invoice_of)
    paid = {
        "id": invoice.provider_invoice_id, "object": "invoice",
        "customer": row.stripe_customer_id, "subscription": row.stripe_subscription_id,
        "collection_method": "send_invoice", "status": "paid",
    }  # fmt: skip
    assert post_webhook(live_server, "invoice.paid", paid) == "applied"
    assert tenant_row(live_server, slug).status == "active"
    page.goto(f"{town}/billing")
    expect(page.locator("#invoices tbody")).to_contain_text("支払済み")

    # another town leaves its invoice unpaid: after the grace period it is suspended
    other = SignupForm(next(OITA), "5000", "未納 四郎", "shiro@late.example.jp", "minou", "small")
    late = run_in_db(live_server, lambda db: do_signup(db, other)).tenant
    run_in_db(
        live_server,
        lambda db: do_start_invoice_billing(
            db,
            LocalBilling(settings),
            late.id,
            find_plan("small"),
            today_jst(),
            30,
            today_jst(),  # type: ignore[arg-type]
        ),
    )
    later = datetime.now(UTC) + timedelta(days=30 + settings.billing_grace_days + 2)
    swept = run_in_db(live_server, lambda db: do_billing_sweep(db, settings, later))
    assert any("suspended minou" in line for line in swept), swept
    assert tenant_row(live_server, slug).status == "active"

    # moving in: a file with five planted errors shows exactly those, by row and column
    rows = sample_rows(8, seed=23)
    rows[0][2] = "1990-13-01"  # row 2, 生年月日: impossible
    rows[1][7] = "どこかの窓口"  # row 3, 相談窓口: unknown
    rows[2][5] = "123456789018"  # row 4, 電話: a My Number
    rows[4][0] = ""  # row 6, 氏名: empty
    rows[6][8] = "伝書鳩"  # row 8, 相談経路: unknown
    errors = tmp_path / "errors.csv"
    errors.write_bytes(csv_bytes(rows))
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{town}/admin/import")
        page.locator("#file").set_input_files(str(errors))
        page.locator("#upload-form button[type=submit]").click()
        page.locator("#check-button").click()
        problems = page.locator("#problems tbody tr")
        expect(problems).to_have_count(5)
        cells = [problems.nth(i).locator("td").nth(1).inner_text() for i in range(5)]
        assert cells == ["生年月日", "相談窓口", "電話", "氏名", "相談経路"]
        assert page.locator("#run-form").count() == 0
        assert_accessible(page)
        shoot(page, "buying-import-problems")

    # the sample caseload, mapped, checked, imported with a progress bar, undone
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{town}/admin/import")
    assert_accessible(page)
    page.locator("#file").set_input_files(str(SAMPLE))
    page.locator("#upload-form button[type=submit]").click()
    expect(page.locator("#mapping-form")).to_be_visible()
    assert_accessible(page)
    shoot(page, "buying-import-mapping")
    page.locator("#save_as").fill("旧システム")
    page.locator("#check-button").click()
    expect(page.locator("#check-ok")).to_be_visible()
    assert_accessible(page)
    shoot(page, "buying-import-checked")
    page.locator("#run-button").click()
    expect(page.locator("#import-done")).to_be_visible(timeout=60_000)
    assert_accessible(page)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        shoot(page, "buying-import-done")
    page.locator("#undo-button").click()
    expect(page.locator("#undone")).to_be_visible()
    assert_accessible(page)
