"""Join buying and moving in (0036–0038) with the open-data, audit-read and evaluation
heads (0034).

Revision ID: 0041
Revises: 0034, 0038
"""

revision = "0041"
down_revision = ("0034", "0038")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
