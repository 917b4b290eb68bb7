"""The case page's small forms (move, decision, agencies, notes, monitoring, evaluation …).

Each form on the page is a :class:`FormDefinition` built for the tenant (its agencies, its
meetings), so the shared field macro renders it and ``check_form`` validates it: the same
labels, ``(required)`` marks, マイナンバー refusal and messages as every other form.
Field names carry the form's prefix (``note-body``) so that ids stay unique on the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kasane.core.cases.models import PlanRow
from kasane.core.cases.records import EVALUATION_OUTCOMES, GOAL_OUTCOMES, NOTE_KINDS
from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    TenantConfig,
    Validation,
)
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.forms.validation import Submission, check_form
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _

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
# The decisions staff record on the case page; the others belong to meetings.
CASE_DECISIONS = ("support_decision", "closure", "suspension", "continuation")
CONFIRM_CLOSE = N_(
    "Closing: I confirm that the case is closed (the other agencies' part ends; it can be "
    "reopened as a new support period)"
)
SOURCES = {"meeting": N_("Decided at a meeting"), "exception": N_("Recorded exception")}
BASES = {"consent": N_("The person's consent"), "other_law": N_("Another law allows it")}


def _choices(items: Mapping[str, str]) -> list[Choice]:
    return [Choice(value=k, label=v) for k, v in items.items()]


def _form(key: str, fields: list[FormField]) -> FormDefinition:
    return FormDefinition(
        key=key,
        title=key,
        version="page",
        sections=[FormSection(key=key, title=key, fields=fields)],
    )


def _date(name: str, label: str, required: bool = True, past_only: bool = True) -> FormField:
    """A date on the case page: what happened cannot be after today (a next date can)."""
    return FormField(
        name=name,
        label=label,
        type="date",
        required=required,
        validation=Validation(past_only=True) if past_only else None,
    )


def _text(name: str, label: str, required: bool = False, max_length: int = 4000) -> FormField:
    return FormField(
        name=name,
        label=label,
        type="textarea",
        required=required,
        validation=Validation(max_length=max_length),
    )


def meetings_for(config: TenantConfig, kind: str | None) -> list[Choice]:
    """The tenant's meeting types that may take ``kind`` (None: every meeting type)."""
    return [
        Choice(value=m.key, label=m.name)
        for m in config.meeting_types
        if kind is None or kind in m.decisions
    ]


def evaluation_fields(goals: list[PlanRow]) -> list[FormField]:
    """The evaluation form: each goal of the current plan judged on its own (評価 per
    目標), or — for a case that never had plan goals — one overall outcome."""
    if not goals:
        return [
            FormField(
                name="outcome",
                label=N_("Outcome"),
                type="select",
                required=True,
                choices=_choices(EVALUATION_OUTCOMES),
            )
        ]
    fields: list[FormField] = []
    for n, row in enumerate(goals, start=1):
        fields.append(
            FormField(
                name=f"goal{n}",
                label=_("Goal {n}: {goal}").format(n=n, goal=row.goal),
                type="select",
                required=True,
                choices=_choices(GOAL_OUTCOMES),
            )
        )
        fields.append(
            FormField(
                name=f"goal{n}_finding",
                label=_("Findings for goal {n}").format(n=n),
                type="textarea",
                validation=Validation(max_length=2000),
            )
        )
    return fields


def judged_goals(
    goals: list[PlanRow], values: Mapping[str, Any]
) -> dict[uuid.UUID, tuple[str, str]]:
    """The posted evaluation form's per-goal answers (``goal1``, ``goal1_finding`` …), by
    plan row, in plan order."""
    return {
        r.id: (values[f"goal{n}"], values.get(f"goal{n}_finding") or "")
        for n, r in enumerate(goals, start=1)
    }


def page_forms(
    config: TenantConfig,
    taking_part: list[str],
    decision_kind: str | None = None,
    lead: str | None = None,
    goals: list[PlanRow] | None = None,
) -> dict[str, FormDefinition]:
    """Every form of the case page, for this tenant and the agencies taking part now.

    The meeting list shows the meetings that may take ``decision_kind`` and the lead list
    leaves out the current ``lead``; parsing a post passes None for both (every meeting,
    every agency taking part), so that a mismatch gets the rule's own message. ``goals``
    are the current plan's rows, judged one by one in the evaluation form.

    Long: the declaration of every form of the page, one after another.
    """
    agencies = [Choice(value=a.key, label=a.name) for a in config.agencies]
    others = [c for c in agencies if c.value not in taking_part]
    parts = [c for c in agencies if c.value in taking_part and c.value != lead]
    return {
        "move": _form(
            "move",
            [
                _text("note", N_("Reason or note"), max_length=300),
                FormField(name="confirm", label=CONFIRM_CLOSE, type="boolean"),
            ],
        ),
        "decision": _form(
            "decision",
            [
                FormField(
                    name="kind",
                    label=N_("Decision"),
                    type="select",
                    required=True,
                    choices=[Choice(value=k, label=DECISION_LABELS[k]) for k in CASE_DECISIONS],
                ),
                FormField(
                    name="source",
                    label=N_("Decided by"),
                    type="radio",
                    required=True,
                    choices=_choices(SOURCES),
                ),
                FormField(
                    name="meeting",
                    label=N_("Meeting"),
                    type="select",
                    choices=meetings_for(config, decision_kind),
                    help=N_("Only meetings that may take this decision are listed."),
                ),
                _date("decided_on", N_("Decided on")),
                FormField(
                    name="note",
                    label=N_("Note, or the reason for the exception"),
                    type="textarea",
                    validation=Validation(max_length=2000),
                    help=N_("An exception needs its reason; a closure needs its reason too."),
                ),
                FormField(name="confirm", label=CONFIRM_CLOSE, type="boolean"),
            ],
        ),
        "agency": _form(
            "agency",
            [
                FormField(
                    name="agency", label=N_("Agency"), type="select", required=True, choices=others
                ),
                FormField(
                    name="basis",
                    label=N_("Basis for sharing"),
                    type="radio",
                    required=True,
                    choices=_choices(BASES),
                ),
                FormField(
                    name="law",
                    label=N_("Name of the law"),
                    type="text",
                    validation=Validation(max_length=200),
                    help=N_("Only when another law allows sharing without consent."),
                ),
            ],
        ),
        "lead": _form(
            "lead",
            [
                FormField(
                    name="agency",
                    label=N_("New lead agency"),
                    type="select",
                    required=True,
                    choices=parts,
                )
            ],
        ),
        "collab": _form("collab", [_text("reason", N_("Reason"), max_length=200)]),
        "note": _form(
            "note",
            [
                FormField(
                    name="kind",
                    label=N_("Kind of contact"),
                    type="select",
                    required=True,
                    choices=_choices(NOTE_KINDS),
                ),
                _date("occurred_on", N_("Date")),
                _text("body", N_("Progress note"), required=True),
            ],
        ),
        "monitoring": _form(
            "monitoring",
            [
                _date("done_on", N_("Monitoring date")),
                _text("summary", N_("Summary"), required=True),
                FormField(
                    name="plan_review_needed", label=N_("The plan needs review"), type="boolean"
                ),
                _date("next_on", N_("Next monitoring"), required=False, past_only=False),
            ],
        ),
        "evaluation": _form(
            "evaluation",
            [
                _date("evaluated_on", N_("Evaluated on")),
                *evaluation_fields(goals or []),
                _text("summary", N_("Overall findings"), required=True),
            ],
        ),
        "agreement": _form(
            "agreement",
            [
                _date("agreed_on", N_("Agreed on")),
                FormField(
                    name="method",
                    label=N_("How the person agreed"),
                    type="select",
                    required=True,
                    choices=_choices(CONSENT_METHODS),
                ),
            ],
        ),
    }


def parse(form: FormDefinition, data: Any) -> Submission:
    """Validate a posted page form (``data`` holds prefixed names, e.g. ``note-body``)."""
    prefix = f"{form.key}-"
    return check_form(form, {f.name: data.get(prefix + f.name) for f in form.all_fields()})


@dataclass
class FormState:
    """What one page form shows: the typed values, errors by field, and a form-level alert."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    alert: str = ""
