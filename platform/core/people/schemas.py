"""The person page's own forms (consent ledger entry, household member), as core form
definitions so they are checked by the same rules as the towns' forms (labels named in
every message, My Number refused)."""

from __future__ import annotations

from typing import Any

from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    TenantConfig,
    Validation,
)
from kasane.core.consent.models import CONSENT_METHODS, PURPOSES
from kasane.core.i18n import N_
from kasane.core.people.models import RELATIONS

# Field ids on the person page carry a prefix, so two forms on one page never share an id.
CONSENT_PREFIX = "consent-"
MEMBER_PREFIX = "member-"


def consent_form(config: TenantConfig) -> FormDefinition:
    """The consent ledger's entry form: scope (agencies, meetings), purposes, how, when."""
    fields = [
        FormField(
            name="agencies",
            label=N_("Agencies it covers"),
            type="checkboxes",
            required=True,
            choices=[Choice(value="*", label=N_("All agencies"))]
            + [Choice(value=a.key, label=a.name) for a in config.agencies],
        ),
    ]
    meetings = [m for m in config.meeting_types if m.consent_required]
    if meetings:
        fields.append(
            FormField(
                name="meeting_types",
                label=N_("Meetings it covers"),
                type="checkboxes",
                choices=[Choice(value=m.key, label=m.name) for m in meetings],
            )
        )
    fields += [
        FormField(
            name="purposes",
            label=N_("Purposes"),
            type="checkboxes",
            required=True,
            choices=[Choice(value=k, label=v) for k, v in PURPOSES.items()],
        ),
        FormField(name="obtained_on", label=N_("Date obtained"), type="date", required=True),
        FormField(
            name="method",
            label=N_("How it was obtained"),
            type="radio",
            required=True,
            choices=[Choice(value=k, label=v) for k, v in CONSENT_METHODS.items()],
        ),
        FormField(name="expires_on", label=N_("Expires on"), type="date"),
    ]
    return FormDefinition(
        key="consent",
        title=N_("Record consent"),
        version="core",
        sections=[FormSection(key="consent", title=N_("Record consent"), fields=fields)],
    )


MEMBER_FORM = FormDefinition(
    key="household_member",
    title=N_("Add a household member"),
    version="core",
    sections=[
        FormSection(
            key="member",
            title=N_("Add a household member"),
            fields=[
                FormField(
                    name="name",
                    label=N_("Name"),
                    type="text",
                    required=True,
                    validation=Validation(max_length=100),
                ),
                FormField(
                    name="kana",
                    label=N_("Furigana"),
                    type="text",
                    validation=Validation(max_length=100),
                ),
                FormField(name="birth_date", label=N_("Date of birth"), type="date"),
                FormField(
                    name="relation",
                    label=N_("Relation to the head of household"),
                    type="select",
                    required=True,
                    choices=[Choice(value=k, label=v) for k, v in RELATIONS.items() if k != "head"],
                ),
                FormField(name="is_carer", label=N_("Cares for a family member"), type="boolean"),
                FormField(name="needs_care", label=N_("Needs care"), type="boolean"),
                FormField(
                    name="withdrawn", label=N_("Socially withdrawn (hikikomori)"), type="boolean"
                ),
            ],
        )
    ],
)


class PrefixedForm:
    """A form multi-dict seen without the field-id prefix the page gave its fields."""

    def __init__(self, multi: Any, prefix: str) -> None:
        self.multi, self.prefix = multi, prefix

    def get(self, key: str, default: Any = None) -> Any:
        return self.multi.get(self.prefix + key, default)

    def getall(self, key: str, default: Any = None) -> list[Any]:
        return list(self.multi.getall(self.prefix + key, default or []))
