"""The core's own hook implementations: national defaults, registered ``trylast``.

The core dogfoods its hooks: a tenant whose plugin says nothing about, say, areas still
gets a working configuration from here. Labels are English msgids, translated at render
time by the Babel catalogs; a plugin's own labels (usually Japanese) pass through as-is.
"""

from __future__ import annotations

from typing import Any

from kasane.core.i18n import N_
from kasane.core.national_forms import (
    CHANNELS,
    CONSULTATION_CATEGORIES,
    ISSUES,
    NATIONAL_ASSESSMENT_FORM,
    NATIONAL_INTAKE_FORM,
    UNMET_NEEDS,
    VISITOR_RELATIONS,
)
from kasane.core.plugin_kit import (
    CaseSnapshot,
    IntakeSnapshot,
    MeetingSnapshot,
    RecordSnapshot,
    TenantInfo,
    hookimpl,
)

NAME = "kasane-core"
KASANE_HOOKS = (1, 1)

# The lists moved to national_forms stay importable from here, where callers look for them.
__all__ = [
    "CHANNELS",
    "CONSULTATION_CATEGORIES",
    "ISSUES",
    "NATIONAL_ASSESSMENT_FORM",
    "NATIONAL_INTAKE_FORM",
    "STAGE_LABELS",
    "TERMS",
    "UNMET_NEEDS",
    "VISITOR_RELATIONS",
]

TERMS: dict[str, str] = {
    "counter": N_("Counter"),
    "area": N_("Area"),
    "agency": N_("Agency"),
    "lead_agency": N_("Lead agency"),
    "meeting": N_("Meeting"),
    "participation_menu": N_("Participation menu"),
    "case": N_("Case"),
    "household": N_("Household"),
}

STAGE_LABELS: dict[str, str] = {
    "reception": N_("Reception"),
    "intake": N_("Intake"),
    "assessment": N_("Assessment"),
    "plan_draft": N_("Draft plan"),
    "decision": N_("Support decision"),
    "support": N_("Support in progress"),
    "monitoring": N_("Monitoring"),
    "evaluation": N_("Evaluation"),
    "closed": N_("Closed"),
    "suspended": N_("Suspended"),
}


@hookimpl(trylast=True)
def kasane_counters(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The four statutory counters plus a general municipal counter."""
    return [
        {"key": "hokatsu", "name": N_("Community general support center"), "field": "elderly"},
        {"key": "kikan", "name": N_("Core disability consultation center"), "field": "disability"},
        {"key": "kodomo", "name": N_("Children and family center"), "field": "children"},
        {"key": "jiritsu", "name": N_("Self-reliance support office"), "field": "poverty"},
        {"key": "general", "name": N_("Municipal general counter"), "field": "general"},
    ]


@hookimpl(trylast=True)
def kasane_areas(tenant: TenantInfo) -> list[dict[str, Any]]:
    return [{"key": "whole", "name": N_("Whole municipality"), "kind": "municipality"}]


@hookimpl(trylast=True)
def kasane_agencies(tenant: TenantInfo) -> list[dict[str, Any]]:
    return [
        {
            "key": "municipality",
            "name": N_("Municipal welfare section"),
            "field": "general",
            "kind": "municipal",
            "coordinates": True,
        },
    ]


@hookimpl(trylast=True)
def kasane_meeting_types(tenant: TenantInfo) -> list[dict[str, Any]]:
    return [
        {
            "key": "shien_kaigi",
            "name": N_("Support meeting (Art. 106-6)"),
            "legal_basis": "art106_6",
            "legal_basis_note": "社会福祉法106条の6",
            "host": "municipality",
            "cadence": {"frequency": "as_needed"},
            "decisions": ["information_sharing", "system_review", "role_assignment"],
        },
        {
            "key": "jusoteki",
            "name": N_("Multi-layered support meeting"),
            "legal_basis": "consent",
            "legal_basis_note": "重層的支援体制整備事業実施要綱",
            "host": "municipality",
            "cadence": {"frequency": "monthly", "weekday": 1, "nth": 2, "time": "14:00"},
            "decisions": [
                "support_decision",
                "plan_change",
                "closure",
                "suspension",
                "continuation",
                "role_assignment",
                "resource_development",
            ],
        },
    ]


@hookimpl(trylast=True)
def kasane_participation_menus(tenant: TenantInfo) -> list[dict[str, Any]]:
    return []


@hookimpl(trylast=True)
def kasane_form_definitions(tenant: TenantInfo) -> list[dict[str, Any]]:
    return [NATIONAL_INTAKE_FORM, NATIONAL_ASSESSMENT_FORM]


@hookimpl(trylast=True)
def kasane_stage_labels(tenant: TenantInfo) -> dict[str, str]:
    return dict(STAGE_LABELS)


@hookimpl(trylast=True)
def kasane_terminology(tenant: TenantInfo) -> dict[str, str]:
    return dict(TERMS)


@hookimpl(trylast=True)
def kasane_theme(tenant: TenantInfo) -> str:
    return "default"


# ---------------------------------------------------------------- rules (kasane.core.rules.core)


@hookimpl(trylast=True)
def kasane_intake_routing(tenant: TenantInfo, intake: IntakeSnapshot) -> str:
    from kasane.core.rules import core

    return core.intake_routing(intake)


@hookimpl(trylast=True)
def kasane_agenda_rules(
    tenant: TenantInfo, meeting: MeetingSnapshot, cases: tuple[CaseSnapshot, ...]
) -> list[dict[str, str]]:
    from kasane.core.rules import core

    return core.agenda(meeting, cases)


@hookimpl(trylast=True)
def kasane_monitoring_interval(tenant: TenantInfo, case: CaseSnapshot) -> int:
    from kasane.core.rules import core

    return core.monitoring_interval(case)


@hookimpl(trylast=True)
def kasane_escalation_prompts(tenant: TenantInfo, case: CaseSnapshot) -> list[dict[str, str]]:
    from kasane.core.rules import core

    return core.escalation_prompts(case)


@hookimpl(trylast=True)
def kasane_validate_record(tenant: TenantInfo, record: RecordSnapshot) -> list[dict[str, str]]:
    return []
