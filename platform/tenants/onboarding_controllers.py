"""Operator-host signup routes.

Operator host (``http://localhost:8000/…``, mounted under ``/_operator``): the signup form
and its code lookup, the start of Checkout for a new tenant and the page Checkout returns
to. The billing routes (webhook, local Checkout and Portal, the admin's billing page) are
in :mod:`kasane.tenants.billing.controllers`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from kasane.core import i18n
from kasane.core.db import Database, utcnow
from kasane.core.japan_time import today_jst
from kasane.core.mail.invitations import invitation_mail, mail_if_configured
from kasane.core.web.deps import FormBody
from kasane.core.web.templating import render
from kasane.settings import Settings
from kasane.tenants.billing.controllers import (
    billing_of,
    origin,
    requires_operator_host,
    start_checkout,
)
from kasane.tenants.billing.interface import BillingError
from kasane.tenants.billing.invoicing import do_start_invoice_billing
from kasane.tenants.billing.models import BillingInvoice
from kasane.tenants.controllers import OPERATOR_PREFIX
from kasane.tenants.models import Tenant
from kasane.tenants.plans import PLANS, TAX_RATE_PERCENT, Plan, find_plan, plan_for_population
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
CHECKOUT_TOKEN_SECONDS = 86400


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
async def signup_submit(request: Request[Any, Any, Any], data: FormBody) -> Response[str]:
    """Sign a town up: its tenant, the first admin's invitation, an invoice when asked."""
    requires_operator_host(request)
    form = SignupForm.of(data)
    db: Database = request.app.state.db
    try:
        result = await do_signup(db, form)
    except SignupInvalid as exc:
        return _signup_page(request, form, exc.problems, status=422)
    tenant = result.tenant
    settings = request.app.state.settings
    link = f"{origin(request, tenant.slug)}{INVITATION_PATH}?token={result.invitation_token}"
    mail_state = await _mail_invitation(settings, form, tenant, link)
    plan = find_plan(tenant.plan or "")
    invoice, invoice_failed = await _first_invoice(request, db, form, tenant, plan)
    response = render(
        request,
        "onboarding/signup_done",
        {
            "new_tenant": tenant,
            "plan": plan,
            "mail_state": mail_state,
            "demo": settings.demo,
            "invitation_link": _shown_link(link, settings.demo, mail_state),
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
        _handoff_value(request, tenant.slug, result.invitation_token, mail_state),
        path="/signup",
        max_age=CHECKOUT_TOKEN_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


# What became of the first admin's invitation mail: the page after payment says so.
MAILED, MAIL_OFF, MAIL_FAILED = "mailed", "off", "failed"


def _shown_link(link: str, demo: bool, mail_state: str) -> str | None:
    """The invitation link as the browser that signed up sees it: always in the demo, and
    outside it only when no mail carried it (a mailed link proves the address)."""
    return link if demo or mail_state != MAILED else None


async def _mail_invitation(settings: Settings, form: SignupForm, tenant: Tenant, link: str) -> str:
    """The first admin's invitation by mail when mail is configured (kasane.core.mail):
    MAILED, MAIL_OFF (no ``KASANE_SMTP_URL``) or MAIL_FAILED."""
    if not settings.smtp_url:
        return MAIL_OFF
    sent = await mail_if_configured(
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
    return MAILED if sent else MAIL_FAILED


async def _first_invoice(
    request: Request[Any, Any, Any],
    db: Database,
    form: SignupForm,
    tenant: Tenant,
    plan: Plan | None,
) -> tuple[BillingInvoice | None, bool]:
    """The first invoice when the town pays by invoice, and whether issuing it failed."""
    invoice: BillingInvoice | None = None
    invoice_failed = False
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
    return invoice, invoice_failed


HANDOFF_COOKIE = "kasane_signup"


def _handoff_mac(request: Request[Any, Any, Any], body: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"signup-handoff:" + body.encode(), hashlib.sha256).hexdigest()


def _handoff_value(request: Request[Any, Any, Any], slug: str, token: str, mail_state: str) -> str:
    body = f"{slug}.{token}.{mail_state}"
    return f"{body}.{_handoff_mac(request, body)}"


def _handoff(request: Request[Any, Any, Any], slug: str) -> tuple[str, str] | None:
    """The invitation token this browser got when it signed ``slug`` up, and what became
    of its mail (MAILED, MAIL_OFF, MAIL_FAILED), if this browser did."""
    value = request.cookies.get(HANDOFF_COOKIE) or ""
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != slug:
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _handoff_mac(request, body)):
        return None
    return parts[1], parts[2]


@post(f"{OPERATOR_PREFIX}/signup/checkout", name="signup_checkout")
async def signup_checkout(request: Request[Any, Any, Any], data: FormBody) -> Response[Any]:
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
    back = f"{origin(request)}/signup/result?tenant={quote(tenant.slug)}"
    return await start_checkout(request, tenant.id, plan.key, back + "&paid=1", back)


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
    handoff = _handoff(request, row.slug)
    town = origin(request, row.slug)
    demo = request.app.state.settings.demo
    token, mail_state = handoff or ("", "")
    # only to the browser that signed up (its own signed cookie)
    link = _shown_link(f"{town}{INVITATION_PATH}?token={token}", demo, mail_state)
    return render(
        request,
        "onboarding/signup_result",
        {
            "new_tenant": row,
            "paid": bool(paid),
            "tenant_url": town + "/",
            "signed_here": handoff is not None,
            "mail_state": mail_state,
            "demo": demo,
            "invitation_link": link if handoff else None,
        },
        fragment=False,
    )


ROUTES: list[Any] = [
    signup_page,
    signup_lookup,
    signup_submit,
    signup_checkout,
    signup_result,
]
