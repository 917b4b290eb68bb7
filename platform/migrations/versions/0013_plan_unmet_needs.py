"""Unmet needs recorded in support plans (for the gap list).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from kasane.migrations.rls_ops import protect_tenant_table

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_unmet_needs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("gap_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["support_plans.tenant_id", "support_plans.id"],
            name=op.f("fk_plan_unmet_needs_tenant_id_plan_id_support_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "gap_id"],
            ["resource_gaps.tenant_id", "resource_gaps.id"],
            name=op.f("fk_plan_unmet_needs_tenant_id_gap_id_resource_gaps"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_plan_unmet_needs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_plan_unmet_needs")),
    )
    with op.batch_alter_table("plan_unmet_needs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_unmet_needs_tenant_plan", ["tenant_id", "plan_id"], unique=False
        )
    protect_tenant_table("plan_unmet_needs")


def downgrade() -> None:
    with op.batch_alter_table("plan_unmet_needs", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_unmet_needs_tenant_plan")
    op.drop_table("plan_unmet_needs")
