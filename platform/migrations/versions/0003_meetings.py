"""Meetings: meetings, agenda items, attendance, resource gaps; disclosures name the
meeting; staff accounts get an iCalendar feed token.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_type_key", sa.String(length=64), nullable=False),
        sa.Column("occurrence_key", sa.String(length=20), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cancel_reason", sa.String(length=300), nullable=False),
        sa.Column("minutes_sealed", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_meetings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_meetings")),
        sa.UniqueConstraint(
            "tenant_id",
            "meeting_type_key",
            "occurrence_key",
            name=op.f("uq_meetings_tenant_id_meeting_type_key_occurrence_key"),
        ),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_tenant_starts", ["tenant_id", "starts_at"], unique=False)

    op.create_table(
        "resource_gaps",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_resource_gaps_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_resource_gaps")),
    )
    with op.batch_alter_table("resource_gaps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_gaps_tenant_category", ["tenant_id", "category"], unique=False
        )

    op.create_table(
        "agenda_items",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("outreach_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("proposed", sa.Boolean(), nullable=False),
        sa.Column("discussion_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "meeting_id"],
            ["meetings.tenant_id", "meetings.id"],
            name=op.f("fk_agenda_items_tenant_id_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_agenda_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_agenda_items")),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agenda_items_tenant_meeting", ["tenant_id", "meeting_id"], unique=False
        )

    op.create_table(
        "attendances",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agency_key", sa.String(length=64), nullable=False),
        sa.Column("attendee", sa.String(length=120), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "meeting_id"],
            ["meetings.tenant_id", "meetings.id"],
            name=op.f("fk_attendances_tenant_id_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_attendances_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_attendances")),
        sa.UniqueConstraint(
            "tenant_id",
            "meeting_id",
            "agency_key",
            name=op.f("uq_attendances_tenant_id_meeting_id_agency_key"),
        ),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Uuid(), nullable=True))

    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
    protect_tenant_table("meetings")
    protect_tenant_table("resource_gaps")
    protect_tenant_table("agenda_items")
    protect_tenant_table("attendances")


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_column("calendar_token_hash")

    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_column("meeting_id")

    op.drop_table("attendances")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_items_tenant_meeting")

    op.drop_table("agenda_items")
    with op.batch_alter_table("resource_gaps", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_gaps_tenant_category")

    op.drop_table("resource_gaps")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_tenant_starts")

    op.drop_table("meetings")
