"""The support plan's form: 本人の意向, the monitoring date and agreement, and its rows of
課題 → 目標 → 支援内容 → 担当機関 → 期間 (parsed from ``rows-N-part`` names)."""

from __future__ import annotations

import re
from typing import Any

from kasane.core.cases.records import PlanRowInput
from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    TenantConfig,
    Validation,
)
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.forms.validation import field_problem
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _

ROW_KEY = re.compile(r"^rows-(\d{1,3})-(issue|goal|action|agency|period)$")
ROW_PARTS = ("issue", "goal", "action", "agency")  # every part but the period is needed
MAX_ROWS = 100


def row_fields(config: TenantConfig) -> list[FormField]:
    """One plan row: 課題 → 目標 → 支援内容 → 担当機関 → 期間."""
    return [
        FormField(
            name="issue", label=N_("Issue"), type="textarea", validation=Validation(max_length=1000)
        ),
        FormField(
            name="goal", label=N_("Goal"), type="textarea", validation=Validation(max_length=1000)
        ),
        FormField(
            name="action",
            label=N_("Support to give"),
            type="textarea",
            validation=Validation(max_length=1000),
        ),
        FormField(
            name="agency",
            label=N_("Agency in charge"),
            type="select",
            choices=[Choice(value=a.key, label=a.name) for a in config.agencies],
        ),
        FormField(
            name="period", label=N_("Period"), type="text", validation=Validation(max_length=60)
        ),
    ]


PLAN_FORM = FormDefinition(
    key="plan",
    title=N_("Support plan"),
    version="core-plan-1",
    sections=[
        FormSection(
            key="wishes",
            title=N_("The person's wishes"),
            fields=[
                FormField(
                    name="wishes",
                    label=N_("The person's wishes"),
                    type="textarea",
                    validation=Validation(max_length=2000),
                )
            ],
        ),
        FormSection(
            key="schedule",
            title=N_("Monitoring and agreement"),
            fields=[
                FormField(name="next_monitoring_on", label=N_("Next monitoring"), type="date"),
                FormField(name="agreed_on", label=N_("Agreed on"), type="date"),
                FormField(
                    name="agreement_method",
                    label=N_("How the person agreed"),
                    type="select",
                    choices=[Choice(value=k, label=v) for k, v in CONSENT_METHODS.items()],
                ),
            ],
        ),
    ],
)


def check_rows(
    config: TenantConfig, data: Any
) -> tuple[list[PlanRowInput], list[dict[str, Any]], list[dict[str, str]]]:
    """(rows to save, every posted row as typed, problems per posted row).

    A row left wholly empty is ignored; a row with some parts empty names them."""
    posted: dict[int, dict[str, str]] = {}
    for key in data.keys():
        if (m := ROW_KEY.match(key)) and len(posted) <= MAX_ROWS:
            posted.setdefault(int(m.group(1)), {})[m.group(2)] = (data.get(key) or "").strip()
    fields = {f.name: f for f in row_fields(config)}
    rows, row_values, row_errors = [], [], []
    for n, index in enumerate(sorted(posted), start=1):
        raw = posted[index]
        problems: dict[str, str] = {}
        if any(raw.values()):
            for name, f in fields.items():
                text = raw.get(name, "")
                _value, problem = field_problem(f, text)
                if not text and name in ROW_PARTS:
                    problem = _("%(label)s is required", label=_(f.label))
                if problem:
                    problems[name] = _("Row %(n)s: %(problem)s", n=n, problem=problem)
            if not problems:
                rows.append(
                    PlanRowInput(
                        issue=raw["issue"],
                        goal=raw["goal"],
                        action=raw["action"],
                        agency_key=raw["agency"],
                        period=raw.get("period", ""),
                    )
                )
        row_values.append(raw)
        row_errors.append(problems)
    return rows, row_values, row_errors
