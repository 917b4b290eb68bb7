"""Demo tenants and accounts for ``make run`` (idempotent: safe to run every start)."""

from __future__ import annotations

from sqlalchemy import select

from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.db import Database
from kasane.tenants.services import do_create_tenant, get_tenant_by_slug

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
DEMO_ACCOUNTS = [
    ("admin", "管理者（デモ）", "admin"),
    ("supervisor", "スーパーバイザー（デモ）", "supervisor"),
    ("caseworker", "相談支援員（デモ）", "caseworker"),
]


async def seed_demo(db: Database) -> list[str]:
    """Create the demo tenants and their three accounts when missing; report what exists."""
    lines: list[str] = []
    for spec in DEMO_TENANTS:
        async with db.session() as s:
            tenant = await get_tenant_by_slug(s, spec["slug"])  # type: ignore[arg-type]
        if tenant is None:
            tenant = await do_create_tenant(db, status="active", actor="demo-seed", **spec)  # type: ignore[arg-type]
            lines.append(f"created tenant {tenant.slug}")
        async with db.session(tenant.id) as s:
            existing = set((await s.execute(select(StaffAccount.username))).scalars())
            for username, display, role in DEMO_ACCOUNTS:
                if username not in existing:
                    await do_create_account(
                        s,
                        username=username,
                        display_name=display,
                        password=DEMO_PASSWORD,
                        role=role,
                        actor="demo-seed",
                    )
                    lines.append(f"created {tenant.slug}/{username}")
    lines.append("demo data ready")
    return lines
