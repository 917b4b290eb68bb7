"""Join the job runner's tables (0023) with the town settings and SSO (0025).

Revision ID: 0026
Revises: 0023, 0025
"""

revision = "0026"
down_revision = ("0023", "0025")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
