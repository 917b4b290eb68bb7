"""The meeting pages' forms, built for the tenant and the meeting type.

Like the case page, each form is a :class:`FormDefinition`, so the shared field macro
renders it and ``check_form`` validates it (labels, ``(required)`` marks, the マイナンバー
refusal). Field names carry the form's prefix (``move-date``); the forms repeated per
agenda item use ``i<position>-``.
"""

from __future__ import annotations

from typing import Any

from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    MeetingType,
    TenantConfig,
    Validation,
)
from kasane.core.defaults import UNMET_NEEDS
from kasane.core.forms.validation import Submission, check_form
from kasane.core.i18n import N_
from kasane.core.meetings.models import AGENDA_KINDS, AgendaItem

DECISION_LABELS: dict[str, str] = {
    "support_decision": N_("Support decision"),
    "plan_change": N_("Plan change"),
    "closure": N_("Closure"),
    "suspension": N_("Suspension"),
    "continuation": N_("Continuation"),
    "role_assignment": N_("Role assignment"),
    "resource_development": N_("Resource development"),
    "information_sharing": N_("Information sharing"),
    "system_review": N_("Review of the support system"),
}
# Short badges for the legal basis under which an item is shown to the meeting.
BASIS_BADGES = {
    "consent": N_("Consent"),
    "art106_6": N_("Art. 106-6"),
    "other_law": N_("Other law"),
}
LEGAL_BASES = {
    "consent": N_("The person's consent (only cases whose person consented)"),
    "art106_6": N_("Social Welfare Act Art. 106-6 (support meeting; no consent needed)"),
    "other_law": N_("Another law"),
}
ITEM_STATUSES = {"open": N_("Open"), "discussed": N_("Discussed"), "decided": N_("Decided")}
TIME = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"


def _form(key: str, fields: list[FormField]) -> FormDefinition:
    return FormDefinition(
        key=key,
        title=key,
        version="page",
        sections=[FormSection(key=key, title=key, fields=fields)],
    )


def _select(
    name: str, label: str, choices: list[Choice], *, required: bool = False, hint: str = ""
) -> FormField:
    return FormField(
        name=name, label=label, type="select", required=required, choices=choices, help=hint
    )


def _text(
    name: str,
    label: str,
    *,
    required: bool = False,
    max_length: int = 4000,
    area: bool = True,
    hint: str = "",
) -> FormField:
    return FormField(
        name=name,
        label=label,
        type="textarea" if area else "text",
        required=required,
        validation=Validation(max_length=max_length),
        help=hint,
    )


def _when() -> list[FormField]:
    return [
        FormField(name="date", label=N_("Date"), type="date", required=True),
        FormField(
            name="time",
            label=N_("Start time"),
            type="text",
            required=True,
            validation=Validation(
                max_length=5, pattern=TIME, message=N_("enter the time like 14:00")
            ),
            help=N_("Japan time, 24-hour clock, like 14:00."),
        ),
        _text(
            "place",
            N_("Place"),
            max_length=200,
            area=False,
            hint=N_(
                "Members' calendar feeds show only the building it starts with (a counter's "
                "place, e.g. the town hall): never type a person's name or home here."
            ),
        ),
    ]


def agencies_choices(config: TenantConfig) -> list[Choice]:
    """Every agency of the tenant, for the role-assignment selects."""
    return [Choice(value=a.key, label=a.name) for a in config.agencies]


def case_kinds(mt: MeetingType) -> dict[str, str]:
    """Agenda kinds a case may be added under: early detection only without consent."""
    skip = {"outreach"} | ({"early_detection"} if mt.legal_basis == "consent" else set())
    return {k: v for k, v in AGENDA_KINDS.items() if k not in skip}


def calendar_form(types: list[MeetingType]) -> FormDefinition:
    """An ad hoc meeting of a type the actor's agency sits on."""
    return _form(
        "new",
        [
            _select(
                "type",
                N_("Meeting"),
                [Choice(value=m.key, label=m.name) for m in types],
                required=True,
            ),
            *_when(),
        ],
    )


def meeting_forms(config: TenantConfig, mt: MeetingType) -> dict[str, FormDefinition]:
    """The forms of one meeting's page (per-item forms: :func:`item_forms`)."""
    return {
        "move": _form("move", _when()),
        "cancel": _form(
            "cancel", [_text("reason", N_("Reason for cancelling"), required=True, max_length=300)]
        ),
        "case": _form(
            "case",
            [
                FormField(
                    name="case_no",
                    label=N_("Case number"),
                    type="number",
                    required=True,
                    validation=Validation(min=1),
                ),
                _select(
                    "kind",
                    N_("Why it is on the agenda"),
                    [Choice(value=k, label=v) for k, v in case_kinds(mt).items()],
                    required=True,
                ),
            ],
        ),
        "attend": _form(
            "attend",
            [
                FormField(
                    name="present",
                    label=N_("Agencies present"),
                    type="checkboxes",
                    choices=[Choice(value=k, label=config.agency_name(k)) for k in mt.members],
                ),
            ],
        ),
        "minutes": _form(
            "minutes",
            [
                _text(
                    "text",
                    N_("Minutes"),
                    max_length=20000,
                    hint=N_(
                        "Record what was agreed, not personal "
                        "details beyond what the meeting needs."
                    ),
                )
            ],
        ),
    }


def item_forms(config: TenantConfig, mt: MeetingType) -> dict[str, FormDefinition]:
    """The decision and discussion forms shown under every agenda item."""
    decision = [
        _select(
            "kind",
            N_("Decision"),
            [Choice(value=k, label=DECISION_LABELS[k]) for k in mt.decisions],
            required=True,
        ),
        _text("note", N_("Note"), max_length=2000),
    ]
    if "role_assignment" in mt.decisions:
        decision += [
            _select(
                "lead",
                N_("New lead agency"),
                agencies_choices(config),
                hint=N_("For a role assignment: the agency that takes the lead."),
            ),
            _select(
                "add",
                N_("Agency that joins the case"),
                agencies_choices(config),
                hint=N_("For a role assignment: an agency brought into the case."),
            ),
        ]
    if "resource_development" in mt.decisions:
        decision += [
            _select(
                "gap",
                N_("Missing resource"),
                [Choice(value=k, label=v) for k, v in UNMET_NEEDS],
                hint=N_("For resource development: the kind of resource that is missing."),
            ),
            _select(
                "area",
                N_("Area"),
                [Choice(value=a.key, label=a.name) for a in config.areas],
                hint=N_("Where it is missing; empty means the case's area."),
            ),
        ]
    return {
        "decision": _form("decision", decision),
        "discussion": _form(
            "discussion", [_text("text", N_("Discussion note"), required=True, max_length=4000)]
        ),
    }


def item_prefix(item: AgendaItem) -> str:
    """The prefix of an agenda item's form fields, unique on the page."""
    return f"i{item.position}-"


def check_prefixed(form: FormDefinition, multi: Any, prefix: str) -> Submission:
    """Validate a posted form whose field names carry ``prefix``."""
    data: dict[str, Any] = {}
    for f in form.all_fields():
        name = prefix + f.name
        if f.type == "checkboxes":
            data[f.name] = list(multi.getall(name, [])) if hasattr(multi, "getall") else []
        else:
            data[f.name] = multi.get(name)
    return check_form(form, data)


class Refused(Exception):
    """A form was refused: field errors (by prefixed name) and/or one message for all."""

    def __init__(self, errors: dict[str, str] | None = None, alert: str = "") -> None:
        super().__init__(alert)
        self.errors, self.alert = errors or {}, alert


def checked(form: FormDefinition, multi: Any, prefix: str) -> dict[str, Any]:
    """The typed values of a posted form, or :class:`Refused` naming each bad field."""
    sub = check_prefixed(form, multi, prefix)
    if sub.errors:
        raise Refused({prefix + k: v for k, v in sub.errors.items()})
    return sub.values
