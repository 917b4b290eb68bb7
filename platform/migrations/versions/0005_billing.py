"""Billing and signup: Stripe ids, plan and status dates on tenants; the admin invitation
given at signup (tenant-scoped); the received webhook events (a platform table).

A separate head beside 0004 (the registry); a merge revision joins them.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import grant_platform_table, protect_tenant_table

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TENANT_COLUMNS = (
    "plan",
    "stripe_customer_id",
    "stripe_subscription_id",
    "status_changed_at",
    "billing_event_at",
    "past_due_since",
    "delete_after",
    "deletion_marked_at",
)


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("stripe_customer_id", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column("status_changed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("billing_event_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("past_due_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("delete_after", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("deletion_marked_at", UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_tenants_stripe_customer_id", ["stripe_customer_id"])

    op.create_table(
        "tenant_admin_invitations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_admin_invitations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenant_admin_invitations")),
        sa.UniqueConstraint(
            "tenant_id",
            "token_hash",
            name=op.f("uq_tenant_admin_invitations_tenant_id_token_hash"),
        ),
    )
    protect_tenant_table("tenant_admin_invitations")

    op.create_table(
        "billing_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("tenant_ref", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_ref"],
            ["tenants.id"],
            name=op.f("fk_billing_events_tenant_ref_tenants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_billing_events")),
    )
    grant_platform_table("billing_events", "SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("billing_events")
    op.drop_table("tenant_admin_invitations")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tenants_stripe_customer_id", type_="unique")
        for column in reversed(TENANT_COLUMNS):
            batch_op.drop_column(column)
