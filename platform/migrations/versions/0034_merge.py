"""Join the registry's extras and import batches (0033) with main's head (0028).

Revision ID: 0034
Revises: 0028, 0033
"""

revision = "0034"
down_revision = ("0028", "0033")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
