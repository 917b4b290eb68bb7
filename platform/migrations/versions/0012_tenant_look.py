"""Tenant look and words: theme, colours, logo text and terminology overrides set by the admin.

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder: filled in by the change that owns it."""


def downgrade() -> None:
    """Placeholder."""
