"""評価 per plan goal: each goal's outcome and finding, and the plan version judged.

Revision ID: 0040
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from kasane.migrations.rls_ops import protect_tenant_table

revision = "0040"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("plan_version", sa.Integer(), nullable=True))
    op.create_table(
        "evaluation_goals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("plan_row_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("finding_sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "evaluation_id"],
            ["evaluations.tenant_id", "evaluations.id"],
            name=op.f("fk_evaluation_goals_tenant_id_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_row_id"],
            ["plan_rows.tenant_id", "plan_rows.id"],
            name=op.f("fk_evaluation_goals_tenant_id_plan_row_id_plan_rows"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_goals_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_evaluation_goals")),
    )
    with op.batch_alter_table("evaluation_goals") as batch:
        batch.create_index(
            "ix_evaluation_goals_tenant_evaluation", ["tenant_id", "evaluation_id"], unique=False
        )
    protect_tenant_table("evaluation_goals")


def downgrade() -> None:
    op.drop_table("evaluation_goals")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("plan_version")
