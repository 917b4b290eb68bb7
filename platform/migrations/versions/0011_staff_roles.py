"""Roles and permissions: staff memberships per agency and tenant-added agencies.

Revision ID: 0011
Revises: 0010
"""

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder: filled in by the change that owns it."""


def downgrade() -> None:
    """Placeholder."""
