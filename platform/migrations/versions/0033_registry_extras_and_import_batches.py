"""Registry: what an HSDS import brought that the columns cannot hold (kept verbatim), and
import batches (preview, commit, undo).

Revision ID: 0033
Revises: 0026
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0033"
down_revision = "0026"
branch_labels = None
depends_on = None


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "registry_extras",
        *_tenant("registry_extras"),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.UniqueConstraint(
            "tenant_id",
            "record_type",
            "record_id",
            "field",
            name=op.f("uq_registry_extras_tenant_id_record_type_record_id_field"),
        ),
    )
    protect_tenant_table("registry_extras")
    op.create_table(
        "registry_import_batches",
        *_tenant("registry_import_batches"),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("changes", sa.LargeBinary(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("committed_at", UTCDateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=80), nullable=True),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('preview','committed','undone','discarded')",
            name=op.f("ck_registry_import_batches_status"),
        ),
    )
    op.create_index(
        "ix_registry_import_batches_tenant_created",
        "registry_import_batches",
        ["tenant_id", "created_at"],
    )
    protect_tenant_table("registry_import_batches")


def downgrade() -> None:
    op.drop_table("registry_import_batches")
    op.drop_table("registry_extras")
