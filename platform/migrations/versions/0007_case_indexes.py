"""Indexes the case page and the filtered case list need (found by `make bench`).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BY_CASE = (
    "consultations",
    "case_decisions",
    "monitorings",
    "evaluations",
    "referrals",
    "disclosures",
)


def upgrade() -> None:
    for table in BY_CASE:
        op.create_index(f"ix_{table}_tenant_case", table, ["tenant_id", "case_id"])
    op.create_index("ix_referrals_tenant_person", "referrals", ["tenant_id", "person_id"])
    op.drop_index("ix_cases_tenant_stage", table_name="cases")
    op.create_index("ix_cases_tenant_stage", "cases", ["tenant_id", "stage", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_tenant_stage", table_name="cases")
    op.create_index("ix_cases_tenant_stage", "cases", ["tenant_id", "stage"])
    op.drop_index("ix_referrals_tenant_person", table_name="referrals")
    for table in BY_CASE:
        op.drop_index(f"ix_{table}_tenant_case", table_name=table)
