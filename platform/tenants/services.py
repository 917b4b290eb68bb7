"""Tenant lifecycle and the bridge to the core: build TenantContexts, activate plugins."""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.audit.services import do_audit
from kasane.core.config_types import TenantInfo
from kasane.core.db import Database
from kasane.core.i18n import N_
from kasane.core.tenancy import TenantContext, TenantLocal
from kasane.core.tenant_local import load_tenant_local
from kasane.core.themes import available_themes
from kasane.tenants.codes import municipality_code_problem
from kasane.tenants.models import STATUSES, Tenant

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
CENTRAL_SLUG = "central"  # central.{base domain}: the central site (kasane.central)
RESERVED_SLUGS = frozenset({"www", "admin", "api", "static", "operator", "mail", CENTRAL_SLUG})


class TenantInvalid(ValueError):
    """Bad tenant data; ``problems`` maps field → English msgid."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def check_tenant(
    slug: str, name: str, code: str, prefecture: str, plugin: str, status: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        problems["slug"] = N_(
            "Use 2-41 lower-case letters, digits or hyphens, starting with a letter"
        )
    if not name.strip():
        problems["name"] = N_("Enter the municipality's name")
    if problem := municipality_code_problem(code):
        problems["municipality_code"] = problem
    if not prefecture.strip():
        problems["prefecture"] = N_("Enter the prefecture")
    if status not in STATUSES:
        problems["status"] = f"Status must be one of {', '.join(STATUSES)}"
    if plugin not in plugins.installed_plugins() and "." not in plugin:
        problems["plugin"] = N_("No installed municipal plugin has this name")
    return problems


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    return list((await session.execute(select(Tenant).order_by(Tenant.slug))).scalars())


async def find_tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()


async def do_create_tenant(
    db: Database,
    *,
    slug: str,
    name: str,
    municipality_code: str,
    prefecture: str,
    plugin: str,
    population: int | None = None,
    status: str = "trial",
    theme: str | None = None,
    actor: str = "system",
) -> Tenant:
    """Create a tenant and audit it in the new tenant's own chain.

    Raises:
        TenantInvalid: a field is wrong, or the slug / code is taken.
    """
    problems = check_tenant(slug, name, municipality_code, prefecture, plugin, status)
    if theme is not None and theme not in available_themes():
        problems["theme"] = N_("No installed theme has this name")
    async with db.session() as s:
        if (await s.execute(select(Tenant).where(Tenant.slug == slug))).first():
            problems["slug"] = N_("This slug is already taken")
        if (
            await s.execute(select(Tenant).where(Tenant.municipality_code == municipality_code))
        ).first():
            problems["municipality_code"] = N_("A tenant with this code already exists")
        if problems:
            raise TenantInvalid(problems)
        tenant = Tenant(
            slug=slug,
            name=name,
            municipality_code=municipality_code,
            prefecture=prefecture,
            plugin=plugin,
            population=population,
            status=status,
            theme=theme,
        )
        s.add(tenant)
    async with db.session(tenant.id) as s:
        await do_audit(s, actor, "tenant.create", f"tenant:{tenant.id}", plugin=plugin)
    return tenant


def tenant_info(t: Tenant) -> TenantInfo:
    return TenantInfo(
        slug=t.slug,
        name=t.name,
        municipality_code=t.municipality_code,
        prefecture=t.prefecture,
        population=t.population,
    )


async def do_activate_plugin(db: Database, tenant: Tenant) -> list[str]:
    """Build the tenant's plugin config; keep the last good one when the plugin is bad.

    The good config is stored on the tenant row so it survives restarts.
    """

    def last_good() -> plugins.TenantConfig | None:
        return (
            plugins.config_from_json(tenant.last_good_config) if tenant.last_good_config else None
        )

    config, problems = plugins.activate(
        str(tenant.id), tenant.plugin, tenant_info(tenant), last_good
    )
    snapshot = None if problems else plugins.config_to_json(config).decode()
    new_problems = "\n".join(problems) or None
    if (snapshot and snapshot != tenant.last_good_config) or new_problems != tenant.config_problems:
        async with db.session(tenant.id) as s:  # the app role updates only the bound tenant
            row = await s.get(Tenant, tenant.id)
            assert row is not None
            if snapshot:
                row.last_good_config = snapshot
            row.config_problems = new_problems
        if snapshot:
            tenant.last_good_config = snapshot
        tenant.config_problems = new_problems
    return problems


# The seeded demo towns (kasane.tenants.demo): the only tenants the landing page lists and
# whose pages mention the demo (its password, the other demo town's theme).
DEMO_SLUGS = frozenset({"usuki", "marugame"})


def context_of(t: Tenant, local: TenantLocal | None = None) -> TenantContext:
    return TenantContext(
        id=t.id,
        slug=t.slug,
        name=t.name,
        status=t.status,
        info=tenant_info(t),
        theme_override=t.theme,
        local=local or TenantLocal(),
        demo=t.slug in DEMO_SLUGS,
        plugin_problems=tuple((t.config_problems or "").splitlines()),
    )


class TenantResolver:
    """Host → TenantContext, cached for a few seconds (status changes show up quickly).

    The cache is bounded (least recently used out first): random host names sent by anyone
    cannot grow it without limit.
    """

    TTL = 5.0
    MAX_ENTRIES = 4096

    def __init__(self, db: Database, base_domain: str) -> None:
        self.db, self.base_domain = db, base_domain.lower()
        self._cache: OrderedDict[str, tuple[float, TenantContext | None]] = OrderedDict()

    def slug_of(self, host: str) -> str | None:
        """``usuki.localhost:8000`` → ``usuki``; the bare base domain → None (operator)."""
        host = host.split(":", 1)[0].lower().rstrip(".")
        if host == self.base_domain:
            return None
        suffix = "." + self.base_domain
        if host.endswith(suffix) and "." not in host[: -len(suffix)]:
            return host[: -len(suffix)]
        return ""  # neither: unknown host

    async def resolve(self, slug: str) -> TenantContext | None:
        now = time.monotonic()
        hit = self._cache.get(slug)
        if hit and now - hit[0] < self.TTL:
            self._cache.move_to_end(slug)
            return hit[1]
        async with self.db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
        ctx = None
        if tenant is not None:
            # first sight in this process, or rebound (kasane tenants set-plugin) since
            if not plugins.is_active(str(tenant.id), tenant.plugin):
                await do_activate_plugin(self.db, tenant)
            ctx = context_of(tenant, await load_tenant_local(self.db, tenant.id))
        self._cache[slug] = (now, ctx)
        self._cache.move_to_end(slug)
        while len(self._cache) > self.MAX_ENTRIES:
            self._cache.popitem(last=False)
        return ctx

    def forget(self, slug: str) -> None:
        self._cache.pop(slug, None)

    def last_known(self, slug: str) -> TenantContext | None:
        """The town as last resolved, however old: its look for the outage page when the
        database cannot be asked."""
        hit = self._cache.get(slug)
        return hit[1] if hit else None


async def do_set_status(db: Database, tenant_id: uuid.UUID, status: str, actor: str) -> None:
    if status not in STATUSES:
        raise TenantInvalid({"status": f"Status must be one of {', '.join(STATUSES)}"})
    async with db.session(tenant_id) as s:  # the app role updates only the bound tenant
        row = await s.get(Tenant, tenant_id)
        if row is None:
            raise LookupError(tenant_id)
        old, row.status = row.status, status
        await do_audit(s, actor, "tenant.status", f"tenant:{tenant_id}", old=old, new=status)
