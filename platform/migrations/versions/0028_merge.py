"""Join the lock-free read audit (0027) with 評価 per plan goal (0040).

Revision ID: 0028
Revises: 0027, 0040
"""

revision = "0028"
down_revision = ("0027", "0040")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
