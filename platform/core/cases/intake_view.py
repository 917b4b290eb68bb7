"""The intake as recorded (相談内容), for the case page: every consultation of the case with
its form's own labels, the 来談者 and the sealed narrative unsealed (the page's read is
audited by the caller, as the case read)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.config_types import FormField, TenantConfig
from kasane.core.intake.models import OUTCOMES, Consultation
from kasane.core.protection.sealing import unseal_json

# Shown in the case header and household already, or as their own line below.
SKIP = frozenset(
    {
        "name",
        "kana",
        "sex",
        "birth_date",
        "address",
        "phone_home",
        "phone_mobile",
        "email",
        "received_on",
        "channel",
        "visitor_name",
        "visitor_phone",
        "visitor_relation",
    }
)


@dataclass(frozen=True)
class IntakeLine:
    label: str  # a msgid or the plugin's words
    value: str | list[str]  # choice labels are msgids too; a list for several choices
    long: bool = False  # a narrative (shown as a paragraph)
    coded: bool = False  # a choice or yes/no: no words typed by anyone (no-consent form)


@dataclass
class IntakeView:
    id: uuid.UUID
    received_on: date
    counter_key: str
    channel: str  # a msgid
    outcome: str  # a msgid
    visitor_name: str
    visitor_relation: str
    visitor_phone: str
    created_at: datetime
    lines: list[IntakeLine] = field(default_factory=list)


def _shown(value: Any, choices: dict[str, str]) -> str | list[str]:
    if isinstance(value, list):
        return [choices.get(str(v), str(v)) for v in value]
    return choices.get(str(value), str(value)) if value is not None else ""


async def _consultations(
    session: AsyncSession,
    case_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
    recorded_by: uuid.UUID | None,
) -> list[Consultation]:
    """The case's consultations, or the person's that ``recorded_by`` took."""
    return list(
        (
            await session.execute(
                select(Consultation).where(
                    Consultation.case_id == case_id
                    if case_id is not None
                    else (Consultation.person_id == person_id)
                    & (Consultation.received_by == recorded_by)
                )
            )
        ).scalars()
    )


def _intake_lines(fields: list[FormField], values: dict[str, Any]) -> list[IntakeLine]:
    """The answers of one consultation in the form's order, leaving out empty ones and
    those shown elsewhere (:data:`SKIP`)."""
    lines: list[IntakeLine] = []
    for f in fields:
        if f.name in SKIP or f.name not in values:
            continue
        value = values[f.name]
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            lines.append(IntakeLine(f.label, "Yes" if value else "No", coded=True))
            continue
        choices = {ch.value: ch.label for ch in (f.choices or [])}
        lines.append(
            IntakeLine(f.label, _shown(value, choices), f.type == "textarea", coded=bool(choices))
        )
    return lines


async def _intake_view(
    session: AsyncSession, c: Consultation, fields: list[FormField], channels: dict[str, str]
) -> IntakeView:
    """One consultation in the intake form's words, its sealed part unsealed."""
    values: dict[str, Any] = {
        "categories": c.categories,
        "main_category": c.main_category,
        **(c.data or {}),
        **await unseal_json(session, "consultations", c.id, c.sealed),
    }
    view = IntakeView(
        c.id,
        c.received_on,
        c.counter_key,
        channels.get(c.channel, c.channel),
        OUTCOMES.get(c.outcome, c.outcome),
        c.visitor_name,
        c.visitor_relation,
        c.visitor_phone,
        c.created_at,
    )
    view.lines.extend(_intake_lines(fields, values))
    return view


async def intakes_of(
    session: AsyncSession,
    config: TenantConfig,
    case_id: uuid.UUID | None = None,
    *,
    person_id: uuid.UUID | None = None,
    recorded_by: uuid.UUID | None = None,
    consultations: list[Consultation] | None = None,
) -> list[IntakeView]:
    """The consultations of a case (or those of a person that ``recorded_by`` took: whoever
    records an intake keeps access to what they recorded, decision 0004), oldest first, in
    the intake form's words. ``consultations``: the case's, when the caller has them."""
    form = config.forms.get("intake")
    fields = list(form.all_fields()) if form else []
    channel_field = next((f for f in fields if f.name == "channel"), None)
    channels = {c.value: c.label for c in (channel_field.choices if channel_field else [])}
    if consultations is None:  # else the case's, read already (the case page)
        consultations = await _consultations(session, case_id, person_id, recorded_by)
    return [
        await _intake_view(session, c, fields, channels)
        for c in sorted(consultations, key=lambda c: (c.received_on, c.created_at))
    ]
