"""Buying on paper: quotations (見積書) and fiscal-year invoices (請求書払い).

Operator host: ``/quote`` — any town, before signing up, downloads a numbered quotation for
a fiscal year or the rest of one. Tenant host (the admin, ``tenant:billing:manage``):
``/billing/quote`` the same for the town itself, ``/billing/invoice`` starts the
fiscal-year contract paid by invoice, ``/billing/invoices/{id}/pdf`` downloads one (適格請求書).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from kasane.core.audit.services import do_audit
from kasane.core.auth.permissions import needs
from kasane.core.i18n import N_
from kasane.core.japan_time import today_jst
from kasane.core.meetings.papers_controllers import pdf_page
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login, requires_writable
from kasane.core.web.templating import render
from kasane.tenants.billing.controllers import (
    billing_of,
    billing_page_context,
    requires_operator_host,
)
from kasane.tenants.billing.documents import (
    check_quote_request,
    do_issue_quote,
    document_context,
    invoice_amounts,
    quote_amounts,
)
from kasane.tenants.billing.interface import BillingError
from kasane.tenants.billing.invoicing import do_start_invoice_billing
from kasane.tenants.billing.models import BillingInvoice
from kasane.tenants.contract import PAYMENT_TERMS_DAYS, QUOTE_VALID_DAYS, start_months
from kasane.tenants.controllers import OPERATOR_PREFIX
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import find_municipality
from kasane.tenants.plans import PLANS, TAX_RATE_PERCENT

log = logging.getLogger("kasane.billing")


def _quote_form(
    request: Request[Any, Any, Any], data: dict[str, str], problems: dict[str, str], status: int
) -> Response[str]:
    return render(
        request,
        "billing/quote",
        {
            "form": data,
            "problems": problems,
            "plans": PLANS,
            "months": start_months(today_jst()),
            "tax_rate": TAX_RATE_PERCENT,
            "valid_days": QUOTE_VALID_DAYS,
        },
        status_code=status,
        fragment=False,
    )


@get(f"{OPERATOR_PREFIX}/quote", name="quote_page")
async def quote_page(request: Request[Any, Any, Any]) -> Response[str]:
    requires_operator_host(request)
    today = today_jst()
    return _quote_form(request, {"plan": "small", "start": f"{today:%Y-%m}"}, {}, 200)


@post(f"{OPERATOR_PREFIX}/quote", name="quote_pdf", status_code=200)
async def quote_pdf(
    request: Request[Any, Any, Any], db_session: DbSession, data: FormBody
) -> Response[Any]:
    """A numbered quotation PDF; the form again (422) naming each field that is wrong."""
    requires_operator_host(request)
    code = (data.get("municipality_code") or "").strip()
    municipality = find_municipality(code) if code else None
    today = today_jst()
    problems, plan, start = check_quote_request(
        municipality, data.get("plan", ""), data.get("start", ""), today
    )
    if problems or municipality is None or plan is None or start is None:
        return _quote_form(request, data, problems, 422)
    quote = await do_issue_quote(db_session, municipality, plan, start, today)
    return await _quote_answer(request, quote)


async def _quote_answer(request: Request[Any, Any, Any], quote: Any) -> Response[bytes]:
    ctx = document_context(
        "quote",
        request.app.state.settings,
        number=quote.number,
        buyer=quote.municipality_name,
        amounts=quote_amounts(quote),
        issued_on=quote.issued_on,
        valid_until=quote.valid_until,
        payment_days=PAYMENT_TERMS_DAYS[0],
    )
    return await pdf_page(request, "billing/document_pdf", ctx, f"quote-{quote.number}.pdf")


# ------------------------------------------------------------------ the tenant admin


@post(
    "/billing/quote",
    name="tenant_billing_quote",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_quote(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    """The town's own quotation (for next year's budget request, say)."""
    row = await db_session.get(Tenant, actor.tenant_id)
    assert row is not None
    municipality = find_municipality(row.municipality_code)
    problems, plan, start = check_quote_request(
        municipality, data.get("plan", ""), data.get("start", ""), today_jst()
    )
    if problems or municipality is None or plan is None or start is None:
        return await _billing_page(request, db_session, actor, problems, 422)
    quote = await do_issue_quote(db_session, municipality, plan, start, today_jst())
    await do_audit(db_session, actor.ref, "billing.quote", f"billing_quote:{quote.number}")
    return await _quote_answer(request, quote)


@post(
    "/billing/invoice",
    name="tenant_billing_invoice",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_start_invoice(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    """Start the fiscal-year contract paid by invoice; the first invoice is issued now."""
    requires_writable(request)
    row = await db_session.get(Tenant, actor.tenant_id)
    assert row is not None
    problems, plan, start = check_quote_request(
        find_municipality(row.municipality_code),
        data.get("plan", ""),
        data.get("start", ""),
        today_jst(),
    )
    days = int(data["payment_days"]) if data.get("payment_days", "").isdigit() else 0
    if days not in PAYMENT_TERMS_DAYS:
        problems["payment_days"] = N_("Choose 30 or 60 days")
    if row.billing_method == "invoice" and row.stripe_subscription_id:
        problems["plan"] = N_("The fiscal-year contract has already started")
    if problems or plan is None or start is None:
        return await _billing_page(request, db_session, actor, problems, 422)
    await db_session.commit()  # the service uses its own transactions
    try:
        await do_start_invoice_billing(
            request.app.state.db,
            billing_of(request),
            actor.tenant_id,
            plan,
            start,
            days,
            today_jst(),
        )
    except BillingError as exc:
        log.warning("invoice billing unavailable: %s", exc)
        return render(request, "onboarding/billing_unavailable", status_code=503, fragment=False)
    return Redirect("/billing?invoiced=1", status_code=303)


@get(
    "/billing/invoices/{invoice_id:uuid}/pdf",
    name="tenant_invoice_pdf",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_invoice_pdf(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    invoice_id: FromPath[uuid.UUID],
) -> Response[bytes]:
    """One invoice as a 適格請求書 PDF (another tenant's id is simply not found)."""
    invoice = (
        await db_session.execute(select(BillingInvoice).where(BillingInvoice.id == invoice_id))
    ).scalar_one_or_none()
    if invoice is None:
        raise NotFoundException()
    row = await db_session.get(Tenant, actor.tenant_id)
    assert row is not None
    await do_audit(db_session, actor.ref, "billing.invoice_read", f"billing_invoice:{invoice.id}")
    ctx = document_context(
        "invoice",
        request.app.state.settings,
        number=invoice.number,
        buyer=row.name,
        amounts=invoice_amounts(invoice),
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        payment_days=(invoice.due_on - invoice.issued_on).days,
    )
    return await pdf_page(request, "billing/document_pdf", ctx, f"invoice-{invoice.number}.pdf")


async def _billing_page(
    request: Request[Any, Any, Any],
    db_session: Any,
    actor: Any,
    problems: dict[str, str],
    status: int,
) -> Response[str]:
    ctx = await billing_page_context(request, db_session, actor.tenant_id)
    return render(
        request,
        "onboarding/billing",
        {**ctx, "problems": problems},
        status_code=status,
        fragment=False,
    )


ROUTES: list[Any] = [quote_page, quote_pdf, tenant_quote, tenant_start_invoice, tenant_invoice_pdf]
