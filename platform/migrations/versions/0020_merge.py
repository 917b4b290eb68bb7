"""Join the central comparison (0018) with security and reports (0019); the app role's
update grant on ``tenants`` now includes the town's comparison choice.

Revision ID: 0020
Revises: 0018, 0019
"""

from alembic import op

from kasane.core.db import rls

revision = "0020"
down_revision = ("0018", "0019")
branch_labels = None
depends_on = None

APP_COLUMNS = (
    "name",
    "population",
    "status",
    "status_changed_at",
    "plan",
    "theme",
    "last_good_config",
    "config_problems",
    "stripe_customer_id",
    "stripe_subscription_id",
    "billing_event_at",
    "past_due_since",
    "delete_after",
    "comparison_opt_in",
)


def upgrade() -> None:
    # 0016 and 0018 may have run in either order; this grant holds after both
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_sql(APP_COLUMNS):
            op.execute(sql)


def downgrade() -> None:
    """Nothing to undo: 0016 and 0018 undo their own grants."""
