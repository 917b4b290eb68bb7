"""Signup: a municipality becomes a tenant in ``trial``, with an invitation for its admin.

The municipality is named by its 全国地方公共団体コード, checked against the bundled list
(which fills in name and prefecture). The admin contact is personal data: it is stored only
in the tenant's own ``tenant_admin_invitations`` table, never on the platform row, in the
audit log or at the payment provider. Only a hash of the invitation token is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from kasane.core.audit.services import do_audit
from kasane.core.db import Database, utcnow
from kasane.core.i18n import N_
from kasane.tenants.codes import municipality_code_problem
from kasane.tenants.models import AdminInvitation, Tenant
from kasane.tenants.municipalities import Municipality, find_municipality
from kasane.tenants.plans import find_plan
from kasane.tenants.services import TenantInvalid, do_create_tenant

STANDARD_PLUGIN = "kasane.tenants.standard_plugin"  # until the town has a plugin of its own
INVITATION_PATH = "/invitation"  # on the tenant host; the first-login flow serves it
INVITATION_DAYS = 14
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
FIELDS = (
    "municipality_code",
    "population",
    "admin_name",
    "admin_email",
    "slug",
    "plan",
    "billing_method",
    "payment_days",
)
BILLING_METHODS = ("card", "invoice")


@dataclass
class SignupForm:
    municipality_code: str = ""
    population: str = ""
    admin_name: str = ""
    admin_email: str = ""
    slug: str = ""
    plan: str = ""
    billing_method: str = "card"  # card: Checkout now; invoice: 年度契約 from this month
    payment_days: str = "30"

    @classmethod
    def of(cls, data: dict[str, str]) -> SignupForm:
        return cls(**{name: str(data.get(name, getattr(cls, name))).strip() for name in FIELDS})


@dataclass
class SignupResult:
    tenant: Tenant
    invitation_token: str  # shown once (demo mode), e-mailed in production


@dataclass
class SignupChecked:
    problems: dict[str, str] = field(default_factory=dict)  # field → msgid
    municipality: Municipality | None = None
    population: int | None = None


class SignupInvalid(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def municipality_problem(code: str) -> tuple[Municipality | None, str | None]:
    """The municipality with this code, or what is wrong with the code (msgid)."""
    if problem := municipality_code_problem(code):
        return None, problem
    found = find_municipality(code)
    return found, None if found else N_("No municipality has this code")


def check_signup(form: SignupForm) -> SignupChecked:
    """Every field's problem at once (tenant-wide clashes are found by :func:`do_signup`)."""
    checked = SignupChecked()
    problems = checked.problems
    checked.municipality, code_problem = municipality_problem(form.municipality_code)
    if code_problem:
        problems["municipality_code"] = code_problem
    population = form.population.replace(",", "")
    if population.isascii() and population.isdigit() and int(population) > 0:
        checked.population = int(population)
    else:
        problems["population"] = N_("Enter the population as a whole number")
    if not form.admin_name:
        problems["admin_name"] = N_("Enter the administrator's name")
    elif len(form.admin_name) > 120:
        problems["admin_name"] = N_("Use at most 120 characters")
    if len(form.admin_email) > 254 or not EMAIL.match(form.admin_email):
        problems["admin_email"] = N_("Enter a valid e-mail address")
    plan = find_plan(form.plan)
    if plan is None:
        problems["plan"] = N_("Choose a plan")
    elif checked.population is not None and not plan.covers(checked.population):
        problems["plan"] = N_("This plan does not cover your population; choose a larger one")
    if form.billing_method not in BILLING_METHODS:
        problems["billing_method"] = N_("Choose how you pay")
    elif form.billing_method == "invoice" and form.payment_days not in ("30", "60"):
        problems["payment_days"] = N_("Choose 30 or 60 days")
    return checked


async def _clashes(db: Database, form: SignupForm, problems: dict[str, str]) -> dict[str, str]:
    """Slug and code already taken, so that one refusal names every problem."""
    found: dict[str, str] = {}
    async with db.session() as s:
        if "slug" not in problems and form.slug:
            if (await s.execute(select(Tenant.id).where(Tenant.slug == form.slug))).first():
                found["slug"] = N_("This slug is already taken")
        if "municipality_code" not in problems and form.municipality_code:
            code = Tenant.municipality_code == form.municipality_code
            if (await s.execute(select(Tenant.id).where(code))).first():
                found["municipality_code"] = N_("This municipality has already signed up")
    return found


def invitation_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def do_signup(db: Database, form: SignupForm) -> SignupResult:
    """Create the tenant in ``trial`` with its plan and the admin's invitation.

    Raises:
        SignupInvalid: problems per form field (msgids), the taken slug or code included.
    """
    checked = check_signup(form)
    problems = {**checked.problems, **await _clashes(db, form, checked.problems)}
    municipality = checked.municipality
    if problems or municipality is None:
        raise SignupInvalid(problems)
    try:
        tenant = await do_create_tenant(
            db,
            slug=form.slug,
            name=municipality.name,
            municipality_code=municipality.code,
            prefecture=municipality.prefecture,
            plugin=STANDARD_PLUGIN,
            population=checked.population,
            status="trial",
            actor="signup",
        )
    except TenantInvalid as exc:
        fields = {"name": "municipality_code", "prefecture": "municipality_code"}
        raise SignupInvalid(
            {fields.get(k, k): v for k, v in exc.problems.items() if fields.get(k, k) in FIELDS}
            or {"slug": N_("This slug is already taken")}
        ) from exc
    token = secrets.token_urlsafe(32)
    async with db.session(tenant.id) as s:
        row = await s.get(Tenant, tenant.id)
        assert row is not None
        row.plan, row.status_changed_at = form.plan, utcnow()
        invitation = AdminInvitation(
            name=form.admin_name,
            email=form.admin_email,
            token_hash=invitation_hash(token),
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
        s.add(invitation)
        await s.flush()
        # the audit names the invitation, never the person
        await do_audit(s, "signup", "tenant.admin_invited", f"admin_invitation:{invitation.id}")
    tenant.plan = form.plan
    return SignupResult(tenant, token)
