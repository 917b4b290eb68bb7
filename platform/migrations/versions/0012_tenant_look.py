"""Tenant look and words: theme, colours, logo text and terminology overrides set by the admin.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_looks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=True),
        sa.Column("primary_color", sa.String(length=7), nullable=True),
        sa.Column("accent_color", sa.String(length=7), nullable=True),
        sa.Column("logo_text", sa.String(length=40), nullable=True),
        sa.Column("terminology", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_looks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenant_looks")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_tenant_looks_tenant_id")),
    )
    protect_tenant_table("tenant_looks")


def downgrade() -> None:
    op.drop_table("tenant_looks")
