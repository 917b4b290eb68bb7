"""Join the town's own settings (0021) with the SSO providers (0024).

Revision ID: 0025
Revises: 0021, 0024
"""

revision = "0025"
down_revision = ("0021", "0024")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
