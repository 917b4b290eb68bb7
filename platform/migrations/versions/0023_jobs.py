"""Background jobs (issue 14): the operator's view of job runs, once-only marks, and — on
PostgreSQL — procrastinate's queue schema, usable by the app role.

Revision ID: 0023
Revises: 0020

procrastinate's schema is the one shipped with the pinned version (``procrastinate>=3.10,
<3.11``); a later procrastinate upgrade comes with a Kasane migration that applies the
library's own migration files for the versions in between.
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.core.db.rls import APP_ROLE
from kasane.migrations.rls_ops import grant_platform_table

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("result", sa.String(length=1000), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index(op.f("ix_job_runs_job"), "job_runs", ["job"], unique=False)
    op.create_table(
        "job_marks",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job", "key", name=op.f("pk_job_marks")),
    )
    grant_platform_table("job_runs", "SELECT, INSERT, UPDATE")
    grant_platform_table("job_marks", "SELECT, INSERT, DELETE")
    if op.get_bind().dialect.name == "postgresql":
        # /readyz compares the applied revision with the code's (pending migrations)
        op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
        from procrastinate.schema import SchemaManager
        from sqlalchemy.util import await_only

        # Many statements with $$ bodies: through asyncpg's simple query protocol, as is
        # (a prepared statement holds one statement).
        adapted = op.get_bind().connection.dbapi_connection
        await_only(adapted._connection.execute(SchemaManager.get_schema()))  # type: ignore[union-attr]
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        op.execute(
            "DO $$ DECLARE t text; BEGIN "
            "FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'procrastinate%' LOOP "
            f"EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {APP_ROLE}', t); "
            "END LOOP; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'procrastinate%' LOOP "
            "EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename); END LOOP; "
            "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP "
            "EXECUTE 'DROP FUNCTION IF EXISTS ' || r.f || ' CASCADE'; END LOOP; "
            "FOR r IN SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND typname LIKE 'procrastinate%' "
            "AND typtype IN ('e', 'c', 'd') LOOP "
            "EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname); END LOOP; END $$"
        )
    op.drop_table("job_marks")
    op.drop_index(op.f("ix_job_runs_job"), table_name="job_runs")
    op.drop_table("job_runs")
