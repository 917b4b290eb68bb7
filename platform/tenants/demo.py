"""Demo tenants and accounts for ``make run`` (idempotent: safe to run every start).

Each demo account holds a role in an agency, so need-to-know and roles are visible in the
demo: the caseworker works at the 地域包括支援センター and sees its cases, the supervisor and
admin (tenant_admin) at the agency that runs 多機関協働, and ``kodomo`` at the children's
centre sees only cases that centre takes part in. ``viewer`` reads what the 地域包括 sees and
changes nothing; ``registry`` (registry_editor) keeps the resource registry and 地域づくり but
opens no case. The supervisor also works as a caseworker at the 地域包括 (兼務): the header
switches between the two.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.auth.memberships import do_grant_role
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.tenants.demo_caseload import seed_caseload
from kasane.tenants.demo_central import seed_central
from kasane.tenants.demo_community import seed_community
from kasane.tenants.demo_history import seed_history
from kasane.tenants.demo_meetings import seed_meetings
from kasane.tenants.demo_registry import seed_registry
from kasane.tenants.models import Tenant
from kasane.tenants.services import do_create_tenant, find_tenant_by_slug, tenant_info

DEMO_PASSWORD = "kasane-demo"
DEMO_TENANTS = [
    {
        "slug": "usuki",
        "name": "臼杵市",
        "municipality_code": "442062",
        "prefecture": "大分県",
        "population": 36000,
        "plugin": "usuki",
    },
    {
        "slug": "marugame",
        "name": "丸亀市",
        "municipality_code": "372021",
        "prefecture": "香川県",
        "population": 110000,
        "plugin": "marugame",
    },
]


def demo_accounts(config: TenantConfig) -> list[tuple[str, str, str, str]]:
    """(username, display name, role, agency key) for one demo tenant."""
    coordinator = config.coordinating_agency().key
    elderly = next(
        (c.agency for c in config.counters if c.field == "elderly" and c.agency), coordinator
    )
    children = next((a.key for a in config.agencies if a.field == "children"), coordinator)
    return [
        ("admin", "管理者（デモ）", "tenant_admin", coordinator),
        ("supervisor", "スーパーバイザー（デモ）", "supervisor", coordinator),
        ("caseworker", "相談支援員（デモ）", "caseworker", elderly),
        ("kodomo", "こども担当（デモ）", "caseworker", children),
        ("viewer", "閲覧者（デモ）", "viewer", elderly),
        ("registry", "資源台帳担当（デモ）", "registry_editor", coordinator),
    ]


def demo_second_memberships(config: TenantConfig) -> list[tuple[str, str, str]]:
    """(username, role, agency key): roles a demo account holds beside its first (兼務)."""
    coordinator = config.coordinating_agency().key
    elderly = next(
        (c.agency for c in config.counters if c.field == "elderly" and c.agency), coordinator
    )
    return [("supervisor", "caseworker", elderly)] if elderly != coordinator else []


async def _second_memberships(s: AsyncSession, config: TenantConfig, slug: str) -> list[str]:
    lines = []
    for username, role, agency in demo_second_memberships(config):
        account = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one()
        if not any(m.role == role and m.agency_key == agency for m in account.memberships):
            await do_grant_role(s, account, role, agency, actor="demo-seed")
            lines.append(f"granted {slug}/{username} {role} at {agency}")
    return lines


async def seed_town(db: Database, tenant: Tenant, *, full: bool = True) -> list[str]:
    """One town's demo accounts, caseload and meetings (``full``: also its registry,
    地域づくり and history), on whatever plugin the tenant is bound to (idempotent)."""
    lines: list[str] = []
    config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
    async with db.session(tenant.id) as s:
        existing = set((await s.execute(select(StaffAccount.username))).scalars())
        for username, display, role, agency in demo_accounts(config):
            if username not in existing:
                await do_create_account(
                    s,
                    username=username,
                    display_name=display,
                    password=DEMO_PASSWORD,
                    role=role,
                    agency_key=agency,
                    actor="demo-seed",
                )
                lines.append(f"created {tenant.slug}/{username}")
        lines += await _second_memberships(s, config, tenant.slug)
        accounts = {a.username: a for a in (await s.execute(select(StaffAccount))).scalars()}
    lines += await seed_caseload(db, tenant, config, accounts)
    lines += await seed_meetings(db, tenant, config, accounts)
    if full:
        lines += await seed_registry(db, tenant, config)
        lines += await seed_community(db, tenant, config, accounts)
        lines += await seed_history(db, tenant, config, accounts)
    return lines


async def seed_demo(db: Database, central_db: Database | None = None) -> list[str]:
    """Create the demo tenants and their accounts when missing, then the central
    comparison's demo (``central_db``: the central site's database, default ``db``); report
    what was created."""
    lines: list[str] = []
    tenants = []
    for spec in DEMO_TENANTS:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, spec["slug"])  # type: ignore[arg-type]
        if tenant is None:
            tenant = await do_create_tenant(db, status="active", actor="demo-seed", **spec)  # type: ignore[arg-type]
            lines.append(f"created tenant {tenant.slug}")
        lines += await seed_town(db, tenant)
        tenants.append(tenant)
    lines += await seed_central(db, tenants, central_db)
    lines.append("demo data ready")
    return lines
