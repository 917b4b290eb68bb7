"""The outreach pages' form fields and how what was typed is checked.

An outreach record's fields, a contact's, and the two person forms (search an existing
person, or create one) whose field names carry a prefix so both fit on one page.
"""

from __future__ import annotations

from typing import Any

from kasane.core.config_types import Choice, FormField, TenantConfig, Validation
from kasane.core.forms.validation import field_problem
from kasane.core.i18n import N_
from kasane.core.outreach.models import CONTACT_KINDS

# Who noticed the person (stored as the key; shown in the reader's language).
NOTICED_BY = {
    "minsei": N_("Welfare commissioner (minsei-iin)"),
    "neighbour": N_("Neighbour"),
    "family": N_("Family or relative"),
    "community": N_("Community association or volunteer"),
    "business": N_("Business (deliveries, utilities, shops)"),
    "agency": N_("Another agency or counter"),
    "school": N_("School"),
    "staff": N_("Our own staff"),
    "other": N_("Other"),
}

TITLE = FormField(
    name="title",
    label=N_("Title"),
    type="text",
    required=True,
    validation=Validation(max_length=120),
    help=N_("No personal names: describe the situation, e.g. an older man living alone."),
)
DESCRIPTION = FormField(
    name="description",
    label=N_("What was noticed"),
    type="textarea",
    validation=Validation(max_length=4000),
    help=N_("Stored encrypted."),
)
PLACE = FormField(
    name="place",
    label=N_("Place"),
    type="text",
    validation=Validation(max_length=200),
    help=N_("Enough to find the place again: a district or a landmark."),
)
NOTICED = FormField(
    name="noticed_by",
    label=N_("Who noticed"),
    type="select",
    choices=[Choice(k, v) for k, v in NOTICED_BY.items()],
)
CONTACT_FIELDS = [
    FormField(
        name="kind",
        label=N_("Kind of contact"),
        type="select",
        required=True,
        choices=[Choice(k, v) for k, v in CONTACT_KINDS.items()],
    ),
    FormField(name="occurred_on", label=N_("Date"), type="date", required=True),
    FormField(
        name="note",
        label=N_("Note"),
        type="textarea",
        validation=Validation(max_length=4000),
        help=N_("Stored encrypted."),
    ),
]
PERSON_FIELDS = [
    FormField(name="name", label=N_("Name"), type="text", validation=Validation(max_length=100)),
    FormField(
        name="kana", label=N_("Furigana"), type="text", validation=Validation(max_length=100)
    ),
    FormField(name="birth_date", label=N_("Date of birth"), type="date"),
]
NEW_PERSON_FIELDS = [
    FormField(
        name="name",
        label=N_("Name"),
        type="text",
        required=True,
        validation=Validation(max_length=100),
    ),
    *PERSON_FIELDS[1:],
]
SEARCH, NEW = "search_", "new_"  # prefixes of the two person forms' field names


def record_fields(config: TenantConfig) -> list[FormField]:
    area = FormField(
        name="area_key",
        label=N_("Area"),
        type="select",
        choices=[Choice(a.key, a.name) for a in config.areas],
    )
    return [TITLE, DESCRIPTION, PLACE, NOTICED, area]


def check_fields(
    fields: list[FormField], data: dict[str, str], prefix: str = ""
) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(what was typed, parsed values, problems) for ``fields``; keys carry ``prefix``."""
    typed = {prefix + f.name: data.get(prefix + f.name) or "" for f in fields}
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        parsed[f.name], problem = field_problem(f, typed[prefix + f.name])
        if problem:
            errors[prefix + f.name] = problem
    return typed, parsed, errors
