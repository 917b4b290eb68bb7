"""Unmet needs recorded in support plans (for the gap list).

Revision ID: 0013
Revises: 0012
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder: filled in by the change that owns it."""


def downgrade() -> None:
    """Placeholder."""
