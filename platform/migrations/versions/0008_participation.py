"""Participation support (matches and their 定着支援 contacts) and community building
(places and activities).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_matches",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("menu_key", sa.String(length=64), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("host_organization_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ended_reason", sa.String(length=300), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "case_id"],
            ["cases.tenant_id", "cases.id"],
            name=op.f("fk_participation_matches_tenant_id_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["people.tenant_id", "people.id"],
            name=op.f("fk_participation_matches_tenant_id_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_participation_matches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_participation_matches")),
    )
    with op.batch_alter_table("participation_matches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participation_matches_tenant_case", ["tenant_id", "case_id"], unique=False
        )

    op.create_table(
        "retention_contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note_sealed", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "match_id"],
            ["participation_matches.tenant_id", "participation_matches.id"],
            name=op.f("fk_retention_contacts_tenant_id_match_id_participation_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_contacts")),
    )
    with op.batch_alter_table("retention_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retention_contacts_tenant_match", ["tenant_id", "match_id"], unique=False
        )
    op.create_table(
        "community_places",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_community_places_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_community_places")),
    )
    op.create_table(
        "community_activities",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("youth", sa.Integer(), nullable=False),
        sa.Column("working_age", sa.Integer(), nullable=False),
        sa.Column("older", sa.Integer(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "place_id"],
            ["community_places.tenant_id", "community_places.id"],
            name=op.f("fk_community_activities_tenant_id_place_id_community_places"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_community_activities_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_community_activities")),
    )
    with op.batch_alter_table("community_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_activities_tenant_held", ["tenant_id", "held_on"], unique=False
        )
    for table in (
        "participation_matches",
        "retention_contacts",
        "community_places",
        "community_activities",
    ):
        protect_tenant_table(table)


def downgrade() -> None:
    with op.batch_alter_table("community_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_community_activities_tenant_held")
    op.drop_table("community_activities")
    op.drop_table("community_places")
    with op.batch_alter_table("retention_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_retention_contacts_tenant_match")
    op.drop_table("retention_contacts")
    with op.batch_alter_table("participation_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_participation_matches_tenant_case")
    op.drop_table("participation_matches")
