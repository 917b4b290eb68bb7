"""Roles and permissions: staff memberships per agency and tenant-added agencies.

Every account gets a membership holding its old role in its old agency (``admin`` becomes
``tenant_admin``); then ``staff_accounts.role`` and ``.agency_key`` go. Sessions get their
active agency; invitations can be withdrawn.

The copy runs tenant by tenant with ``app.tenant_id`` set: on PostgreSQL the tables have
FORCEd Row-Level Security, which binds the owner role the migration runs as.

Revision ID: 0011
Revises: 0010
"""

import uuid

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime, uuid7
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_accounts = sa.table(
    "staff_accounts",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("agency_key", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
_memberships = sa.table(
    "staff_memberships",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("agency_key", sa.String()),
    sa.column("role", sa.String()),
    sa.column("created_at", UTCDateTime()),
)


_invitations = sa.table(
    "staff_invitations",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("role", sa.String()),
)


def _old_role(role: str) -> str:
    """The nearest of 0010's three roles (downgrading loses the finer ones)."""
    return {"tenant_admin": "admin", "supervisor": "supervisor"}.get(role, "caseworker")


def _tenant_ids() -> list[uuid.UUID]:
    rows = op.get_bind().execute(sa.text("SELECT id FROM tenants")).fetchall()
    return [r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(str(r[0])) for r in rows]


def _as_tenant(tenant_id: uuid.UUID) -> None:
    """Let RLS show this tenant's rows (transaction-local; a no-op on SQLite)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text("SELECT set_config('app.tenant_id', :tid, true)"), {"tid": str(tenant_id)}
        )


def _tenant_table(name: str, *columns: sa.Column, constraints: tuple = ()) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{name}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{name}")),
        *constraints,
    )
    protect_tenant_table(name)


def upgrade() -> None:
    _tenant_table(
        "staff_memberships",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("agency_key", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        constraints=(
            sa.ForeignKeyConstraint(
                ["tenant_id", "account_id"],
                ["staff_accounts.tenant_id", "staff_accounts.id"],
                name=op.f("fk_staff_memberships_tenant_id_account_id_staff_accounts"),
                ondelete="CASCADE",
            ),
            sa.UniqueConstraint(
                "tenant_id",
                "account_id",
                "agency_key",
                "role",
                name=op.f("uq_staff_memberships_tenant_id_account_id_agency_key_role"),
            ),
        ),
    )
    _tenant_table(
        "tenant_agencies",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        constraints=(
            sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_tenant_agencies_tenant_id_key")),
        ),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))

    bind = op.get_bind()
    for tenant_id in _tenant_ids():
        _as_tenant(tenant_id)
        accounts = bind.execute(
            sa.select(
                _accounts.c.id, _accounts.c.role, _accounts.c.agency_key, _accounts.c.created_at
            ).where(_accounts.c.tenant_id == tenant_id)
        ).fetchall()
        rows = [
            {
                "tenant_id": tenant_id,
                "id": uuid7(),
                "account_id": a.id,
                "agency_key": a.agency_key,
                "role": "tenant_admin" if a.role == "admin" else a.role,
                "created_at": a.created_at,
            }
            for a in accounts
        ]
        if rows:
            op.bulk_insert(_memberships, rows)
        bind.execute(
            _invitations.update()
            .where(_invitations.c.tenant_id == tenant_id, _invitations.c.role == "admin")
            .values(role="tenant_admin")
        )

    # Native ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): recreating staff_accounts would make
    # SQLite's DROP TABLE cascade into the sessions and memberships that reference it.
    with op.batch_alter_table("staff_accounts", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("agency_key")
        batch_op.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="caseworker")
        )
        batch_op.add_column(sa.Column("agency_key", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    # Back to one role per account: its first membership's, as 0010 named roles.
    for tenant_id in _tenant_ids():
        _as_tenant(tenant_id)
        firsts: dict[uuid.UUID, tuple[str, str | None]] = {}
        for m in bind.execute(
            sa.select(_memberships.c.account_id, _memberships.c.role, _memberships.c.agency_key)
            .where(_memberships.c.tenant_id == tenant_id)
            .order_by(_memberships.c.created_at, _memberships.c.id)
        ):
            firsts.setdefault(m.account_id, (m.role, m.agency_key))
        for account_id, (role, agency_key) in firsts.items():
            bind.execute(
                _accounts.update()
                .where(_accounts.c.tenant_id == tenant_id, _accounts.c.id == account_id)
                .values(role=_old_role(role), agency_key=agency_key)
            )
        # roles 0010 did not know become the nearest it did
        bind.execute(
            _invitations.update()
            .where(_invitations.c.tenant_id == tenant_id)
            .values(
                role=sa.case(
                    (_invitations.c.role == "tenant_admin", "admin"),
                    (_invitations.c.role == "supervisor", "supervisor"),
                    else_="caseworker",
                )
            )
        )
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("staff_sessions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("agency_key")
    op.drop_table("tenant_agencies")
    op.drop_table("staff_memberships")
