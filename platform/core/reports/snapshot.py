"""What a plugin's local indicators are counted over, and the shape of their answer.

``kasane_local_indicators`` (see :mod:`kasane.core.hookspecs`) receives a
:class:`ReportRecords` — read-only copies of the period's records, with opaque references
instead of names — and answers with indicators in the shape of :class:`LocalIndicatorSpec`.
A plugin imports these through :mod:`kasane.core.plugin_kit`; nothing here reaches the
database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import msgspec


@dataclass(frozen=True, slots=True)
class ConsultationRecord:
    """One consultation received in the period. ``fields`` are the intake form's values that
    are not sealed and not identity (the plugin's own fields among them, e.g. usuki's
    ``ishibotoke_net``); ``field`` is the counter's field."""

    ref: str
    person_ref: str
    received_on: date
    counter: str
    field: str
    channel: str
    outcome: str
    referred_to: str | None
    main_category: str
    categories: tuple[str, ...]
    case_ref: str | None
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """One referral (つなぎ) sent in the period, with its status today."""

    ref: str
    person_ref: str
    case_ref: str | None
    sent_on: date
    from_agency: str
    to_agency: str
    status: str


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """One meeting held in the period and what its agenda discussed."""

    ref: str
    meeting_type: str
    legal_basis: str
    held_on: date
    case_refs: tuple[str, ...]
    outreach_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportRecords:
    """The period's records a local indicator may count. References are opaque and stable
    (the same person has the same ``person_ref`` in every record); no name, no narrative."""

    start: date
    end: date
    today: date
    consultations: tuple[ConsultationRecord, ...]
    referrals: tuple[ReferralRecord, ...]
    meetings: tuple[MeetingRecord, ...]


class LocalDimensionSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A breakdown of a local indicator; ``values`` label the values facts carry."""

    key: str
    name: str
    name_en: str = ""
    values: dict[str, str] = {}


class LocalFactSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One counted thing: ``unit`` counts once (a record's or a person's ref), on ``on``."""

    unit: str
    on: date
    by: dict[str, str] = {}


class LocalIndicatorSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A local indicator and its facts, as a plugin answers."""

    key: str
    name: str
    definition: str
    name_en: str = ""
    definition_en: str = ""
    unit: Literal["records", "persons", "times", "places", "agencies", "hosts"] = "records"
    flow: bool = True
    dimensions: list[LocalDimensionSpec] = []
    facts: list[LocalFactSpec] = []
