"""The shared resource registry: Open Referral HSDS 3.0 tables with a Japanese profile,
sharing with named tenants, and the contacts' pending changes.

On PostgreSQL also ``registry_shared_rows()``, the one way the app role reads what other
tenants shared with it (see ``kasane.core.registry.sharing``): a SECURITY DEFINER function
owned by kasane_owner. The tables keep FORCE RLS; the function owner sees another tenant's
``resource_shares`` row only when it names the current tenant, and reads the shared
entries by switching ``app.tenant_id`` to their owner for one query at a time.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from kasane.core.db import UTCDateTime, rls
from kasane.migrations.rls_ops import protect_tenant_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (
    "registry_organizations",
    "registry_taxonomies",
    "registry_locations",
    "registry_services",
    "registry_taxonomy_terms",
    "registry_accessibility",
    "registry_addresses",
    "registry_attributes",
    "registry_pending_changes",
    "registry_service_at_locations",
    "resource_shares",
    "registry_contacts",
    "registry_schedules",
    "registry_service_areas",
    "registry_phones",
)


def sharing_sql() -> list[str]:
    """PostgreSQL: the resource_shares policy and the shared-rows function (see the doc)."""
    me = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
    return [
        # One policy, as on every tenant table; the owner role (inside the function below)
        # also sees rows that share something *with* the current tenant. WITH CHECK stays
        # the plain tenant rule, so nobody can write a share for another tenant.
        f"DROP POLICY IF EXISTS {rls.POLICY} ON resource_shares",
        f"CREATE POLICY {rls.POLICY} ON resource_shares"
        f" USING ({rls.TENANT_EXPR} OR (current_user = '{rls.OWNER_ROLE}'"
        f" AND shared_with_tenant_id = {me}))"
        f" WITH CHECK ({rls.TENANT_EXPR})",
        f"""CREATE OR REPLACE FUNCTION registry_shared_rows()
RETURNS TABLE (kind text, data jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  me uuid := {me};
  owner_id uuid;
BEGIN
  IF me IS NULL THEN
    RETURN;
  END IF;
  FOR owner_id IN
    SELECT DISTINCT rs.tenant_id FROM resource_shares rs
    WHERE rs.shared_with_tenant_id = me AND rs.tenant_id <> me
  LOOP
    -- RLS now shows the owner's rows; every query below is still limited to the
    -- services whose share names `me`, and what those services link to.
    PERFORM set_config('app.tenant_id', owner_id::text, true);
    RETURN QUERY
    WITH sv AS (
      SELECT s.* FROM registry_services s
      WHERE s.tenant_id = owner_id AND s.id IN (
        SELECT rs.service_id FROM resource_shares rs
        WHERE rs.tenant_id = owner_id AND rs.shared_with_tenant_id = me)
    ), org AS (
      SELECT o.* FROM registry_organizations o
      WHERE o.tenant_id = owner_id AND o.id IN (SELECT organization_id FROM sv)
    ), sal AS (
      SELECT x.* FROM registry_service_at_locations x
      WHERE x.tenant_id = owner_id AND x.service_id IN (SELECT id FROM sv)
    ), loc AS (
      SELECT l.* FROM registry_locations l
      WHERE l.tenant_id = owner_id AND l.id IN (SELECT location_id FROM sal)
    ), con AS (
      SELECT c.* FROM registry_contacts c
      WHERE c.tenant_id = owner_id AND (
        c.organization_id IN (SELECT id FROM org) OR c.service_id IN (SELECT id FROM sv)
        OR c.service_at_location_id IN (SELECT id FROM sal)
        OR c.location_id IN (SELECT id FROM loc))
    ), att AS (
      SELECT a.* FROM registry_attributes a
      WHERE a.tenant_id = owner_id AND a.link_entity = 'service'
        AND a.link_id IN (SELECT id FROM sv)
    ), trm AS (
      SELECT t.* FROM registry_taxonomy_terms t
      WHERE t.tenant_id = owner_id AND t.id IN (SELECT taxonomy_term_id FROM att)
    )
    SELECT 'registry_services'::text, to_jsonb(sv) FROM sv
    UNION ALL SELECT 'registry_organizations', to_jsonb(org) FROM org
    UNION ALL SELECT 'registry_service_at_locations', to_jsonb(sal) FROM sal
    UNION ALL SELECT 'registry_locations', to_jsonb(loc) FROM loc
    UNION ALL SELECT 'registry_addresses', to_jsonb(x) FROM registry_addresses x
      WHERE x.tenant_id = owner_id AND x.location_id IN (SELECT id FROM loc)
    UNION ALL SELECT 'registry_accessibility', to_jsonb(x) FROM registry_accessibility x
      WHERE x.tenant_id = owner_id AND x.location_id IN (SELECT id FROM loc)
    UNION ALL SELECT 'registry_schedules', to_jsonb(x) FROM registry_schedules x
      WHERE x.tenant_id = owner_id AND (
        x.service_id IN (SELECT id FROM sv)
        OR x.service_at_location_id IN (SELECT id FROM sal)
        OR x.location_id IN (SELECT id FROM loc))
    UNION ALL SELECT 'registry_service_areas', to_jsonb(x) FROM registry_service_areas x
      WHERE x.tenant_id = owner_id AND (
        x.service_id IN (SELECT id FROM sv)
        OR x.service_at_location_id IN (SELECT id FROM sal))
    UNION ALL SELECT 'registry_contacts', to_jsonb(con) FROM con
    UNION ALL SELECT 'registry_phones', to_jsonb(x) FROM registry_phones x
      WHERE x.tenant_id = owner_id AND (
        x.organization_id IN (SELECT id FROM org) OR x.service_id IN (SELECT id FROM sv)
        OR x.service_at_location_id IN (SELECT id FROM sal)
        OR x.location_id IN (SELECT id FROM loc) OR x.contact_id IN (SELECT id FROM con))
    UNION ALL SELECT 'registry_attributes', to_jsonb(att) FROM att
    UNION ALL SELECT 'registry_taxonomy_terms', to_jsonb(trm) FROM trm
    UNION ALL SELECT 'registry_taxonomies', to_jsonb(x) FROM registry_taxonomies x
      WHERE x.tenant_id = owner_id AND x.id IN (SELECT taxonomy_id FROM trm);
  END LOOP;
  PERFORM set_config('app.tenant_id', me::text, true);
END
$fn$""",
        "REVOKE ALL ON FUNCTION registry_shared_rows() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION registry_shared_rows() TO {rls.APP_ROLE}",
    ]


def upgrade() -> None:
    op.create_table(
        "registry_organizations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alternate_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("year_incorporated", sa.Integer(), nullable=True),
        sa.Column("legal_status", sa.String(length=100), nullable=True),
        sa.Column("logo", sa.String(length=500), nullable=True),
        sa.Column("uri", sa.String(length=500), nullable=True),
        sa.Column("parent_organization_id", sa.Uuid(), nullable=True),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("name_norm", sa.String(length=200), nullable=False),
        sa.Column("kana_norm", sa.String(length=200), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=True),
        sa.Column("last_modified", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_organizations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_organizations")),
    )
    with op.batch_alter_table("registry_organizations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_organizations_tenant_name", ["tenant_id", "name_norm"], unique=False
        )
    op.create_table(
        "registry_taxonomies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_taxonomies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_taxonomies")),
    )
    op.create_table(
        "registry_locations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("location_type", sa.String(length=10), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("alternate_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transportation", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("external_identifier", sa.String(length=100), nullable=True),
        sa.Column("external_identifier_type", sa.String(length=50), nullable=True),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "location_type IN ('physical','postal','virtual')",
            name=op.f("ck_registry_locations_type"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organization_id"],
            ["registry_organizations.tenant_id", "registry_organizations.id"],
            name=op.f("fk_registry_locations_tenant_id_organization_id_registry_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_locations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_locations")),
    )
    op.create_table(
        "registry_services",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alternate_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("interpretation_services", sa.Text(), nullable=True),
        sa.Column("application_process", sa.Text(), nullable=True),
        sa.Column("fees_description", sa.Text(), nullable=True),
        sa.Column("accreditations", sa.Text(), nullable=True),
        sa.Column("eligibility_description", sa.Text(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("assurer_email", sa.String(length=254), nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("search_norm", sa.Text(), nullable=False),
        sa.Column("kana_norm", sa.String(length=200), nullable=False),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("last_modified", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active','inactive','defunct','temporarily closed')",
            name=op.f("ck_registry_services_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organization_id"],
            ["registry_organizations.tenant_id", "registry_organizations.id"],
            name=op.f("fk_registry_services_tenant_id_organization_id_registry_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_services_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_services")),
    )
    with op.batch_alter_table("registry_services", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_services_tenant_area", ["tenant_id", "area_key"], unique=False
        )
        batch_op.create_index(
            "ix_registry_services_tenant_modified", ["tenant_id", "last_modified"], unique=False
        )
        batch_op.create_index(
            "ix_registry_services_tenant_org", ["tenant_id", "organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_registry_services_tenant_reviewed", ["tenant_id", "reviewed_on"], unique=False
        )
    op.create_table(
        "registry_taxonomy_terms",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("taxonomy_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("term_uri", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["registry_taxonomy_terms.tenant_id", "registry_taxonomy_terms.id"],
            name=op.f("fk_registry_taxonomy_terms_tenant_id_parent_id_registry_taxonomy_terms"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "taxonomy_id"],
            ["registry_taxonomies.tenant_id", "registry_taxonomies.id"],
            name=op.f("fk_registry_taxonomy_terms_tenant_id_taxonomy_id_registry_taxonomies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_taxonomy_terms_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_taxonomy_terms")),
    )
    op.create_table(
        "registry_accessibility",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_accessibility_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_accessibility_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_accessibility")),
    )
    op.create_table(
        "registry_addresses",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("attention", sa.String(length=200), nullable=True),
        sa.Column("address_1", sa.String(length=300), nullable=False),
        sa.Column("address_2", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("state_province", sa.String(length=50), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("address_type", sa.String(length=10), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_addresses_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_addresses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_addresses")),
    )
    op.create_table(
        "registry_attributes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("link_entity", sa.String(length=30), nullable=False),
        sa.Column("link_type", sa.String(length=50), nullable=False),
        sa.Column("taxonomy_term_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "taxonomy_term_id"],
            ["registry_taxonomy_terms.tenant_id", "registry_taxonomy_terms.id"],
            name=op.f("fk_registry_attributes_tenant_id_taxonomy_term_id_registry_taxonomy_terms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_attributes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_attributes")),
    )
    with op.batch_alter_table("registry_attributes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_attributes_tenant_link", ["tenant_id", "link_id"], unique=False
        )
        batch_op.create_index(
            "ix_registry_attributes_tenant_term", ["tenant_id", "taxonomy_term_id"], unique=False
        )
    op.create_table(
        "registry_pending_changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','approved','rejected','superseded')",
            name=op.f("ck_registry_pending_changes_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_pending_changes_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_pending_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_pending_changes")),
    )
    with op.batch_alter_table("registry_pending_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_pending_changes_tenant_service", ["tenant_id", "service_id"], unique=False
        )
    op.create_table(
        "registry_service_at_locations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_service_at_locations_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_service_at_locations_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_service_at_locations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_service_at_locations")),
    )
    with op.batch_alter_table("registry_service_at_locations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_sal_tenant_service", ["tenant_id", "service_id"], unique=False
        )
    op.create_table(
        "resource_shares",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("shared_with_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shared_with_tenant_id"],
            ["tenants.id"],
            name=op.f("fk_resource_shares_shared_with_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_resource_shares_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_resource_shares_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_resource_shares")),
        sa.UniqueConstraint(
            "tenant_id",
            "service_id",
            "shared_with_tenant_id",
            name=op.f("uq_resource_shares_tenant_id_service_id_shared_with_tenant_id"),
        ),
    )
    with op.batch_alter_table("resource_shares", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_shares_shared_with", ["shared_with_tenant_id"], unique=False
        )
    op.create_table(
        "registry_contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_contacts_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organization_id"],
            ["registry_organizations.tenant_id", "registry_organizations.id"],
            name=op.f("fk_registry_contacts_tenant_id_organization_id_registry_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_at_location_id"],
            ["registry_service_at_locations.tenant_id", "registry_service_at_locations.id"],
            name=op.f(
                "fk_registry_contacts_tenant_id_service_at_location_id_registry_service_at_locations"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_contacts_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_contacts")),
    )
    op.create_table(
        "registry_schedules",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("dtstart", sa.Date(), nullable=True),
        sa.Column("timezone", sa.Float(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("wkst", sa.String(length=3), nullable=True),
        sa.Column("freq", sa.String(length=10), nullable=True),
        sa.Column("interval", sa.Integer(), nullable=True),
        sa.Column("byday", sa.String(length=100), nullable=True),
        sa.Column("byweekno", sa.String(length=100), nullable=True),
        sa.Column("bymonthday", sa.String(length=100), nullable=True),
        sa.Column("byyearday", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("opens_at", sa.String(length=20), nullable=True),
        sa.Column("closes_at", sa.String(length=20), nullable=True),
        sa.Column("schedule_link", sa.String(length=500), nullable=True),
        sa.Column("attending_type", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "service_id IS NOT NULL OR service_at_location_id IS NOT NULL"
            " OR location_id IS NOT NULL",
            name=op.f("ck_registry_schedules_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_schedules_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_at_location_id"],
            ["registry_service_at_locations.tenant_id", "registry_service_at_locations.id"],
            name=op.f(
                "fk_registry_schedules_tenant_id_service_at_location_id_registry_service_at_locations"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_schedules_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_schedules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_schedules")),
    )
    op.create_table(
        "registry_service_areas",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("extent", sa.Text(), nullable=True),
        sa.Column("extent_type", sa.String(length=50), nullable=True),
        sa.Column("uri", sa.String(length=500), nullable=True),
        sa.Column("area_key", sa.String(length=64), nullable=True),
        sa.Column("municipality_code", sa.String(length=6), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_at_location_id"],
            ["registry_service_at_locations.tenant_id", "registry_service_at_locations.id"],
            name=op.f(
                "fk_registry_service_areas_tenant_id_service_at_location_id_registry_service_at_locations"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_service_areas_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_service_areas_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_service_areas")),
    )
    op.create_table(
        "registry_phones",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("extension", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["registry_contacts.tenant_id", "registry_contacts.id"],
            name=op.f("fk_registry_phones_tenant_id_contact_id_registry_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["registry_locations.tenant_id", "registry_locations.id"],
            name=op.f("fk_registry_phones_tenant_id_location_id_registry_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organization_id"],
            ["registry_organizations.tenant_id", "registry_organizations.id"],
            name=op.f("fk_registry_phones_tenant_id_organization_id_registry_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_at_location_id"],
            ["registry_service_at_locations.tenant_id", "registry_service_at_locations.id"],
            name=op.f(
                "fk_registry_phones_tenant_id_service_at_location_id_registry_service_at_locations"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["registry_services.tenant_id", "registry_services.id"],
            name=op.f("fk_registry_phones_tenant_id_service_id_registry_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_registry_phones_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_registry_phones")),
    )
    for table in TABLES:
        protect_tenant_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for sql in sharing_sql():
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS registry_shared_rows()")
    op.drop_table("registry_phones")
    op.drop_table("registry_service_areas")
    op.drop_table("registry_schedules")
    op.drop_table("registry_contacts")
    with op.batch_alter_table("resource_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_shares_shared_with")
    op.drop_table("resource_shares")
    with op.batch_alter_table("registry_service_at_locations", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_sal_tenant_service")
    op.drop_table("registry_service_at_locations")
    with op.batch_alter_table("registry_pending_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_pending_changes_tenant_service")
    op.drop_table("registry_pending_changes")
    with op.batch_alter_table("registry_attributes", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_attributes_tenant_term")
        batch_op.drop_index("ix_registry_attributes_tenant_link")
    op.drop_table("registry_attributes")
    op.drop_table("registry_addresses")
    op.drop_table("registry_accessibility")
    op.drop_table("registry_taxonomy_terms")
    with op.batch_alter_table("registry_services", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_services_tenant_reviewed")
        batch_op.drop_index("ix_registry_services_tenant_org")
        batch_op.drop_index("ix_registry_services_tenant_modified")
        batch_op.drop_index("ix_registry_services_tenant_area")
    op.drop_table("registry_services")
    op.drop_table("registry_locations")
    op.drop_table("registry_taxonomies")
    with op.batch_alter_table("registry_organizations", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_organizations_tenant_name")
    op.drop_table("registry_organizations")
