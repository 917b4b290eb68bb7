"""Indexes behind the foreign keys that point at people, households and cases.

Deleting a person (or household, or case) makes PostgreSQL check every table that refers to
it; without an index on the referring columns each check scans the whole table, so undoing
a 50,000-row import took quadratic time (and so did counting its references right after
the insert, before PostgreSQL has statistics for the new rows). These indexes live here,
next to the import that needed them, rather than in six models of other areas; they serve
any deletion or merge.
Imported with :mod:`kasane.core.caseload.models`, so ``Base.metadata`` always has them.
"""

from __future__ import annotations

from sqlalchemy import Index

from kasane.core.cases.models import Case, CollaborationPeriod
from kasane.core.consent.models import Consent, Disclosure
from kasane.core.intake.models import Consultation
from kasane.core.participation.models import ParticipationMatch
from kasane.core.people.models import Household, HouseholdMember, Person

REFERRING = (
    ("ix_cases_tenant_person", Case, "person_id"),
    ("ix_cases_tenant_household", Case, "household_id"),
    ("ix_consents_tenant_person", Consent, "person_id"),
    ("ix_consultations_tenant_person", Consultation, "person_id"),
    ("ix_disclosures_tenant_person", Disclosure, "person_id"),
    ("ix_household_members_tenant_person", HouseholdMember, "person_id"),
    ("ix_collaboration_periods_tenant_case", CollaborationPeriod, "case_id"),
    ("ix_participation_matches_tenant_person", ParticipationMatch, "person_id"),
    ("ix_people_tenant_merged_into", Person, "merged_into_id"),  # a merge points here
)
# the batch's own records, found by undo
IMPORTED = (
    ("ix_people_tenant_import", Person),
    ("ix_households_tenant_import", Household),
    ("ix_consultations_tenant_import", Consultation),
    ("ix_cases_tenant_import", Case),
)

for _name, _referring, _column in REFERRING:
    _table = _referring.__table__
    Index(_name, _table.c.tenant_id, _table.c[_column])
for _name, _imported in IMPORTED:
    _table = _imported.__table__
    Index(_name, _table.c.tenant_id, _table.c.import_id)
