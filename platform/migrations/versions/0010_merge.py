"""Join the participation (0008) and SSO (0009) branches.

Revision ID: 0010
Revises: 0008, 0009
"""

revision = "0010"
down_revision = ("0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: both branches are independent."""


def downgrade() -> None:
    """Nothing to change."""
