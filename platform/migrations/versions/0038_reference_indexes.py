"""Indexes behind the foreign keys to people, households and cases, and on the caseload
import's batch id (undoing a 50,000-row import checked each reference by a full scan).

Revision ID: 0038
Revises: 0037
"""

from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_cases_tenant_person", "cases", "person_id"),
    ("ix_cases_tenant_household", "cases", "household_id"),
    ("ix_consents_tenant_person", "consents", "person_id"),
    ("ix_consultations_tenant_person", "consultations", "person_id"),
    ("ix_disclosures_tenant_person", "disclosures", "person_id"),
    ("ix_household_members_tenant_person", "household_members", "person_id"),
    ("ix_collaboration_periods_tenant_case", "collaboration_periods", "case_id"),
    ("ix_participation_matches_tenant_person", "participation_matches", "person_id"),
    ("ix_people_tenant_merged_into", "people", "merged_into_id"),
    ("ix_people_tenant_import", "people", "import_id"),
    ("ix_households_tenant_import", "households", "import_id"),
    ("ix_consultations_tenant_import", "consultations", "import_id"),
    ("ix_cases_tenant_import", "cases", "import_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, ["tenant_id", column])


def downgrade() -> None:
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
