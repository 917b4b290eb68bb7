"""The 実施計画's targets per indicator and fiscal year (issue 10, reports); indexes that let
the fiscal-year report read stage moves and first plans by date.

Revision ID: 0017
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_targets",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("indicator_key", sa.String(length=80), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_report_targets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_report_targets")),
        sa.UniqueConstraint(
            "tenant_id",
            "indicator_key",
            "fiscal_year",
            name=op.f("uq_report_targets_tenant_id_indicator_key_fiscal_year"),
        ),
    )
    protect_tenant_table("report_targets")
    op.create_index("ix_stage_events_tenant_at", "stage_events", ["tenant_id", "at"])
    op.create_index("ix_support_plans_tenant_created", "support_plans", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_support_plans_tenant_created", table_name="support_plans")
    op.drop_index("ix_stage_events_tenant_at", table_name="stage_events")
    op.drop_table("report_targets")
