"""Helpers for migration scripts: RLS and grants, applied on PostgreSQL only."""

from __future__ import annotations

from alembic import op

from kasane.core.db import rls


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def protect_tenant_table(table: str) -> None:
    """ENABLE + FORCE RLS with the tenant policy, and the app role's grants."""
    if _is_postgres():
        for sql in rls.enable_rls_sql(table):
            op.execute(sql)


def grant_platform_table(table: str, privileges: str = "SELECT") -> None:
    if _is_postgres():
        for sql in rls.platform_table_sql(table, privileges):
            op.execute(sql)


def central_grants() -> None:
    """The grants on the central tables (kasane.core.db.rls.central_grants_sql)."""
    if _is_postgres():
        for sql in rls.central_grants_sql():
            op.execute(sql)
