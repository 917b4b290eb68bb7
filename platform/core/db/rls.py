"""PostgreSQL roles, grants and Row-Level Security — the only raw SQL outside queries.

Migrations run as an administrator and ``SET ROLE`` to the owner role, so every object is
owned by ``kasane_owner``. The application connects as ``kasane_app``: it owns nothing,
cannot bypass RLS, and may not change or delete audit rows. The central site connects as
``kasane_central``: it reads the released tables and the budget ledger, nothing else.
"""

from __future__ import annotations

OWNER_ROLE = "kasane_owner"
APP_ROLE = "kasane_app"
POLICY = "tenant_isolation"
TENANT_EXPR = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
APPEND_ONLY_TABLES = ("audit_events", "audit_reads")
CENTRAL_ROLE = "kasane_central"  # the central site's (kasane.central): released tables only


def roles_sql() -> list[str]:
    """Create the three roles when missing (roles are cluster-wide, so tolerate existing
    ones): the owner, the app and the central site."""
    login = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    return [
        f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
    CREATE ROLE {OWNER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} {login};
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CENTRAL_ROLE}') THEN
    CREATE ROLE {CENTRAL_ROLE} {login};
  END IF;
END $$""",
        # Only a superuser may change these attributes, so only touch them when wrong
        # (a managed PostgreSQL's admin is not a superuser).
        *(
            f"""DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}'
             AND (rolsuper OR rolbypassrls)) THEN
    ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$"""
            for role in (APP_ROLE, CENTRAL_ROLE)
        ),
        f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {CENTRAL_ROLE}",
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


# The ``tenants`` row: which columns the app role may change, and only on the row of the
# tenant it serves. Routing and lifecycle identity — slug, municipality code, prefecture,
# the bound plugin, deletion marks — are the operator's (``kasane tenants …`` with the
# migration URL): one injection while serving a town cannot re-point another town's host,
# rebind its plugin or mark it for offboarding. A migration that adds a column the app
# must write re-runs :func:`tenants_table_sql` with it listed here.
TENANT_APP_COLUMNS = (
    "name",
    "population",
    "status",
    "status_changed_at",
    "plan",
    "theme",
    "last_good_config",
    "config_problems",
    "stripe_customer_id",
    "stripe_subscription_id",
    "billing_event_at",
    "past_due_since",
    "delete_after",
    "comparison_opt_in",  # the town's choice to be compared (central metrics)
    "billing_method",  # card or invoice (年度契約), the admin's choice
)
TENANT_ROW = "id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def tenants_table_sql(columns: tuple[str, ...] = TENANT_APP_COLUMNS) -> list[str]:
    """RLS and column grants on ``tenants``: the app role reads every row (host → tenant
    resolution and signup need it; the table holds no personal data), inserts new tenants
    (signup), and updates only ``columns`` of the row its transaction is bound to."""
    return [
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenants FORCE ROW LEVEL SECURITY",
        "DROP POLICY IF EXISTS tenants_read ON tenants",
        "DROP POLICY IF EXISTS tenants_insert ON tenants",
        "DROP POLICY IF EXISTS tenants_update ON tenants",
        "DROP POLICY IF EXISTS tenants_owner ON tenants",
        f"CREATE POLICY tenants_read ON tenants FOR SELECT TO {APP_ROLE} USING (true)",
        f"CREATE POLICY tenants_insert ON tenants FOR INSERT TO {APP_ROLE} WITH CHECK (true)",
        f"CREATE POLICY tenants_update ON tenants FOR UPDATE TO {APP_ROLE} "
        f"USING ({TENANT_ROW}) WITH CHECK ({TENANT_ROW})",
        f"CREATE POLICY tenants_owner ON tenants TO {OWNER_ROLE} USING (true) WITH CHECK (true)",
        f"REVOKE UPDATE, DELETE ON tenants FROM {APP_ROLE}",
        f"GRANT SELECT, INSERT ON tenants TO {APP_ROLE}",
        f"GRANT UPDATE ({', '.join(columns)}) ON tenants TO {APP_ROLE}",
    ]


def tenants_table_undo_sql() -> list[str]:
    return [
        *(
            f"DROP POLICY IF EXISTS {name} ON tenants"
            for name in ("tenants_read", "tenants_insert", "tenants_update", "tenants_owner")
        ),
        "ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE tenants DISABLE ROW LEVEL SECURITY",
        f"REVOKE UPDATE ON tenants FROM {APP_ROLE}",
        f"GRANT SELECT, INSERT, UPDATE ON tenants TO {APP_ROLE}",
    ]


# ------------------------------------------------------------------ the central site's role

# Released figures and the budget ledger: the release job (app role) appends, nobody
# rewrites; the central site reads.
RELEASED_TABLES = ("central_releases", "central_released_cells", "central_budget_ledger")
# The central site's own accounts, sessions and audit log, with what it needs on each.
CENTRAL_OWN_TABLES = {
    "central_accounts": "SELECT, INSERT, UPDATE",
    "central_sessions": "SELECT, INSERT, UPDATE, DELETE",
    "central_events": "SELECT, INSERT",
}


def central_grants_sql() -> list[str]:
    """Every privilege of the central role (created with the others, :func:`roles_sql`):
    SELECT on the released tables and the ledger, its own accounts/sessions/events —
    nothing on any tenant table, nor on ``tenants``. The app role may append to the released
    tables and the ledger, never change them."""
    return [
        *(f"GRANT SELECT ON {t} TO {CENTRAL_ROLE}" for t in RELEASED_TABLES),
        *(f"GRANT SELECT, INSERT ON {t} TO {APP_ROLE}" for t in RELEASED_TABLES),
        *(f"GRANT {p} ON {t} TO {CENTRAL_ROLE}" for t, p in CENTRAL_OWN_TABLES.items()),
    ]
