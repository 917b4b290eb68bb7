"""The staff form for a service (and the contact's correction form): fields, parsing.

Fields are :class:`~kasane.core.config_types.FormField` so the shared ``form_field`` macro
renders them, with labels as msgids; values are checked by ``field_problem`` (required,
length, e-mail, My Number refused …).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kasane.core.config_types import Choice, FormField, TenantConfig, Validation
from kasane.core.forms.validation import field_problem
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.registry.models import SERVICE_STATUSES, Organization, TaxonomyTerm
from kasane.core.registry.schedules import CODES, DAY_NAMES
from kasane.core.registry.services import ServiceInput

TIME = Validation(
    max_length=5, pattern=r"^([01]\d|2[0-4]):[0-5]\d$", message=N_("enter a time like 09:30")
)
NEW_ORG = "new"


def _text(name: str, label: str, n: int = 200, required: bool = False, hint: str = "") -> FormField:
    return FormField(
        name=name,
        label=label,
        type="text",
        required=required,
        validation=Validation(max_length=n),
        help=hint,
    )


def _area(name: str, t: str, n: int = 2000, hint: str = "") -> FormField:
    return FormField(
        name=name, label=t, type="textarea", validation=Validation(max_length=n), help=hint
    )


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: list[FormField]


def service_sections(
    config: TenantConfig, orgs: list[Organization], terms: list[TaxonomyTerm]
) -> list[Section]:
    """The sections of the staff form, with the tenant's areas and categories.

    Long: the form's declaration, section by section, as the page shows it.
    """
    org_choices = [Choice(str(o.id), o.name) for o in orgs] + [
        Choice(NEW_ORG, N_("A new organization (enter its name below)"))
    ]
    return [
        Section(
            "about",
            N_("The service"),
            [
                _text("name", N_("Name (of the organisation or service)"), required=True),
                _text("name_kana", N_("Reading (kana)"), hint=N_("Lets staff find it in kana.")),
                _text("alternate_name", N_("Other name")),
                FormField(
                    name="status",
                    label=N_("Status"),
                    type="select",
                    required=True,
                    choices=[Choice(k, v) for k, v in SERVICE_STATUSES.items()],
                ),
                _area("description", N_("Description")),
                FormField(
                    name="term_ids",
                    label=N_("Categories"),
                    type="checkboxes",
                    choices=[Choice(str(t.id), t.name) for t in terms],
                ),
                FormField(
                    name="area_key",
                    label=N_("Area"),
                    type="select",
                    choices=[Choice(a.key, a.name) for a in config.areas],
                ),
                _area("eligibility_description", N_("Who it is for"), 1000),
                _area("fees_description", N_("Fees"), 1000),
                _area("application_process", N_("How to take part or apply"), 1000),
                FormField(
                    name="public",
                    label=N_("Public (open data: anyone may read this entry, contacts included)"),
                    type="boolean",
                ),
                FormField(name="reviewed_on", label=N_("Last reviewed on"), type="date"),
            ],
        ),
        Section(
            "provider",
            N_("Provider"),
            [
                FormField(
                    name="organization_id",
                    label=N_("Organization"),
                    type="select",
                    required=True,
                    choices=org_choices,
                ),
                _text("organization_name", N_("New organization's name")),
                FormField(
                    name="url",
                    label=N_("Web page"),
                    type="text",
                    validation=Validation(
                        max_length=500,
                        pattern=r"^https?://\S+$",
                        message=N_("enter an address starting with https://"),
                    ),
                ),
                FormField(
                    name="email",
                    label=N_("E-mail"),
                    type="email",
                    validation=Validation(max_length=254),
                ),
                FormField(
                    name="phone",
                    label=N_("Phone"),
                    type="tel",
                    validation=Validation(max_length=50),
                ),
                _text(
                    "contact_name", N_("Contact person"), hint=N_("Receives the confirmation link.")
                ),
                FormField(
                    name="contact_email",
                    label=N_("Contact's e-mail"),
                    type="email",
                    validation=Validation(max_length=254),
                ),
            ],
        ),
        Section(
            "place",
            N_("Place"),
            [
                _text("location_name", N_("Name of the place")),
                _text("postal_code", N_("Postal code"), 20),
                _text("state_province", N_("Prefecture"), 50),
                _text("city", N_("City, town or village"), 100),
                _text("address_1", N_("Town, block and number"), 300),
                _text("address_2", N_("Building"), 300),
                _area(
                    "accessibility",
                    N_("Accessibility"),
                    1000,
                    N_("Steps, wheelchair access, toilets, hearing loop, parking …"),
                ),
            ],
        ),
        Section(
            "hours",
            N_("When"),
            [
                FormField(
                    name="days",
                    label=N_("Days"),
                    type="checkboxes",
                    choices=[Choice(c, n) for c, n in zip(CODES, DAY_NAMES, strict=True)],
                ),
                FormField(
                    name="nth",
                    label=N_("Which weeks"),
                    type="select",
                    choices=[
                        Choice("1", N_("First week of the month")),
                        Choice("2", N_("Second week of the month")),
                        Choice("3", N_("Third week of the month")),
                        Choice("4", N_("Fourth week of the month")),
                        Choice("-1", N_("Last week of the month")),
                    ],
                    help=N_("Leave empty for every week."),
                ),
                FormField(name="opens_at", label=N_("Opens at"), type="text", validation=TIME),
                FormField(name="closes_at", label=N_("Closes at"), type="text", validation=TIME),
                _area(
                    "schedule_description",
                    N_("Hours in words"),
                    500,
                    N_("For example: closed on public holidays; call before the first visit."),
                ),
            ],
        ),
    ]


def all_fields(sections: list[Section]) -> list[FormField]:
    return [f for s in sections for f in s.fields]


def raw_values(fields: list[FormField], multi: Any) -> dict[str, Any]:
    """What was typed: lists for checkboxes (``getall``), strings otherwise."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.type == "checkboxes":
            out[f.name] = list(multi.getall(f.name, [])) if hasattr(multi, "getall") else []
        else:
            out[f.name] = multi.get(f.name) or ""
    return out


def values_of(data: ServiceInput) -> dict[str, Any]:
    """A ServiceInput as form values (for the edit form)."""
    values: dict[str, Any] = {k: v for k, v in vars(data).items()}
    values["organization_id"] = str(data.organization_id) if data.organization_id else ""
    values["term_ids"] = [str(t) for t in data.term_ids]
    values["reviewed_on"] = data.reviewed_on.isoformat() if data.reviewed_on else ""
    values["public"] = data.public
    return {k: ("" if v is None else v) for k, v in values.items()}


def parse_service(
    fields: list[FormField], raw: Mapping[str, Any]
) -> tuple[ServiceInput | None, dict[str, str]]:
    """(input, {}) when the form is valid, else (None, problems by field name)."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        parsed[f.name], problem = field_problem(f, raw.get(f.name))
        if problem:
            errors[f.name] = problem
    if not errors:
        if parsed["organization_id"] == NEW_ORG and not parsed.get("organization_name"):
            errors["organization_name"] = _(
                "%(label)s is required", label=_("New organization's name")
            )
        if parsed.get("nth") and not parsed.get("days"):
            errors["days"] = _("%(label)s: choose at least one", label=_("Days"))
        if bool(parsed.get("opens_at")) != bool(parsed.get("closes_at")):
            key = "closes_at" if parsed.get("opens_at") else "opens_at"
            errors[key] = _("Enter both the opening and the closing time")
    if errors:
        return None, errors
    org = parsed.pop("organization_id")
    data = ServiceInput(
        name=parsed["name"],
        organization_id=None if org == NEW_ORG else uuid.UUID(org),
        organization_name=parsed.pop("organization_name") or "",
        term_ids=[uuid.UUID(t) for t in parsed.pop("term_ids")],
        days=list(parsed.pop("days")),
        nth=parsed.pop("nth") or "",
        public=bool(parsed.pop("public")),
    )
    for key, value in parsed.items():
        setattr(data, key, value)
    data.name_kana = data.name_kana or ""
    data.status = data.status or "active"
    return data, {}


# The contact's form (no account): a few fields and a message.
CORRECTION_FIELDS = [
    _text("name", N_("Name (of the organisation or service)"), required=True),
    _text("name_kana", N_("Reading (kana)")),
    _area("description", N_("Description")),
    FormField(
        name="url",
        label=N_("Web page"),
        type="text",
        validation=Validation(
            max_length=500,
            pattern=r"^https?://\S+$",
            message=N_("enter an address starting with https://"),
        ),
    ),
    FormField(
        name="email", label=N_("E-mail"), type="email", validation=Validation(max_length=254)
    ),
    FormField(name="phone", label=N_("Phone"), type="tel", validation=Validation(max_length=50)),
    _area("schedule_description", N_("Hours in words"), 500),
    _area("eligibility_description", N_("Who it is for"), 1000),
    _area("fees_description", N_("Fees"), 1000),
    _area("application_process", N_("How to take part or apply"), 1000),
]
MESSAGE_FIELD = _area(
    "message",
    N_("Anything else we should know"),
    2000,
    N_("Changes to the address, the days or anything not above."),
)


def parse_correction(raw: Mapping[str, Any]) -> tuple[dict[str, str], str, dict[str, str]]:
    """(proposed values, message, problems by field name) of the contact's form."""
    proposed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in [*CORRECTION_FIELDS, MESSAGE_FIELD]:
        value, problem = field_problem(f, raw.get(f.name))
        if problem:
            errors[f.name] = problem
        proposed[f.name] = value or ""
    message = proposed.pop("message")
    return proposed, message, errors
