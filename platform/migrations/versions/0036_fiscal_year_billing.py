"""Fiscal-year contracts paid by invoice: the tenant's billing method, the quotations
issued (a platform table) and each tenant's invoices (tenant-scoped, RLS).

Revision ID: 0036
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime, rls
from kasane.migrations.rls_ops import grant_platform_table, protect_tenant_table

revision = "0036"
down_revision = "0026"
branch_labels = None
depends_on = None

APP_COLUMNS = (
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
    "comparison_opt_in",
    "billing_method",
)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("billing_method", sa.String(length=10), nullable=True))
    op.create_table(
        "billing_quotes",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("municipality_name", sa.String(length=120), nullable=False),
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("subtotal_yen", sa.BigInteger(), nullable=False),
        sa.Column("tax_yen", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_billing_quotes")),
    )
    grant_platform_table("billing_quotes", "SELECT, INSERT")
    op.create_table(
        "billing_invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("provider_invoice_id", sa.String(length=255), nullable=True),
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("subtotal_yen", sa.BigInteger(), nullable=False),
        sa.Column("tax_yen", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_invoices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_billing_invoices")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_billing_invoices_tenant_id_number")
        ),
    )
    op.create_index(
        "ix_billing_invoices_tenant_status",
        "billing_invoices",
        ["tenant_id", "status", "due_on"],
    )
    protect_tenant_table("billing_invoices")
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_sql(APP_COLUMNS):
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_sql(APP_COLUMNS[:-1]):
            op.execute(sql)
    op.drop_index("ix_billing_invoices_tenant_status", table_name="billing_invoices")
    op.drop_table("billing_invoices")
    op.drop_table("billing_quotes")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("billing_method")
