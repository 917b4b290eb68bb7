"""Signup, billing and the tenant lifecycle, against localstripe with signed webhooks.

Checkout and the Customer Portal, which localstripe lacks, go through the local billing
implementation; customers and subscriptions are real localstripe objects. Webhooks are
signed exactly as Stripe signs them (``t=…,v1=HMAC-SHA256``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.db import Database
from kasane.tenants.billing.interface import BillingAccount, WebhookInvalid
from kasane.tenants.billing.local_billing import LocalBilling
from kasane.tenants.billing.models import BillingEvent
from kasane.tenants.billing.services import do_billing_sweep
from kasane.tenants.billing.stripe_billing import StripeBilling
from kasane.tenants.models import AdminInvitation, Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.plans import find_plan
from kasane.tenants.signup import SignupForm, do_signup
from tests.billing_fixtures import (  # the two fixtures register under their names
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeFront,
    event,
    localstripe_server,  # noqa: F401
    sign,
    stripe_front_server,  # noqa: F401
    stripe_get,
)
from tests.conftest import REPO, Env, _make_sqlite_env, csrf_of, login, shared_app, tenant_client

# Real municipalities of 香川県 other than 丸亀市 (marugame, a demo tenant), one per test tenant.
KAGAWA = iter(
    sorted(c for c, m in all_municipalities().items() if m.prefecture == "香川県" and c != "372021")
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, localstripe: str) -> Env:
    """usuki and marugame, local billing with customers and subscriptions in localstripe."""
    base = _make_sqlite_env(tmp_path_factory.mktemp("billing"))
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


def tenant_row(env: Env, slug: str) -> Tenant:
    async def go(db: Database) -> Tenant:
        async with db.session() as s:
            row = (await s.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()
            return row

    return env.run(go)


def audit_actions(env: Env, tenant_id: uuid.UUID) -> list[str]:
    async def go(db: Database) -> list[str]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(select(AuditEvent.action).order_by(AuditEvent.seq))
            return list(rows.scalars())

    return env.run(go)


def new_tenant(env: Env, slug: str, plan: str = "small", population: str = "30000") -> Tenant:
    """A tenant signed up (trial) through the signup service."""
    form = SignupForm(next(KAGAWA), population, "管理 太郎", f"admin@{slug}.example", slug, plan)
    return env.run(lambda db: do_signup(db, form)).tenant


def subscribed(env: Env, slug: str) -> Tenant:
    """A tenant with a customer and a subscription, active as of a minute ago."""
    tenant = new_tenant(env, slug)

    async def go(db: Database) -> None:
        async with db.session(tenant.id) as s:  # the app role updates only the bound tenant
            row = await s.get(Tenant, tenant.id)
            assert row is not None
            row.stripe_customer_id, row.stripe_subscription_id = f"cus_{slug}", f"sub_{slug}"
            row.status, row.billing_event_at = "active", int(time.time()) - 60

    env.run(go)
    return tenant_row(env, slug)


def mentions(slug: str, lines: list[str]) -> bool:
    """Whether the sweep's report names this tenant (other tests' tenants share the env)."""
    return any(f" {slug} " in f" {line} " for line in lines)


def post_event(client: TestClient, payload: bytes, header: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"content-type": "application/json"}
    if header is not False:
        headers["stripe-signature"] = header or sign(payload)
    return client.post("/stripe/webhook", content=payload, headers=headers)


def subscription(t: Tenant, status: str) -> dict[str, Any]:
    return {
        "id": t.stripe_subscription_id,
        "object": "subscription",
        "customer": t.stripe_customer_id,
        "status": status,
        "metadata": {"tenant_id": str(t.id), "slug": t.slug},
    }


def invoice(t: Tenant) -> dict[str, Any]:
    return {
        "id": "in_" + uuid.uuid4().hex[:12],
        "object": "invoice",
        "customer": t.stripe_customer_id,
        "subscription": t.stripe_subscription_id,
    }


def signup_form(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    page = client.get("/signup")
    assert page.status_code == 200
    data = {
        "municipality_code": "",
        "population": "30000",
        "admin_name": "管理 花子",
        "admin_email": "hanako@example.jp",
        "slug": "",
        "plan": "small",
        **fields,
        "_csrf_token": csrf_of(page.text),
    }
    return client.post("/signup", data=data)


# ------------------------------------------------------------------ signup


def test_the_code_lookup_fills_in_name_and_prefecture(operator: TestClient) -> None:
    # when a code is typed (htmx)
    found = operator.get("/signup/lookup?municipality_code=442062", headers={"HX-Request": "true"})
    bad = operator.get("/signup/lookup?municipality_code=442061", headers={"HX-Request": "true"})
    # then the municipality is named, and a wrong check digit is said so
    assert found.status_code == 200 and "臼杵市" in found.text and "大分県" in found.text
    assert 'id="municipality-lookup-error"' in bad.text and "臼杵市" not in bad.text


def test_signup_creates_a_trial_tenant_with_an_admin_invitation(
    env: Env, operator: TestClient
) -> None:
    code = next(KAGAWA)
    # when a municipality signs up
    r = signup_form(operator, municipality_code=code, slug="kagawa-one", plan="medium")
    # then it is a trial tenant named from the bundled list, on the plan it chose
    assert r.status_code == 201 and 'id="signup-done"' in r.text
    row = tenant_row(env, "kagawa-one")
    municipality = all_municipalities()[code]
    assert (row.status, row.plan, row.population) == ("trial", "medium", 30000)
    assert (row.name, row.prefecture) == (municipality.name, municipality.prefecture)
    # … and the admin's invitation is stored in the tenant's own table, the demo shows the link
    link = re.search(r'id="invitation-link">([^<]+)<', r.text)
    assert link and link.group(1).startswith("http://kagawa-one.kasane.test/invitation?token=")

    async def invitations(db: Database) -> list[AdminInvitation]:
        async with db.session(row.id) as s:
            return list((await s.execute(select(AdminInvitation))).scalars())

    (invitation,) = env.run(invitations)
    assert (invitation.name, invitation.email) == ("管理 花子", "hanako@example.jp")
    assert "hanako" not in json.dumps([str(v) for v in vars(row).values()])
    assert "tenant.admin_invited" in audit_actions(env, row.id)


def test_a_bad_code_and_a_taken_slug_are_named_per_field(env: Env, operator: TestClient) -> None:
    # when the code's check digit is wrong, the slug is usuki's and the e-mail is not one
    r = signup_form(
        operator, municipality_code="372063", slug="usuki", admin_email="nope", admin_name="花子"
    )
    # then each field says what is wrong, and what was typed is kept
    assert r.status_code == 422
    for name in ("municipality_code", "slug", "admin_email"):
        assert f'id="{name}-error"' in r.text, name
    assert 'id="admin_name-error"' not in r.text and 'value="花子"' in r.text
    # a well-formed code that no municipality has, and an existing tenant's code
    unknown = signup_form(operator, municipality_code="000019", slug="nowhere")
    taken = signup_form(operator, municipality_code="442062", slug="usuki-two")
    assert unknown.status_code == taken.status_code == 422
    assert 'id="municipality_code-error"' in unknown.text
    assert 'id="municipality_code-error"' in taken.text
    # a plan too small for the population
    small = signup_form(
        operator, municipality_code=next(KAGAWA), slug="too-big", population="120000"
    )
    assert small.status_code == 422 and 'id="plan-error"' in small.text
    assert all(tenant_row_missing(env, s) for s in ("nowhere", "usuki-two", "too-big"))


def tenant_row_missing(env: Env, slug: str) -> bool:
    async def go(db: Database) -> bool:
        async with db.session() as s:
            return (await s.execute(select(Tenant).where(Tenant.slug == slug))).first() is None

    return env.run(go)


# ------------------------------------------------------------------ checkout → webhook → active


def test_local_checkout_sends_a_signed_webhook_and_the_tenant_becomes_active(
    env: Env,
    operator: TestClient,
    localstripe: str,
) -> None:
    # given a municipality that just signed up
    done = signup_form(operator, municipality_code=next(KAGAWA), slug="kagawa-pay")
    token = re.search(r'name="token" value="([^"]+)"', done.text)
    assert token
    # when it pays through Checkout
    start = operator.post(
        "/signup/checkout",
        data={"token": token.group(1), "_csrf_token": csrf_of(done.text)},
        follow_redirects=False,
    )
    assert start.status_code == 303
    checkout = urlsplit(start.headers["location"])
    assert checkout.netloc == "kasane.test" and checkout.path == "/billing/local/checkout"
    page = operator.get(f"{checkout.path}?{checkout.query}")
    assert page.status_code == 200 and 'id="pay"' in page.text
    session = parse_qs(checkout.query)["session"][0]
    paid = operator.post(
        "/billing/local/checkout",
        data={"session": session, "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    # then the signed webhooks made it active, and the result page says so
    assert (
        paid.status_code == 303 and "/signup/result?tenant=kagawa-pay" in paid.headers["location"]
    )
    row = tenant_row(env, "kagawa-pay")
    assert row.status == "active"
    assert row.stripe_customer_id and row.stripe_customer_id.startswith("cus_")
    assert row.stripe_subscription_id and row.stripe_subscription_id.startswith("sub_")
    result = operator.get(paid.headers["location"].split("kasane.test", 1)[-1])
    assert 'class="saved"' in result.text

    async def events(db: Database) -> list[tuple[str, str]]:
        async with db.session() as s:
            q = select(BillingEvent.type, BillingEvent.outcome).where(
                BillingEvent.tenant_ref == row.id
            )
            return sorted(tuple(r) for r in await s.execute(q))

    assert env.run(events) == [
        ("checkout.session.completed", "applied"),
        ("customer.subscription.created", "unchanged"),
    ]
    assert audit_actions(env, row.id).count("tenant.status") == 1
    # … and the subscription is a real localstripe object, carrying only tenant ids
    stored = stripe_get(localstripe, f"/v1/subscriptions/{row.stripe_subscription_id}")
    assert stored["status"] == "active" and stored["customer"] == row.stripe_customer_id
    assert set(stored["metadata"]) <= {"tenant_id", "slug", "plan"}


def test_nothing_personal_reaches_stripe(env: Env, localstripe: str) -> None:
    # given every customer and subscription Kasane created in localstripe so far
    customers = stripe_get(localstripe, "/v1/customers?limit=100")["data"]
    subscriptions = stripe_get(localstripe, "/v1/subscriptions?limit=100")["data"]
    assert customers and subscriptions
    tenant_ids = {str(tenant_row(env, s).id) for s in ("kagawa-pay",)}
    # then they carry tenant ids and slugs only: no name, e-mail, phone or address
    for customer in customers:
        assert set(customer["metadata"]) <= {"tenant_id", "slug"}
        assert not any(customer.get(k) for k in ("name", "email", "phone", "address"))
    for sub in subscriptions:
        assert set(sub["metadata"]) <= {"tenant_id", "slug", "plan"}
    assert tenant_ids <= {c["metadata"].get("tenant_id") for c in customers}
    blob = json.dumps([customers, subscriptions], ensure_ascii=False)
    assert "@" not in blob and "管理" not in blob and "hanako" not in blob


# ------------------------------------------------------------------ webhooks


def test_a_replayed_webhook_changes_nothing_and_is_answered_200(
    env: Env, operator: TestClient
) -> None:
    t = subscribed(env, "replay")
    payload = event("invoice.payment_failed", invoice(t))
    # when the same event arrives twice
    first, again = post_event(operator, payload), post_event(operator, payload)
    # then it is applied once; the replay is acknowledged and ignored
    assert first.status_code == again.status_code == 200
    assert first.json()["outcome"] == "applied" and again.json()["outcome"] == "duplicate"
    assert tenant_row(env, "replay").status == "past_due"
    assert audit_actions(env, t.id).count("tenant.status") == 1


def test_a_bad_signature_is_refused_and_changes_nothing(env: Env, operator: TestClient) -> None:
    t = subscribed(env, "forged")
    payload = event("customer.subscription.deleted", subscription(t, "canceled"))
    tampered = payload.replace(b'"canceled"', b'"canceled" ')
    stale = sign(payload, timestamp=int(time.time()) - 3600)
    # when it is signed with another secret, altered after signing, too old, or not signed
    answers = [
        post_event(operator, payload, sign(payload, secret="whsec_someone_else")),
        post_event(operator, tampered, sign(payload)),
        post_event(operator, payload, stale),
        post_event(operator, payload, False),  # type: ignore[arg-type]
    ]
    # then every one is refused with 400 and nothing was recorded or changed
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert tenant_row(env, "forged").status == "active"
    event_id = json.loads(payload)["id"]

    async def recorded(db: Database) -> int:
        async with db.session() as s:
            q = (
                select(func.count())
                .select_from(BillingEvent)
                .where(BillingEvent.event_id == event_id)
            )
            return int((await s.execute(q)).scalar_one())

    assert env.run(recorded) == 0


def test_reordered_events_end_in_the_state_of_the_newest(env: Env, operator: TestClient) -> None:
    now = int(time.time())
    late, early = subscribed(env, "reorder-a"), subscribed(env, "reorder-b")
    updated = {
        t.slug: event("customer.subscription.updated", subscription(t, "active"), now)
        for t in (late, early)
    }
    failed = {t.slug: event("invoice.payment_failed", invoice(t), now - 30) for t in (late, early)}
    # when the newer "active" arrives before the older failed payment (and, for b, in order)
    a = [post_event(operator, updated["reorder-a"]), post_event(operator, failed["reorder-a"])]
    b = [post_event(operator, failed["reorder-b"]), post_event(operator, updated["reorder-b"])]
    # then both end active: the older event never regresses the newer state
    assert [r.json()["outcome"] for r in a] == ["unchanged", "stale"]
    assert [r.json()["outcome"] for r in b] == ["applied", "applied"]
    assert tenant_row(env, "reorder-a").status == tenant_row(env, "reorder-b").status == "active"
    # … and a later failure does count
    later = post_event(operator, event("invoice.payment_failed", invoice(late), now + 5))
    assert (
        later.json()["outcome"] == "applied" and tenant_row(env, "reorder-a").status == "past_due"
    )


def test_past_due_is_suspended_after_the_grace_period_while_usuki_is_unaffected(
    env: Env, operator: TestClient
) -> None:
    t = subscribed(env, "late-payer")
    failed_at = int(time.time())
    # given a failed payment
    assert (
        post_event(operator, event("invoice.payment_failed", invoice(t), failed_at)).status_code
        == 200
    )
    assert tenant_row(env, "late-payer").status == "past_due"
    with tenant_client(env, "late-payer") as host:
        assert host.get("/login").status_code == 200  # still usable while past due
    # when the sweep runs within the grace period, then after it
    soon = datetime.now(UTC) + timedelta(days=env.settings.billing_grace_days - 1)
    later = datetime.now(UTC) + timedelta(days=env.settings.billing_grace_days + 1)
    assert not mentions("late-payer", env.run(lambda db: do_billing_sweep(db, env.settings, soon)))
    assert tenant_row(env, "late-payer").status == "past_due"
    lines = env.run(lambda db: do_billing_sweep(db, env.settings, later))
    # then the tenant is suspended: its host is read-only (a write gets the notice page),
    # its data is kept
    assert mentions("late-payer", lines)
    assert tenant_row(env, "late-payer").status == "suspended"
    with tenant_client(env, "late-payer") as host, tenant_client(env, "usuki") as usuki:
        page = host.get("/login")
        assert page.status_code == 200 and 'class="readonly-banner"' in page.text
        assert host.post("/intake", data={"_csrf_token": csrf_of(page.text)}).status_code == 423
        assert usuki.get("/login").status_code == 200
        assert login(usuki, "admin").status_code == 302
    again = env.run(lambda db: do_billing_sweep(db, env.settings, later))
    assert not mentions("late-payer", again)  # idempotent
    # … and paying again makes it active
    # (a minute later: within one second the more severe state would win, by design)
    paid = post_event(operator, event("invoice.paid", invoice(t), failed_at + 60))
    assert paid.json()["outcome"] == "applied" and tenant_row(env, "late-payer").status == "active"
    assert tenant_row(env, "late-payer").past_due_since is None


def test_cancellation_keeps_the_data_for_the_retention_period_then_marks_it(
    env: Env, operator: TestClient
) -> None:
    t = subscribed(env, "leaving")
    # when the subscription is deleted
    r = post_event(operator, event("customer.subscription.deleted", subscription(t, "canceled")))
    assert r.json()["outcome"] == "applied"
    row = tenant_row(env, "leaving")
    assert row.status == "cancelled" and row.delete_after is not None
    expected = datetime.now(UTC) + timedelta(days=env.settings.retention_days)
    assert abs((row.delete_after - expected).total_seconds()) < 120
    # then the sweep marks it for deletion only once the retention period is over
    before = row.delete_after - timedelta(days=1)
    assert not mentions("leaving", env.run(lambda db: do_billing_sweep(db, env.settings, before)))
    after = row.delete_after + timedelta(days=1)
    lines = env.run(lambda db: do_billing_sweep(db, env.settings, after))
    assert mentions("leaving", lines) and "marked leaving for deletion" in " ".join(lines)
    assert tenant_row(env, "leaving").deletion_marked_at is not None
    assert "tenant.deletion_due" in audit_actions(env, t.id)


def test_the_sweep_command(env: Env) -> None:
    subscribed(env, "cli-late")
    with tenant_client(env, None) as operator:
        post_event(operator, event("invoice.payment_failed", invoice(tenant_row(env, "cli-late"))))
    as_of = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    run = subprocess.run(
        [sys.executable, "-m", "kasane.cli", "billing", "sweep", "--as-of", as_of],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "KASANE_VAR_DIR": str(env.settings.var_dir),
            "KASANE_DATABASE_URL": env.settings.database_url,
            "KASANE_MASTER_KEY": env.settings.master_key,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "suspended cli-late" in run.stdout
    assert tenant_row(env, "cli-late").status == "suspended"


# ------------------------------------------------------------------ the Customer Portal


def test_the_admin_reaches_the_portal_and_others_do_not(env: Env) -> None:
    with tenant_client(env, "usuki") as usuki:
        # not logged in → the login page; a caseworker → refused
        assert usuki.get("/billing/portal", follow_redirects=False).status_code == 302
        assert login(usuki, "caseworker").status_code == 302
        assert usuki.get("/billing/portal", follow_redirects=False).status_code == 403
    with tenant_client(env, "usuki") as usuki:
        assert login(usuki, "admin").status_code == 302
        assert usuki.get("/billing").status_code == 200
        r = usuki.get("/billing/portal", follow_redirects=False)
    # then the admin is sent to the portal on the operator host
    assert r.status_code == 303
    portal = urlsplit(r.headers["location"])
    assert portal.netloc == "kasane.test" and portal.path == "/billing/local/portal"
    with tenant_client(env, None) as operator:
        page = operator.get(f"{portal.path}?{portal.query}")
    assert page.status_code == 200 and 'id="local-portal"' in page.text


def test_the_local_portal_changes_the_subscription_through_signed_webhooks(
    env: Env, operator: TestClient, request: pytest.FixtureRequest
) -> None:
    # given a subscription the local implementation keeps in memory (its id is not
    # localstripe's), served by this app
    t = subscribed(env, "portal-user")
    billing = LocalBilling(replace(env.settings, stripe_api_base=""))
    state = shared_app(env.settings).state  # the app every client of this env talks to
    before = state.get("billing")
    state.billing = billing
    request.addfinalizer(lambda: setattr(state, "billing", before))
    account = BillingAccount(t.id, t.slug, t.stripe_customer_id)
    url = env.run(
        lambda _db: billing.create_portal_session(account, "http://portal-user.kasane.test/billing")
    )
    parts = urlsplit(url)
    page = operator.get(f"{parts.path}?{parts.query}")
    session = parse_qs(parts.query)["session"][0]

    def act(action: str) -> str:
        r = operator.post(
            "/billing/local/portal",
            data={"session": session, "action": action, "_csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 200
        return tenant_row(env, "portal-user").status

    # when the admin's payment fails, is paid, and the subscription is cancelled
    assert act("fail_payment") == "past_due"
    time.sleep(1)  # a later second: the recovery is newer than the failure
    assert act("pay") == "active"
    time.sleep(1)
    assert act("cancel") == "cancelled"


# ------------------------------------------------------------------ conformance


@pytest.fixture(params=["local", "stripe"])
def implementation(request: pytest.FixtureRequest, env: Env, stripe_front: StripeFront):  # type: ignore[no-untyped-def]
    """Both billing implementations, the real one against localstripe (plus the two
    endpoints it lacks, served the way Stripe serves them)."""
    if request.param == "local":
        return LocalBilling(env.settings)
    return StripeBilling(replace(env.settings, billing="stripe", stripe_api_base=stripe_front.url))


def test_both_billing_implementations_behave_alike(env: Env, implementation) -> None:  # type: ignore[no-untyped-def]
    plan = find_plan("small")
    assert plan is not None
    account = BillingAccount(uuid.uuid4(), "conformance")

    async def go(_db: Database) -> tuple[str, str, str]:
        customer = await implementation.create_customer(account)
        with_customer = replace(account, customer_id=customer)
        checkout = await implementation.create_checkout_session(
            with_customer, plan, "http://kasane.test/ok", "http://kasane.test/no"
        )
        portal = await implementation.create_portal_session(with_customer, "http://kasane.test/b")
        return customer, checkout, portal

    customer, checkout, portal = env.run(go)
    # a customer id, and absolute URLs for Checkout and the portal
    assert customer.startswith("cus_")
    assert urlsplit(checkout).scheme in ("http", "https") and urlsplit(checkout).netloc
    assert urlsplit(portal).scheme in ("http", "https") and urlsplit(portal).netloc
    # webhooks: a good signature parses, a bad one, a stale one or none is refused
    payload = event("invoice.paid", {"id": "in_1", "object": "invoice"})
    parsed = implementation.parse_webhook(payload, sign(payload))
    assert (parsed.id, parsed.type) == (json.loads(payload)["id"], "invoice.paid")
    for header in (sign(payload, "whsec_wrong"), sign(payload, timestamp=1), None, "garbage"):
        with pytest.raises(WebhookInvalid):
            implementation.parse_webhook(payload, header)


def test_the_real_implementation_sends_stripe_only_tenant_ids(
    env: Env, stripe_front: StripeFront
) -> None:
    billing = StripeBilling(
        replace(env.settings, billing="stripe", stripe_api_base=stripe_front.url)
    )
    account = BillingAccount(uuid.uuid4(), "privacy")
    plan = find_plan("medium")
    assert plan is not None

    async def go(_db: Database) -> None:
        customer = await billing.create_customer(account)
        await billing.create_checkout_session(
            replace(account, customer_id=customer),
            plan,
            "http://kasane.test/ok",
            "http://kasane.test/no",
        )

    env.run(go)
    sent = [form for method, path, form in stripe_front.requests if method == "POST"]
    checkout = next(
        f
        for m, p, f in stripe_front.requests
        if p == "/v1/checkout/sessions" and f.get("metadata[slug]") == "privacy"
    )
    assert checkout["mode"] == "subscription"
    assert checkout["line_items[0][price]"] == env.settings.stripe_price_medium
    for form in sent:
        metadata = {k for k in form if "metadata[" in k}
        assert {re.sub(r".*metadata\[(\w+)\]$", r"\1", k) for k in metadata} <= {
            "tenant_id",
            "slug",
            "plan",
        }
        assert not any(k in form for k in ("name", "email", "phone"))


# ------------------------------------------------------------------ PostgreSQL, as the app role


@pytest.mark.postgres
def test_signup_and_webhooks_work_as_the_app_role_on_postgres(pg_env: Env) -> None:
    # given the app connected as kasane_app (no owner rights, RLS enforced)
    env = Env(replace(pg_env.settings, stripe_webhook_secret=WEBHOOK_SECRET), "postgres")
    slug = "pg-" + uuid.uuid4().hex[:8]
    t = subscribed(env, slug)
    payload = event("invoice.payment_failed", invoice(t))
    # when a failed payment arrives twice
    with tenant_client(env, None) as operator:
        first, again = post_event(operator, payload), post_event(operator, payload)
    # then it is applied once, recorded, and audited in the tenant's chain
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    assert tenant_row(env, slug).status == "past_due"
    assert audit_actions(env, t.id).count("tenant.status") == 1
    lines = env.run(
        lambda db: do_billing_sweep(db, env.settings, datetime.now(UTC) + timedelta(days=30))
    )
    assert mentions(slug, lines) and tenant_row(env, slug).status == "suspended"


# ------------------------------------------------------------------ webhooks under chaos


def with_customer_only(env: Env, slug: str) -> Tenant:
    """A town in its trial that opened checkout: a customer, no subscription yet."""
    tenant = new_tenant(env, slug)

    async def go(db: Database) -> None:
        async with db.session(tenant.id) as s:
            row = await s.get(Tenant, tenant.id)
            assert row is not None
            row.stripe_customer_id = f"cus_{slug}"

    env.run(go)
    return tenant_row(env, slug)


def test_a_payment_announced_before_its_subscription_activates_the_town_once(
    env: Env, operator: TestClient
) -> None:
    now = int(time.time())
    t = with_customer_only(env, "chaos-order")
    sub = f"sub_{t.slug}"
    paid = {**invoice(t), "subscription": sub}
    created = {**subscription(t, "incomplete"), "id": sub}
    # when Stripe delivers invoice.paid before customer.subscription.created (older, incomplete)
    first = post_event(operator, event("invoice.paid", paid, now))
    second = post_event(operator, event("customer.subscription.created", created, now - 5))
    # and delivers the payment a second time
    again = post_event(operator, event("invoice.paid", paid, now))
    # then the town is active once, with the subscription recorded; nothing regressed it
    assert first.json()["outcome"] == "applied"
    assert second.json()["outcome"] in ("ignored", "stale")
    assert again.json()["outcome"] in ("applied", "unchanged", "duplicate")
    row = tenant_row(env, "chaos-order")
    assert row.status == "active" and row.stripe_subscription_id == sub
    assert audit_actions(env, t.id).count("tenant.status") == 1


def test_late_events_after_a_cancellation_do_not_revive_the_town(
    env: Env, operator: TestClient
) -> None:
    now = int(time.time())
    t = subscribed(env, "chaos-late")
    usuki_before = tenant_row(env, "usuki").status
    ended = post_event(
        operator, event("customer.subscription.deleted", subscription(t, "canceled"), now)
    )
    assert ended.json()["outcome"] == "applied"
    cancelled = tenant_row(env, "chaos-late")
    assert cancelled.status == "cancelled" and cancelled.delete_after is not None
    # when events of the ended subscription arrive late: an older update, a final invoice
    stale_update = post_event(
        operator,
        event("customer.subscription.updated", subscription(t, "active"), now - 10),
    )
    late_invoice = post_event(operator, event("invoice.paid", invoice(t), now + 10))
    # then the town stays cancelled, its retention date unchanged
    assert stale_update.json()["outcome"] == "stale"
    assert late_invoice.json()["outcome"] == "ended_subscription"
    row = tenant_row(env, "chaos-late")
    assert row.status == "cancelled" and row.delete_after == cancelled.delete_after
    # and when the town subscribes again (a new subscription), it is active again
    renewed = {**subscription(t, "active"), "id": f"sub_{t.slug}_2"}
    back = post_event(operator, event("customer.subscription.created", renewed, now + 20))
    assert back.json()["outcome"] == "applied"
    assert tenant_row(env, "chaos-late").status == "active"
    assert audit_actions(env, t.id).count("tenant.status") == 2
    # no other town moved
    assert tenant_row(env, "usuki").status == usuki_before
