"""Operator-host signup and billing routes, the Stripe webhook, and the tenant's billing page.

Operator host (``http://localhost:8000/…``, mounted under ``/_operator``): the signup form
and its code lookup, the start of Checkout for a new tenant, the local Checkout and
Customer Portal pages (local billing only) and the webhook endpoint. Tenant host: the
admin's billing page, Checkout and the Customer Portal link.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from kasane.core import i18n
from kasane.core.auth.permissions import needs
from kasane.core.db import Database, utcnow
from kasane.core.japan_time import today_jst
from kasane.core.mail.invitations import invitation_mail, mail_if_configured
from kasane.core.web.deps import Actor, DbSession, requires_login
from kasane.core.web.templating import render
from kasane.tenants.billing.interface import Billing, BillingError, WebhookInvalid, billing_for
from kasane.tenants.billing.invoicing import do_start_invoice_billing, list_invoices
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
from kasane.tenants.plans import PLANS, TAX_RATE_PERCENT, find_plan, plan_for_population
from kasane.tenants.services import find_tenant_by_slug
from kasane.tenants.signup import (
    INVITATION_DAYS,
    INVITATION_PATH,
    SignupForm,
    SignupInvalid,
    do_signup,
    municipality_problem,
)

log = logging.getLogger("kasane.billing")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CHECKOUT_TOKEN_SECONDS = 86400


def billing_of(request: Request[Any, Any, Any]) -> Billing:
    """The app's billing implementation (``KASANE_BILLING``), made on first use."""
    state = request.app.state
    if state.get("billing") is None:
        state.billing = billing_for(state.settings)
    return state.billing  # type: ignore[no-any-return]


def requires_operator_host(request: Request[Any, Any, Any]) -> None:
    if request.scope["state"].get("tenant") is not None:
        raise NotFoundException()


def _origin(request: Request[Any, Any, Any], slug: str | None = None) -> str:
    """``http://localhost:8000`` (operator) or ``http://usuki.localhost:8000`` (tenant)."""
    base = request.app.state.settings.base_domain
    port = f":{request.url.port}" if request.url.port else ""
    return f"{request.url.scheme}://{f'{slug}.' if slug else ''}{base}{port}"


def _checkout_token(request: Request[Any, Any, Any], tenant_id: uuid.UUID) -> str:
    """Lets the page that just signed a tenant up start its Checkout (and nothing else)."""
    expires = int(time.time()) + CHECKOUT_TOKEN_SECONDS
    body = f"{tenant_id}.{expires}"
    key = request.app.state.settings.secret_key.encode()
    return (
        body + "." + hmac.new(key, b"signup-checkout:" + body.encode(), hashlib.sha256).hexdigest()
    )


def _checkout_tenant(request: Request[Any, Any, Any], token: str) -> uuid.UUID | None:
    try:
        tenant_id, expires, mac = token.split(".")
        key = request.app.state.settings.secret_key.encode()
        body = f"{tenant_id}.{expires}".encode()
        expected = hmac.new(key, b"signup-checkout:" + body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(mac, expected) and int(expires) > time.time():
            return uuid.UUID(tenant_id)
    except ValueError:
        pass
    return None


def _signup_page(
    request: Request[Any, Any, Any], form: SignupForm, problems: dict[str, str], status: int = 200
) -> Response[str]:
    municipality, _problem = municipality_problem(form.municipality_code)
    return render(
        request,
        "onboarding/signup",
        {
            "form": form,
            "problems": problems,
            "plans": PLANS,
            "municipality": municipality,
            "tax_rate": TAX_RATE_PERCENT,
        },
        status_code=status,
        fragment=False,
    )


# ------------------------------------------------------------------ signup (operator host)


@get(f"{OPERATOR_PREFIX}/signup", name="signup")
async def signup_page(request: Request[Any, Any, Any]) -> Response[str]:
    requires_operator_host(request)
    return _signup_page(request, SignupForm(plan="small"), {})


@get(f"{OPERATOR_PREFIX}/signup/lookup", name="signup_lookup")
async def signup_lookup(
    request: Request[Any, Any, Any], municipality_code: FromQuery[str] = ""
) -> Response[str]:
    """htmx: the municipality a code names (or what is wrong with it), as it is typed."""
    requires_operator_host(request)
    code = municipality_code.strip()
    municipality, problem = municipality_problem(code) if len(code) >= 6 else (None, None)
    suggested = (
        plan_for_population(municipality.population)
        if municipality and municipality.population
        else None
    )
    return render(
        request,
        "onboarding/signup_lookup",
        {"municipality": municipality, "problem": problem, "code": code, "suggested": suggested},
        fragment=True,
    )


@post(f"{OPERATOR_PREFIX}/signup", name="signup_submit")
async def signup_submit(request: Request[Any, Any, Any], data: Form) -> Response[str]:
    requires_operator_host(request)
    form = SignupForm.of(data)
    db: Database = request.app.state.db
    try:
        result = await do_signup(db, form)
    except SignupInvalid as exc:
        return _signup_page(request, form, exc.problems, status=422)
    tenant = result.tenant
    settings = request.app.state.settings
    link = f"{_origin(request, tenant.slug)}{INVITATION_PATH}?token={result.invitation_token}"
    # the first admin's invitation by mail when mail is configured (kasane.core.mail)
    await mail_if_configured(
        settings,
        invitation_mail(
            to=form.admin_email,
            town=tenant.name,
            name=form.admin_name,
            link=link,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
            lang=i18n.current_locale.get(),
        ),
    )
    invoice, invoice_failed = None, False
    plan = find_plan(tenant.plan or "")
    if form.billing_method == "invoice" and plan is not None:
        # 年度契約 from this month; a later start is chosen on the billing page
        today = today_jst()
        try:
            issued = await do_start_invoice_billing(
                db, billing_of(request), tenant.id, plan, today, int(form.payment_days), today
            )
            invoice = issued.invoice
        except BillingError as exc:
            log.warning("invoice billing unavailable at signup: %s", exc)
            invoice_failed = True
    response = render(
        request,
        "onboarding/signup_done",
        {
            "new_tenant": tenant,
            "plan": plan,
            "invitation_link": link if settings.demo else None,
            "checkout_token": _checkout_token(request, tenant.id),
            "invoice": invoice,
            "invoice_failed": invoice_failed,
        },
        status_code=201,
        fragment=False,
    )
    # The page after payment repeats the invitation: it stays in this browser (a signed,
    # HttpOnly cookie on the operator host), never in the URL the payment provider sees.
    response.set_cookie(
        HANDOFF_COOKIE,
        _handoff_value(request, tenant.slug, result.invitation_token),
        path="/signup",
        max_age=CHECKOUT_TOKEN_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


HANDOFF_COOKIE = "kasane_signup"


def _handoff_mac(request: Request[Any, Any, Any], body: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"signup-handoff:" + body.encode(), hashlib.sha256).hexdigest()


def _handoff_value(request: Request[Any, Any, Any], slug: str, token: str) -> str:
    body = f"{slug}.{token}"
    return f"{body}.{_handoff_mac(request, body)}"


def _handoff_token(request: Request[Any, Any, Any], slug: str) -> str | None:
    """The invitation token this browser got when it signed ``slug`` up, if it did."""
    value = request.cookies.get(HANDOFF_COOKIE) or ""
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != slug:
        return None
    body = f"{parts[0]}.{parts[1]}"
    return parts[1] if hmac.compare_digest(parts[2], _handoff_mac(request, body)) else None


@post(f"{OPERATOR_PREFIX}/signup/checkout", name="signup_checkout")
async def signup_checkout(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """Start Checkout for the tenant just signed up (the token proves which one)."""
    requires_operator_host(request)
    tenant_id = _checkout_tenant(request, data.get("token", ""))
    if tenant_id is None:
        raise NotFoundException()
    db: Database = request.app.state.db
    async with db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
    plan = find_plan((tenant.plan if tenant else None) or "")
    if tenant is None or plan is None or tenant.status != "trial":
        raise NotFoundException()
    back = f"{_origin(request)}/signup/result?tenant={quote(tenant.slug)}"
    return await _to_checkout(request, tenant.id, plan.key, back + "&paid=1", back)


@get(f"{OPERATOR_PREFIX}/signup/result", name="signup_result")
async def signup_result(
    request: Request[Any, Any, Any], tenant: FromQuery[str] = "", paid: FromQuery[str] = ""
) -> Response[str]:
    """Where Checkout returns: the tenant's status as the webhooks have left it."""
    requires_operator_host(request)
    db: Database = request.app.state.db
    async with db.session() as s:
        row = await find_tenant_by_slug(s, tenant)
    if row is None:
        raise NotFoundException()
    token = _handoff_token(request, row.slug)
    town = _origin(request, row.slug)
    return render(
        request,
        "onboarding/signup_result",
        {
            "new_tenant": row,
            "paid": bool(paid),
            "tenant_url": town + "/",
            "signed_here": token is not None,
            "invitation_link": f"{town}{INVITATION_PATH}?token={token}"
            if token and request.app.state.settings.demo
            else None,
        },
        fragment=False,
    )


async def _to_checkout(
    request: Request[Any, Any, Any], tenant_id: uuid.UUID, plan_key: str, success: str, cancel: str
) -> Response[Any]:
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
async def local_checkout_pay(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
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
async def local_portal_action(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
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
    request: Request[Any, Any, Any], actor: Actor, data: Form
) -> Response[Any]:
    back = _origin(request, request.scope["state"]["tenant"].slug) + "/billing"
    return await _to_checkout(
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
    back = _origin(request, request.scope["state"]["tenant"].slug) + "/billing"
    try:
        account = await do_ensure_customer(request.app.state.db, billing, actor.tenant_id)
        url = await billing.create_portal_session(account, back)
    except BillingError as exc:
        log.warning("portal unavailable: %s", exc)
        return render(request, "onboarding/billing_unavailable", status_code=503, fragment=False)
    return Redirect(url, status_code=303)


ROUTES: list[Any] = [
    signup_page,
    signup_lookup,
    signup_submit,
    signup_checkout,
    signup_result,
    stripe_webhook,
    local_checkout,
    local_checkout_pay,
    local_portal,
    local_portal_action,
    tenant_billing,
    tenant_billing_checkout,
    tenant_billing_portal,
]
