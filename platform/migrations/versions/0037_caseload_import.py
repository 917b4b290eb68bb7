"""Caseload import: the import batches, saved column mappings, and the batch that made a
person, household, consultation or case (``import_id``, so that undo finds them).

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

MADE = ("people", "households", "consultations", "cases")


def _tenant_table(name: str, *columns: sa.Column, unique: tuple[str, ...] = ()) -> None:
    constraints: list[sa.schema.SchemaItem] = [
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{name}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{name}")),
    ]
    if unique:
        constraints.append(
            sa.UniqueConstraint(
                "tenant_id", *unique, name=op.f(f"uq_{name}_tenant_id_{'_'.join(unique)}")
            )
        )
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        *constraints,
    )
    protect_tenant_table(name)


def upgrade() -> None:
    _tenant_table(
        "caseload_imports",
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("refused_cells", sa.JSON(), nullable=False),
        sa.Column("data_sealed", sa.Text(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("checked_ok", sa.Boolean(), nullable=False),
        sa.Column("problems_count", sa.Integer(), nullable=False),
        sa.Column("made", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=True),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
    )
    _tenant_table(
        "caseload_import_mappings",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        unique=("name",),
    )
    for table in MADE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("import_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    for table in reversed(MADE):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("import_id")
    op.drop_table("caseload_import_mappings")
    op.drop_table("caseload_imports")
