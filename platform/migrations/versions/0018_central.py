"""The central site (issue 11): released tables, the budget ledger, central accounts,
sessions and events; the tenants' opt-in; the role kasane_central on PostgreSQL.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import central_grants, grant_platform_table

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("comparison_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # The tenant admin changes these two on the tenant's own row (column-level on main).
    grant_platform_table("tenants", "UPDATE (comparison_opt_in, population)")

    op.create_table(
        "central_releases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("release_key", sa.String(length=20), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("table_key", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("unit_kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefecture", sa.String(length=10), nullable=False),
        sa.Column("prefecture_code", sa.String(length=2), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("scale", sa.Float(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "unit_kind IN ('town','pool')", name=op.f("ck_central_releases_unit_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_releases")),
        sa.UniqueConstraint(
            "table_key",
            "release_key",
            "unit_code",
            name=op.f("uq_central_releases_table_key_release_key_unit_code"),
        ),
    )
    op.create_index(
        "ix_central_releases_key_table", "central_releases", ["release_key", "table_key"]
    )
    op.create_table(
        "central_released_cells",
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column("measure", sa.String(length=80), nullable=False),
        sa.Column("d1", sa.String(length=20), nullable=False),
        sa.Column("d2", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["central_releases.id"],
            name=op.f("fk_central_released_cells_release_id_central_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "release_id", "measure", "d1", "d2", name=op.f("pk_central_released_cells")
        ),
    )
    op.create_table(
        "central_budget_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefecture", sa.String(length=10), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("release_key", sa.String(length=20), nullable=False),
        sa.Column("table_key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("spent_before", sa.Float(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('spend','refusal')", name=op.f("ck_central_budget_ledger_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_budget_ledger")),
        sa.UniqueConstraint(
            "municipality_code",
            "release_key",
            "table_key",
            "kind",
            name=op.f("uq_central_budget_ledger_municipality_code_release_key_table_key_kind"),
        ),
    )
    op.create_index(
        "ix_central_budget_ledger_fy_code",
        "central_budget_ledger",
        ["fiscal_year", "municipality_code"],
    )
    op.create_table(
        "central_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("prefecture_code", sa.String(length=2), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret_sealed", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('operator_analyst','prefecture_analyst','guest')",
            name=op.f("ck_central_accounts_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_central_accounts_email")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_central_accounts_oidc_subject")),
        sa.UniqueConstraint("username", name=op.f("uq_central_accounts_username")),
    )
    op.create_table(
        "central_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["central_accounts.id"],
            name=op.f("fk_central_sessions_account_id_central_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_central_sessions_token_hash")),
    )
    op.create_table(
        "central_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_central_events")),
    )
    central_grants()


def downgrade() -> None:
    # The role kasane_central is cluster-wide (other databases may use it): it stays; its
    # privileges go with the tables.
    op.drop_table("central_events")
    op.drop_table("central_sessions")
    op.drop_table("central_accounts")
    op.drop_index("ix_central_budget_ledger_fy_code", table_name="central_budget_ledger")
    op.drop_table("central_budget_ledger")
    op.drop_table("central_released_cells")
    op.drop_index("ix_central_releases_key_table", table_name="central_releases")
    op.drop_table("central_releases")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("comparison_opt_in")
