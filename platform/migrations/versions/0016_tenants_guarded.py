"""The ``tenants`` table guarded on PostgreSQL: RLS and column grants for the app role.

The app role keeps reading every tenant (host → tenant resolution) and inserting new ones
(signup); it may update only the billing, look and plugin-snapshot columns, and only of the
tenant its transaction serves. Slug, municipality code, prefecture, plugin and deletion marks
change only through the operator's commands (see ``kasane.core.db.rls.TENANT_APP_COLUMNS``).
Nothing changes on SQLite (one process, no roles).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

from kasane.core.db import rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_sql():
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.tenants_table_undo_sql():
            op.execute(sql)
