"""Security hardening: the ``tenants`` table guarded; confirmation links used once.

1. On PostgreSQL, RLS and column grants on ``tenants`` for the app role.

The app role keeps reading every tenant (host → tenant resolution) and inserting new ones
(signup); it may update only the billing, look and plugin-snapshot columns, and only of the
tenant its transaction serves. Slug, municipality code, prefecture, plugin and deletion marks
change only through the operator's commands (see ``kasane.core.db.rls.TENANT_APP_COLUMNS``).
Nothing changes on SQLite (one process, no roles).

2. ``registry_pending_changes.link_hash``: the hash of the confirmation link a submission
came through, unique per tenant, so that one link yields one submission (the unique index is
the atomic compare-and-set).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


# The columns the app role may update, as of this revision (later revisions grant more by
# re-running tenants_table_sql with the list of their day; a migration never reads a list
# that changes after it).
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
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_sql(APP_COLUMNS):
            op.execute(sql)
    with op.batch_alter_table("registry_pending_changes") as batch_op:
        batch_op.add_column(sa.Column("link_hash", sa.String(64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_registry_pending_changes_tenant_id_link_hash", ["tenant_id", "link_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_pending_changes") as batch_op:
        batch_op.drop_constraint("uq_registry_pending_changes_tenant_id_link_hash", "unique")
        batch_op.drop_column("link_hash")
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_undo_sql():
            op.execute(sql)
