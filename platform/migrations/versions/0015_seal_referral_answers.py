"""Referral answers sealed: ``decline_reason`` and ``outcome`` become ``*_sealed`` text.

Existing answers are sealed here with their tenant's data key (see decision 0005), tenant by
tenant with ``app.tenant_id`` set: on PostgreSQL FORCEd Row-Level Security binds the owner
role the migration runs as. Unwrapping a data key needs the master secret in this process
(``kasane db upgrade`` sets it); a database with no answers to seal needs none. A tenant whose
key was destroyed (offboarding) cannot have anything sealed: its answers are dropped, as
everything else it had sealed is already unreadable. Downgrading opens them again.

Revision ID: 0015
Revises: 0014
"""

import uuid
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kasane.core.db import UTCDateTime, utcnow, uuid7

# Private to crypto on purpose: like the tenant import, this migration handles data keys
# outside a tenant session (the app's cipher_for needs an async session).
from kasane.core.protection.crypto import KEY_BYTES, FieldCipher, _unwrap, _wrap

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FIELDS = ("decline_reason", "outcome")

_tenants = sa.table("tenants", sa.column("id", sa.Uuid()))
_keys = sa.table(
    "tenant_keys",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("wrapped_key", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("destroyed_at", UTCDateTime()),
)
_referrals = sa.table(
    "referrals",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    *(sa.column(f, sa.String()) for f in FIELDS),
    *(sa.column(f"{f}_sealed", sa.Text()) for f in FIELDS),
)


def _as_tenant(tenant_id: uuid.UUID) -> None:
    """Let RLS show this tenant's rows (transaction-local; a no-op on SQLite)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text("SELECT set_config('app.tenant_id', :tid, true)"), {"tid": str(tenant_id)}
        )


def _cipher(tenant_id: uuid.UUID, *, create: bool) -> FieldCipher | None:
    """The tenant's cipher; None when its key was destroyed (or, unless ``create``, never
    made). A missing key is made as ``cipher_for`` would make it."""
    bind = op.get_bind()
    row = bind.execute(
        sa.select(_keys.c.wrapped_key, _keys.c.destroyed_at).where(_keys.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        if not create:
            return None
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        bind.execute(
            _keys.insert().values(
                tenant_id=tenant_id,
                id=uuid7(),
                wrapped_key=_wrap(tenant_id, data_key),
                created_at=utcnow(),
                destroyed_at=None,
            )
        )
        return FieldCipher(tenant_id, data_key)
    if row.destroyed_at is not None:
        return None
    return FieldCipher(tenant_id, _unwrap(tenant_id, row.wrapped_key))


def _convert(
    source: Callable[[str], str],
    target: Callable[[str], str],
    change: Callable[[FieldCipher | None, uuid.UUID, str, str], str],
    *,
    create_key: bool,
) -> None:
    """Rewrite every non-empty answer from its ``source(field)`` column into ``target(field)``,
    tenant by tenant; the key is looked up only for a tenant with something to change."""
    bind = op.get_bind()
    for tenant_id in bind.execute(sa.select(_tenants.c.id)).scalars().all():
        _as_tenant(tenant_id)
        c = _referrals.c
        rows = bind.execute(
            sa.select(c.id, *(c[source(f)] for f in FIELDS)).where(
                c.tenant_id == tenant_id, sa.or_(*(c[source(f)] != "" for f in FIELDS))
            )
        ).all()
        if not rows:
            continue
        cipher = _cipher(tenant_id, create=create_key)
        for row in rows:
            values = {
                target(f): change(cipher, row.id, f, getattr(row, source(f)) or "") for f in FIELDS
            }
            bind.execute(
                _referrals.update().where(c.tenant_id == tenant_id, c.id == row.id).values(**values)
            )


def _seal(cipher: FieldCipher | None, row_id: uuid.UUID, field: str, text: str) -> str:
    return cipher.seal("referrals", row_id, field, text) if cipher and text else ""


def _open(cipher: FieldCipher | None, row_id: uuid.UUID, field: str, token: str) -> str:
    # The old columns were String(300), as the answer forms still limit the text.
    return cipher.open("referrals", row_id, field, token)[:300] if cipher and token else ""


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for f in FIELDS:
            batch_op.add_column(
                sa.Column(f"{f}_sealed", sa.Text(), nullable=False, server_default="")
            )
    _convert(lambda f: f, lambda f: f"{f}_sealed", _seal, create_key=True)
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for f in FIELDS:
            batch_op.drop_column(f)
            batch_op.alter_column(f"{f}_sealed", existing_type=sa.Text(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for f in FIELDS:
            batch_op.add_column(
                sa.Column(f, sa.String(length=300), nullable=False, server_default="")
            )
    _convert(lambda f: f"{f}_sealed", lambda f: f, _open, create_key=False)
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for f in FIELDS:
            batch_op.drop_column(f"{f}_sealed")
            batch_op.alter_column(f, existing_type=sa.String(length=300), server_default=None)
