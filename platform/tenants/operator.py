"""What the operator does to a tenant from the command line: check a tenant's plugin and
municipality before creating it, rebind it to another plugin, invite its first admin, show
it (``kasane tenants create|set-plugin|invite-admin|show``).

A plugin is checked against the tenant it will configure (its real name and code), the
same way ``kasane plugins check`` checks it; a plugin that fails is refused, so a tenant is
never created on, or moved to, a broken plugin.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kasane.core import plugins
from kasane.core.audit.services import do_audit
from kasane.core.config_types import TenantInfo
from kasane.core.db import Database, utcnow
from kasane.core.i18n import N_
from kasane.tenants.models import AdminInvitation, Tenant
from kasane.tenants.municipalities import find_municipality
from kasane.tenants.services import TenantInvalid, find_tenant_by_slug
from kasane.tenants.signup import EMAIL, INVITATION_DAYS, INVITATION_PATH, invitation_hash


def municipality_problems(code: str, name: str, prefecture: str) -> dict[str, str]:
    """The bundled list must know the code, and name it and its prefecture as given."""
    found = find_municipality(code)
    if found is None:
        return {"municipality_code": N_("No municipality has this code")}
    problems: dict[str, str] = {}
    if name.strip() != found.name:
        problems["name"] = f"code {code} is {found.prefecture}{found.name}, not {name!r}"
    if prefecture.strip() != found.prefecture:
        problems["prefecture"] = f"code {code} is in {found.prefecture}, not {prefecture!r}"
    return problems


def plugin_problems(plugin_ref: str, info: TenantInfo) -> list[str]:
    """Every problem ``plugins check`` would report for this tenant on that plugin."""
    try:
        plugins.build_config(plugins.load_plugin(plugin_ref), info)
    except plugins.PluginNotFound:
        return [f"{plugin_ref}: no installed municipal plugin has this name"]
    except plugins.PluginInvalid as exc:
        return exc.problems
    return []


class PluginRefused(ValueError):
    """The plugin fails its check for this tenant; ``problems`` say where."""

    def __init__(self, plugin: str, problems: list[str]) -> None:
        super().__init__(f"plugin {plugin!r} fails its check")
        self.plugin, self.problems = plugin, problems


def check_new_tenant(
    *,
    name: str,
    code: str,
    prefecture: str,
    plugin: str,
    population: int | None,
    slug: str = "new",
) -> None:
    """What ``tenants create`` refuses beyond :func:`check_tenant`.

    Raises:
        TenantInvalid: the code is another town's (or nobody's).
        PluginRefused: the plugin fails its check for this town.
    """
    if problems := municipality_problems(code, name, prefecture):
        raise TenantInvalid(problems)
    info = TenantInfo(
        slug=slug, name=name, municipality_code=code, prefecture=prefecture, population=population
    )
    if problems_found := plugin_problems(plugin, info):
        raise PluginRefused(plugin, problems_found)


async def _tenant(db: Database, slug: str) -> Tenant:
    async with db.session() as s:
        tenant = await find_tenant_by_slug(s, slug)
    if tenant is None:
        raise LookupError(slug)
    return tenant


async def do_set_plugin(db: Database, slug: str, plugin: str, actor: str = "cli") -> Tenant:
    """Rebind a tenant to another plugin, checked first and audited in its chain.

    Running servers pick it up at their next look at the tenant (a few seconds: the resolver
    rebuilds a tenant whose plugin changed); no other tenant is touched.

    Raises:
        LookupError: no tenant has this slug.
        PluginRefused: the plugin fails its check for this tenant (nothing changes).
    """
    from kasane.tenants.services import do_activate_plugin, tenant_info

    tenant = await _tenant(db, slug)
    if problems := plugin_problems(plugin, tenant_info(tenant)):
        raise PluginRefused(plugin, problems)
    async with db.session(tenant.id) as s:
        row = await s.get(Tenant, tenant.id)
        assert row is not None
        old, row.plugin = row.plugin, plugin
        await do_audit(s, actor, "tenant.plugin", f"tenant:{tenant.id}", old=old, new=plugin)
    tenant.plugin = plugin
    await do_activate_plugin(db, tenant)  # stores the new last good configuration
    return tenant


@dataclass(frozen=True)
class AdminInvite:
    tenant: Tenant
    token: str
    expires_at: datetime


async def do_invite_admin(
    db: Database, slug: str, email: str, name: str = "", actor: str = "cli"
) -> AdminInvite:
    """A first-admin invitation (the same kind signup makes), audited without the person.

    Raises:
        LookupError: no tenant has this slug.
        TenantInvalid: the e-mail address or name is not usable.
    """
    email, name = email.strip(), name.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise TenantInvalid({"email": N_("Enter a valid e-mail address")})
    if len(name) > 120:
        raise TenantInvalid({"name": N_("Use at most 120 characters")})
    tenant = await _tenant(db, slug)
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=INVITATION_DAYS)
    async with db.session(tenant.id) as s:
        invitation = AdminInvitation(
            name=name, email=email, token_hash=invitation_hash(token), expires_at=expires
        )
        s.add(invitation)
        await s.flush()
        await do_audit(s, actor, "tenant.admin_invited", f"admin_invitation:{invitation.id}")
    return AdminInvite(tenant, token, expires)


def invitation_link(base_domain: str, secure: bool, slug: str, token: str) -> str:
    scheme = "https" if secure else "http"
    return f"{scheme}://{slug}.{base_domain}{INVITATION_PATH}?token={token}"


async def tenant_summary(db: Database, slug: str) -> list[tuple[str, str]]:
    """``tenants show``: the tenant row's facts and its stored plugin problems.

    Raises:
        LookupError: no tenant has this slug.
    """
    t = await _tenant(db, slug)
    problems = (t.config_problems or "").splitlines()
    rows = [
        ("slug", t.slug),
        ("name", f"{t.name} ({t.prefecture}, {t.municipality_code})"),
        ("status", t.status),
        ("plan", t.plan or "-"),
        ("plugin", t.plugin),
        ("theme", t.theme or "(the plugin's)"),
        ("last good config", "kept" if t.last_good_config else "none yet"),
        ("plugin problems", str(len(problems)) if problems else "none"),
    ]
    rows += [("  -", p) for p in problems]
    return rows
