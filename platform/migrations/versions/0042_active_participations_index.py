"""The cases an agency takes part in now, as an index of their ids: the case list counts
them (up to its cap) by reading this index alone instead of probing case after case.

Revision ID: 0042
Revises: 0041
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_case_agencies_active_agency_case",
        "case_agencies",
        ["tenant_id", "agency_key", "case_id"],
        postgresql_where=sa.text("ended_on IS NULL"),
        sqlite_where=sa.text("ended_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_agencies_active_agency_case", table_name="case_agencies")
