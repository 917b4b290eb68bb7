"""The national reference forms (自治体事務マニュアル) and the lists their choices come from.

The core answers ``kasane_form_definitions`` with these two forms (see
:mod:`kasane.core.defaults`); other modules read the lists (相談内容, 相談経路, 未充足ニーズ)
to label what the forms recorded. Labels are English msgids, translated at render time.
"""

from __future__ import annotations

from typing import Any

from kasane.core.i18n import N_

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
