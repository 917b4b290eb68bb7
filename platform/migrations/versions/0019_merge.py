"""Join the security hardening (0016) and town reports (0017) branches.

Revision ID: 0019
Revises: 0016, 0017
"""

revision = "0019"
down_revision = ("0016", "0017")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: both branches are independent."""


def downgrade() -> None:
    """Nothing to change."""
