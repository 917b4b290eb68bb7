"""Reads audited without a lock (issue 16, decision 0024): ``audit_reads`` (insert-only for
the app role, like ``audit_events``) and the mark of a read folded into the chain.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_reads",
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_audit_reads_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_reads"),
    )
    op.create_index("ix_audit_reads_tenant_id_at", "audit_reads", ["tenant_id", "at"])
    protect_tenant_table("audit_reads")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("from_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_audit_events_folded_reads",
        "audit_events",
        ["tenant_id", "at"],
        postgresql_where=sa.text("from_read"),
        sqlite_where=sa.text("from_read"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_folded_reads", table_name="audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("from_read")
    op.drop_table("audit_reads")
