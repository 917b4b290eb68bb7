"""PostgreSQL roles, grants and Row-Level Security — the only raw SQL outside queries.

Migrations run as an administrator and ``SET ROLE`` to the owner role, so every object is
owned by ``kasane_owner``. The application connects as ``kasane_app``: it owns nothing,
cannot bypass RLS, and may not change or delete audit rows.
"""

from __future__ import annotations

OWNER_ROLE = "kasane_owner"
APP_ROLE = "kasane_app"
POLICY = "tenant_isolation"
TENANT_EXPR = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
APPEND_ONLY_TABLES = ("audit_events",)


def roles_sql() -> list[str]:
    """Create both roles when missing (roles are cluster-wide, so tolerate existing ones)."""
    return [
        f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
    CREATE ROLE {OWNER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$""",
        # Only a superuser may change these attributes, so only touch them when wrong
        # (a managed PostgreSQL's admin is not a superuser).
        f"""DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}'
             AND (rolsuper OR rolbypassrls)) THEN
    ALTER ROLE {APP_ROLE} NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$""",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    ]


def enable_rls_sql(table: str) -> list[str]:
    """ENABLE + FORCE RLS with the tenant policy, and the app role's grants."""
    privileges = (
        "SELECT, INSERT" if table in APPEND_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
    )
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING ({TENANT_EXPR}) WITH CHECK ({TENANT_EXPR})",
        f"GRANT {privileges} ON {table} TO {APP_ROLE}",
    ]


def platform_table_sql(table: str, privileges: str = "SELECT") -> list[str]:
    """Grants on a platform (non-tenant) table such as ``tenants``."""
    return [f"GRANT {privileges} ON {table} TO {APP_ROLE}"]
