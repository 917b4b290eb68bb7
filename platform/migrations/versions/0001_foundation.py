"""Foundation: tenants, staff accounts and sessions, audit log; RLS on PostgreSQL.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import grant_platform_table, protect_tenant_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_cols(table: str) -> list[sa.Column]:
    return [
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("prefecture", sa.String(10), nullable=False),
        sa.Column("population", sa.Integer()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("plugin", sa.String(120), nullable=False),
        sa.Column("theme", sa.String(63)),
        sa.Column("last_good_config", sa.Text()),
        sa.Column("config_problems", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('trial','active','past_due','suspended','cancelled')",
            name="ck_tenants_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
        sa.UniqueConstraint("municipality_code", name="uq_tenants_municipality_code"),
    )
    grant_platform_table("tenants", "SELECT, INSERT, UPDATE")

    op.create_table(
        "staff_accounts",
        *_tenant_cols("staff_accounts"),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_key", sa.String(64)),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_staff_accounts"),
        sa.UniqueConstraint("tenant_id", "username", name="uq_staff_accounts_tenant_id_username"),
    )
    protect_tenant_table("staff_accounts")

    op.create_table(
        "staff_sessions",
        *_tenant_cols("staff_sessions"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_staff_sessions"),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name="uq_staff_sessions_tenant_id_token_hash"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["staff_accounts.tenant_id", "staff_accounts.id"],
            ondelete="CASCADE",
            name="fk_staff_sessions_tenant_id_account_id_staff_accounts",
        ),
    )
    protect_tenant_table("staff_sessions")

    op.create_table(
        "audit_events",
        *_tenant_cols("audit_events"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_events"),
        sa.UniqueConstraint("tenant_id", "seq", name="uq_audit_events_tenant_id_seq"),
    )
    protect_tenant_table("audit_events")


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
    op.drop_table("tenants")
