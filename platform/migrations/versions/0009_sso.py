"""Staff SSO: the tenant's identity provider, staff invitations, and the OIDC subject,
e-mail and sealed TOTP secret on staff accounts.

A separate head beside 0008; a merge revision joins them.

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def _tenant_table(name: str, *columns: sa.Column, unique: tuple[str, ...]) -> None:
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
        sa.UniqueConstraint(*unique, name=op.f(f"uq_{name}_{'_'.join(unique)}")),
    )
    protect_tenant_table(name)


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("totp_secret_sealed", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_staff_accounts_tenant_id_oidc_subject"), ["tenant_id", "oidc_subject"]
        )

    _tenant_table(
        "tenant_sso",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("allowed_email_domain", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        unique=("tenant_id",),
    )
    _tenant_table(
        "staff_invitations",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency_key", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        unique=("tenant_id", "token_hash"),
    )


def downgrade() -> None:
    op.drop_table("staff_invitations")
    op.drop_table("tenant_sso")
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_staff_accounts_tenant_id_oidc_subject"), type_="unique")
        batch_op.drop_column("totp_secret_sealed")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("email")
