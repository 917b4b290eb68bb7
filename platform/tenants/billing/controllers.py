"""Billing routes: the Stripe webhook, the local Checkout and Customer Portal pages (local
billing only) on the operator host, and the admin's billing page on a tenant host, with the
start of Checkout both signup and the billing page use.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect

from kasane.core.auth.permissions import needs
from kasane.core.japan_time import today_jst
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login
from kasane.core.web.templating import render
from kasane.tenants.billing.interface import Billing, BillingError, WebhookInvalid, billing_for
from kasane.tenants.billing.invoicing import list_invoices
from kasane.tenants.billing.local_billing import LOCAL_PATH, LocalBilling, deliver
from kasane.tenants.billing.services import (
    STATUS_LABELS,
    do_ensure_customer,
    do_process_event,
    do_start_checkout,
)
from kasane.tenants.contract import PAYMENT_TERMS_DAYS, start_months
from kasane.tenants.controllers import OPERATOR_PREFIX
from kasane.tenants.models import Tenant
from kasane.tenants.plans import PLANS, TAX_RATE_PERCENT, find_plan

log = logging.getLogger("kasane.billing")


def billing_of(request: Request[Any, Any, Any]) -> Billing:
    """The app's billing implementation (``KASANE_BILLING``), made on first use."""
    state = request.app.state
    if state.get("billing") is None:
        state.billing = billing_for(state.settings)
    return state.billing  # type: ignore[no-any-return]


def requires_operator_host(request: Request[Any, Any, Any]) -> None:
    """Not found on a tenant host: the route is the operator host's."""
    if request.scope["state"].get("tenant") is not None:
        raise NotFoundException()


def origin(request: Request[Any, Any, Any], slug: str | None = None) -> str:
    """``http://localhost:8000`` (operator) or ``http://usuki.localhost:8000`` (tenant)."""
    base = request.app.state.settings.base_domain
    port = f":{request.url.port}" if request.url.port else ""
    return f"{request.url.scheme}://{f'{slug}.' if slug else ''}{base}{port}"


async def start_checkout(
    request: Request[Any, Any, Any], tenant_id: uuid.UUID, plan_key: str, success: str, cancel: str
) -> Response[Any]:
    """Redirect to Checkout for ``plan_key`` (the unavailable page when billing is down)."""
    plan = find_plan(plan_key)
    if plan is None:
        raise NotFoundException()
    try:
        url = await do_start_checkout(
            request.app.state.db, billing_of(request), tenant_id, plan, success, cancel
        )
    except BillingError as exc:
        log.warning("checkout unavailable: %s", exc)
        return render(request, "onboarding/billing_unavailable", status_code=503, fragment=False)
    return Redirect(url, status_code=303)


# ------------------------------------------------------------------ the webhook


@post(
    f"{OPERATOR_PREFIX}/stripe/webhook",
    name="stripe_webhook",
    # No CSRF token: Stripe cannot send one. The signature check below authenticates it.
    opt={"exclude_from_csrf": True},
)
async def stripe_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Verify, deduplicate and apply one event; 400 for a bad signature, else 200."""
    requires_operator_host(request)
    payload = await request.body()
    try:
        event = billing_of(request).parse_webhook(payload, request.headers.get("stripe-signature"))
    except WebhookInvalid as exc:
        log.warning("webhook refused: %s", exc)
        return Response({"error": "invalid signature"}, status_code=400)
    outcome, slug = await do_process_event(request.app.state.db, request.app.state.settings, event)
    log.info("webhook %s %s: %s (tenant %s)", event.id, event.type, outcome, slug or "-")
    if slug:
        request.app.state.resolver.forget(slug)  # the new status shows on the next request
    return Response({"received": True, "outcome": outcome}, status_code=200)


# ------------------------------------------------------------------ local Checkout and Portal


def _local(request: Request[Any, Any, Any]) -> LocalBilling:
    requires_operator_host(request)
    billing = billing_of(request)
    if not isinstance(billing, LocalBilling):
        raise NotFoundException()  # with real Stripe these pages do not exist
    return billing


@get(f"{OPERATOR_PREFIX}{LOCAL_PATH}/checkout", name="local_checkout")
async def local_checkout(
    request: Request[Any, Any, Any], session: FromQuery[str] = ""
) -> Response[str]:
    opened = _local(request).open_session(session, "checkout")
    if opened is None:
        raise NotFoundException()
    return render(
        request,
        "onboarding/local_checkout",
        {"session": session, "opened": opened, "plan": find_plan(opened.plan or "")},
        fragment=False,
    )


@post(f"{OPERATOR_PREFIX}{LOCAL_PATH}/checkout", name="local_checkout_pay")
async def local_checkout_pay(request: Request[Any, Any, Any], data: FormBody) -> Response[Any]:
    """ "Pay": subscribe the tenant and send the signed events Stripe would send."""
    billing = _local(request)
    opened = billing.open_session(data.get("session", ""), "checkout")
    if opened is None:
        raise NotFoundException()
    try:
        events = await billing.complete_checkout(opened)
    except BillingError as exc:
        log.warning("local checkout failed: %s", exc)
        return render(request, "onboarding/billing_unavailable", status_code=503, fragment=False)
    await deliver(request.app, request.app.state.settings.base_domain, events)
    return Redirect(opened.success_url, status_code=303)


@get(f"{OPERATOR_PREFIX}{LOCAL_PATH}/portal", name="local_portal")
async def local_portal(
    request: Request[Any, Any, Any], session: FromQuery[str] = "", done: FromQuery[str] = ""
) -> Response[str]:
    opened = _local(request).open_session(session, "portal")
    if opened is None:
        raise NotFoundException()
    async with request.app.state.db.session() as s:
        tenant = await s.get(Tenant, opened.account.tenant_id)
    if tenant is None:
        raise NotFoundException()
    return render(
        request,
        "onboarding/local_portal",
        {
            "session": session,
            "opened": opened,
            "row": tenant,
            "status_labels": STATUS_LABELS,
            "plan": find_plan(tenant.plan or ""),
            "done": done,
        },
        fragment=False,
    )


@post(f"{OPERATOR_PREFIX}{LOCAL_PATH}/portal", name="local_portal_action")
async def local_portal_action(request: Request[Any, Any, Any], data: FormBody) -> Response[Any]:
    billing = _local(request)
    token = data.get("session", "")
    opened = billing.open_session(token, "portal")
    if opened is None:
        raise NotFoundException()
    async with request.app.state.db.session() as s:
        tenant = await s.get(Tenant, opened.account.tenant_id)
    if tenant is None:
        raise NotFoundException()
    action = data.get("action", "")
    async with request.app.state.db.session(tenant.id) as s:
        invoices = [i for i in await list_invoices(s) if i.status == "open"]
    try:
        events = await billing.portal_action(
            opened,
            action,
            tenant.stripe_subscription_id,
            tenant.plan,
            invoices[0].provider_invoice_id if invoices else None,
        )
    except BillingError:
        raise NotFoundException() from None
    await deliver(request.app, request.app.state.settings.base_domain, events)
    return Redirect(f"{LOCAL_PATH}/portal?session={token}&done={quote(action)}", status_code=303)


# ------------------------------------------------------------------ the tenant's billing page


async def billing_page_context(
    request: Request[Any, Any, Any], db_session: Any, tenant_id: uuid.UUID
) -> dict[str, Any]:
    """What the admin's billing page shows: status, plan, prices, invoices, the forms."""
    row = await db_session.get(Tenant, tenant_id)
    assert row is not None
    return {
        "row": row,
        "plans": PLANS,
        "plan": find_plan(row.plan or ""),
        "status_labels": STATUS_LABELS,
        "invoices": await list_invoices(db_session),
        "months": start_months(today_jst()),
        "payment_terms": PAYMENT_TERMS_DAYS,
        "tax_rate": TAX_RATE_PERCENT,
        "grace_days": request.app.state.settings.billing_grace_days,
        "problems": {},
        "invoiced": bool(request.query_params.get("invoiced")),
    }


@get(
    "/billing",
    name="tenant_billing",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_billing(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """The admin's billing page: status, plan, card or invoice, quotation, invoices."""
    ctx = await billing_page_context(request, db_session, actor.tenant_id)
    return render(request, "onboarding/billing", ctx, fragment=False)


@post(
    "/billing/checkout",
    name="tenant_billing_checkout",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_billing_checkout(
    request: Request[Any, Any, Any], actor: Actor, data: FormBody
) -> Response[Any]:
    back = origin(request, request.scope["state"]["tenant"].slug) + "/billing"
    return await start_checkout(
        request, actor.tenant_id, data.get("plan", ""), back + "?paid=1", back
    )


@get(
    "/billing/portal",
    name="tenant_billing_portal",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:billing:manage"),
)
async def tenant_billing_portal(request: Request[Any, Any, Any], actor: Actor) -> Response[Any]:
    """Redirect the admin to the Customer Portal (Stripe's, or the local one)."""
    billing = billing_of(request)
    back = origin(request, request.scope["state"]["tenant"].slug) + "/billing"
    try:
        account = await do_ensure_customer(request.app.state.db, billing, actor.tenant_id)
        url = await billing.create_portal_session(account, back)
    except BillingError as exc:
        log.warning("portal unavailable: %s", exc)
        return render(request, "onboarding/billing_unavailable", status_code=503, fragment=False)
    return Redirect(url, status_code=303)


ROUTES: list[Any] = [
    stripe_webhook,
    local_checkout,
    local_checkout_pay,
    local_portal,
    local_portal_action,
    tenant_billing,
    tenant_billing_checkout,
    tenant_billing_portal,
]
