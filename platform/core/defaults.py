"""The core's own hook implementations: national defaults, registered ``trylast``.

The core dogfoods its hooks: a tenant whose plugin says nothing about, say, areas still
gets a working configuration from here. Labels are English msgids, translated at render
time by the Babel catalogs; a plugin's own labels (usually Japanese) pass through as-is.
"""

from __future__ import annotations

from typing import Any

from kasane.core.i18n import N_
from kasane.core.plugin_kit import hookimpl

NAME = "kasane-core"
KASANE_HOOKS = (1, 1)

# 相談内容 checklist of the national reference intake form (生活困窮 standard forms).
CONSULTATION_CATEGORIES: list[tuple[str, str]] = [
    ("health_disability", N_("Health / disability")),
    ("housing", N_("Housing")),
    ("income", N_("Income / living costs")),
    ("rent_loan", N_("Rent / loans")),
    ("tax_utilities", N_("Taxes / utility bills")),
    ("debt", N_("Debt")),
    ("job_search", N_("Job search")),
    ("work_trouble", N_("Trouble at work")),
    ("community", N_("Relations with the community")),
    ("family", N_("Family relations")),
    ("childcare", N_("Child rearing")),
    ("care", N_("Care of a family member")),
    ("hikikomori", N_("Social withdrawal / school refusal")),
    ("dv_abuse", N_("DV / abuse")),
    ("no_food", N_("Nothing to eat")),
    ("other", N_("Other")),
]

CHANNELS: list[tuple[str, str]] = [
    ("visit_counter", N_("Came to the counter")),
    ("phone", N_("Telephone")),
    ("home_visit", N_("Home visit")),
    ("agency", N_("From an agency")),
    ("resident", N_("From a resident")),
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


# 続柄 of a 来談者 who lives with the person (the same words as the household's relations).
VISITOR_RELATIONS: list[tuple[str, str]] = [
    ("parent", N_("Parent")),
    ("spouse", N_("Spouse")),
    ("child", N_("Child")),
    ("sibling", N_("Sibling")),
    ("grandparent", N_("Grandparent")),
    ("grandchild", N_("Grandchild")),
    ("child_in_law", N_("Child-in-law")),
    ("other", N_("Other relative or housemate")),
]


def _choices(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": v, "label": label} for v, label in pairs]


NATIONAL_INTAKE_FORM: dict[str, Any] = {
    "key": "intake",
    "title": N_("Consultation intake"),
    "version": "national-2021.1",
    "sections": [
        {
            "key": "reception",
            "title": N_("Reception"),
            "fields": [
                {
                    "name": "received_on",
                    "label": N_("Date received"),
                    "type": "date",
                    "required": True,
                    "national": True,
                    "validation": {"past_only": True},
                },
                {
                    "name": "channel",
                    "label": N_("Channel"),
                    "type": "radio",
                    "required": True,
                    "choices": _choices(CHANNELS),
                    "national": True,
                },
            ],
        },
        {
            "key": "person",
            "title": N_("The person"),
            "fields": [
                {
                    "name": "kana",
                    "label": N_("Furigana"),
                    "type": "text",
                    "required": True,
                    "validation": {"max_length": 100},
                },
                {
                    "name": "name",
                    "label": N_("Name"),
                    "type": "text",
                    "required": True,
                    "validation": {"max_length": 100},
                },
                {
                    "name": "sex",
                    "label": N_("Sex"),
                    "type": "select",
                    "national": True,
                    "choices": _choices(
                        [("female", "Female"), ("male", "Male"), ("other", "Other / not stated")]
                    ),
                },
                {
                    "name": "birth_date",
                    "label": N_("Date of birth"),
                    "type": "date",
                    "national": True,
                    "validation": {"past_only": True},
                },
                {
                    "name": "address",
                    "label": N_("Address"),
                    "type": "text",
                    "validation": {"max_length": 200},
                },
                {
                    "name": "phone_home",
                    "label": N_("Phone (home)"),
                    "type": "tel",
                    "validation": {
                        "pattern": r"^[0-9０-９\-‐ー()（） ]{0,20}$",
                        "message": "Use digits and hyphens only",
                    },
                },
                {
                    "name": "phone_mobile",
                    "label": N_("Phone (mobile)"),
                    "type": "tel",
                    "validation": {
                        "pattern": r"^[0-9０-９\-‐ー()（） ]{0,20}$",
                        "message": "Use digits and hyphens only",
                    },
                },
                {"name": "email", "label": N_("E-mail"), "type": "email"},
            ],
        },
        {
            "key": "visitor",
            "title": N_("Visitor (when not the person)"),
            "fields": [
                {"name": "visitor_name", "label": N_("Visitor's name"), "type": "text"},
                {"name": "visitor_phone", "label": N_("Visitor's phone"), "type": "tel"},
                {"name": "visitor_relation", "label": N_("Relation to the person"), "type": "text"},
                {
                    "name": "visitor_household",
                    "label": N_("Add the visitor to the person's household as"),
                    "type": "select",
                    "choices": _choices(VISITOR_RELATIONS),
                    "help": N_(
                        "The relation to the person (the household's head); leave empty when "
                        "the visitor does not live with them."
                    ),
                },
            ],
        },
        {
            "key": "consultation",
            "title": N_("What the consultation is about"),
            "fields": [
                {
                    "name": "categories",
                    "label": N_("Consultation topics"),
                    "type": "checkboxes",
                    "required": True,
                    "choices": _choices(CONSULTATION_CATEGORIES),
                    "national": True,
                },
                {
                    "name": "main_category",
                    "label": N_("Main topic"),
                    "type": "select",
                    "required": True,
                    "choices": _choices(CONSULTATION_CATEGORIES),
                    "national": True,
                },
                {
                    "name": "narrative",
                    "label": N_("Details"),
                    "type": "textarea",
                    "sensitive": True,
                    "validation": {"max_length": 4000},
                },
                {
                    "name": "consent_to_share",
                    "label": N_("Consents to sharing with agencies"),
                    "type": "boolean",
                },
            ],
        },
    ],
}


ISSUES: list[tuple[str, str]] = [
    ("health", N_("Physical health")),
    ("mental", N_("Mental health")),
    ("disability", N_("Disability")),
    ("dementia", N_("Dementia")),
    ("income", N_("Income / living costs")),
    ("debt", N_("Debt")),
    ("housing", N_("Housing")),
    ("work", N_("Work")),
    ("isolation", N_("Social isolation")),
    ("withdrawal", N_("Social withdrawal")),
    ("care_burden", N_("Care burden")),
    ("child_rearing", N_("Child rearing")),
    ("abuse", N_("Abuse / DV")),
    ("school", N_("School")),
    ("daily_life", N_("Daily life skills")),
]
UNMET_NEEDS: list[tuple[str, str]] = [
    ("ibasho", N_("A place to belong")),
    ("work_trial", N_("Work experience")),
    ("housing", N_("Housing support")),
    ("watch", N_("Watching over")),
    ("transport", N_("Transport")),
    ("childcare", N_("Childcare")),
    ("care_service", N_("Care service")),
    ("other", N_("Other")),
]

NATIONAL_ASSESSMENT_FORM: dict[str, Any] = {
    "key": "assessment",
    "title": N_("Intake and assessment sheet"),
    "version": "national-2021.1",
    "sections": [
        {
            "key": "person",
            "title": N_("The person's situation"),
            "fields": [
                {
                    "name": "health",
                    "label": N_("Health"),
                    "type": "select",
                    "national": True,
                    "choices": _choices(
                        [
                            ("good", N_("No problems")),
                            ("some", N_("Some problems")),
                            ("serious", N_("Serious problems")),
                            ("unknown", N_("Unknown")),
                        ]
                    ),
                },
                {
                    "name": "employment",
                    "label": N_("Work"),
                    "type": "select",
                    "national": True,
                    "choices": _choices(
                        [
                            ("working", N_("Working")),
                            ("seeking", N_("Looking for work")),
                            ("not_working", N_("Not working")),
                            ("unknown", N_("Unknown")),
                        ]
                    ),
                },
                {
                    "name": "income_sources",
                    "label": N_("Income sources"),
                    "type": "checkboxes",
                    "choices": _choices(
                        [
                            ("wages", N_("Wages")),
                            ("pension", N_("Pension")),
                            ("public_assistance", N_("Public assistance")),
                            ("family", N_("Family support")),
                            ("none", N_("None")),
                        ]
                    ),
                },
                {
                    "name": "health_detail",
                    "label": N_("Health, disability and care needs"),
                    "type": "textarea",
                    "sensitive": True,
                    "validation": {"max_length": 4000},
                },
            ],
        },
        {
            "key": "household",
            "title": N_("The household's situation"),
            "fields": [
                {
                    "name": "household_note",
                    "label": N_("Household and relationships"),
                    "type": "textarea",
                    "sensitive": True,
                    "validation": {"max_length": 4000},
                },
            ],
        },
        {
            "key": "issues",
            "title": N_("Organising the issues"),
            "fields": [
                {
                    "name": "issues",
                    "label": N_("Issues"),
                    "type": "checkboxes",
                    "required": True,
                    "choices": _choices(ISSUES),
                    "national": True,
                },
                {
                    "name": "strengths",
                    "label": N_("Strengths and resources"),
                    "type": "textarea",
                    "validation": {"max_length": 2000},
                },
                {
                    "name": "wishes",
                    "label": N_("The person's wishes"),
                    "type": "textarea",
                    "sensitive": True,
                    "validation": {"max_length": 2000},
                },
                {
                    "name": "unmet_needs",
                    "label": N_("Needs no existing service meets"),
                    "type": "checkboxes",
                    "choices": _choices(UNMET_NEEDS),
                },
            ],
        },
    ],
}


@hookimpl(trylast=True)
def kasane_counters(tenant: Any) -> list[dict[str, Any]]:
    """The four statutory counters plus a general municipal counter."""
    return [
        {"key": "hokatsu", "name": N_("Community general support center"), "field": "elderly"},
        {"key": "kikan", "name": N_("Core disability consultation center"), "field": "disability"},
        {"key": "kodomo", "name": N_("Children and family center"), "field": "children"},
        {"key": "jiritsu", "name": N_("Self-reliance support office"), "field": "poverty"},
        {"key": "general", "name": N_("Municipal general counter"), "field": "general"},
    ]


@hookimpl(trylast=True)
def kasane_areas(tenant: Any) -> list[dict[str, Any]]:
    return [{"key": "whole", "name": N_("Whole municipality"), "kind": "municipality"}]


@hookimpl(trylast=True)
def kasane_agencies(tenant: Any) -> list[dict[str, Any]]:
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
def kasane_meeting_types(tenant: Any) -> list[dict[str, Any]]:
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
def kasane_participation_menus(tenant: Any) -> list[dict[str, Any]]:
    return []


@hookimpl(trylast=True)
def kasane_form_definitions(tenant: Any) -> list[dict[str, Any]]:
    return [NATIONAL_INTAKE_FORM, NATIONAL_ASSESSMENT_FORM]


@hookimpl(trylast=True)
def kasane_stage_labels(tenant: Any) -> dict[str, str]:
    return dict(STAGE_LABELS)


@hookimpl(trylast=True)
def kasane_terminology(tenant: Any) -> dict[str, str]:
    return dict(TERMS)


@hookimpl(trylast=True)
def kasane_theme(tenant: Any) -> str:
    return "default"


# ---------------------------------------------------------------- rules (kasane.core.rules.core)


@hookimpl(trylast=True)
def kasane_intake_routing(tenant: Any, intake: Any) -> str:
    from kasane.core.rules import core

    return core.intake_routing(intake)


@hookimpl(trylast=True)
def kasane_agenda_rules(tenant: Any, meeting: Any, cases: Any) -> list[dict[str, str]]:
    from kasane.core.rules import core

    return core.agenda(meeting, cases)


@hookimpl(trylast=True)
def kasane_monitoring_interval(tenant: Any, case: Any) -> int:
    from kasane.core.rules import core

    return core.monitoring_interval(case)


@hookimpl(trylast=True)
def kasane_escalation_prompts(tenant: Any, case: Any) -> list[dict[str, str]]:
    from kasane.core.rules import core

    return core.escalation_prompts(case)


@hookimpl(trylast=True)
def kasane_validate_record(tenant: Any, record: Any) -> list[dict[str, str]]:
    return []
