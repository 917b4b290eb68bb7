"""SSO with the providers towns run (issue 21): the issuer bound with each identity, the
ID token kept sealed with an SSO session (for the provider's logout), and per provider the
choice to trust its e-mail, the client authentication and the private_key_jwt key.

Revision ID: 0024
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_token_sealed", sa.Text(), nullable=True))
    with op.batch_alter_table("tenant_sso", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trust_email", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "token_auth_method",
                sa.String(length=30),
                nullable=False,
                server_default="client_secret_basic",
            )
        )
        batch_op.add_column(sa.Column("private_jwk_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant_sso", schema=None) as batch_op:
        batch_op.drop_column("private_jwk_sealed")
        batch_op.drop_column("token_auth_method")
        batch_op.drop_column("trust_email")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_column("id_token_sealed")
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_column("oidc_issuer")
