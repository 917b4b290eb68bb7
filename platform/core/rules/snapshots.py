"""Read-only snapshots a rule sees: no session, no model, no name, no narrative.

References (``ref``) are opaque, stable strings. Dates are JST days; ``today`` is the day
the core decides on (a rule never reads the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    """One household member: 続柄 relative to the head, age, care roles."""

    relation: str
    age: int | None = None
    is_carer: bool = False
    needs_care: bool = False
    withdrawn: bool = False  # ひきこもり


@dataclass(frozen=True, slots=True)
class HouseholdSnapshot:
    """The household and the patterns the core derived from it (``8050``,
    ``double_care``, ``young_carer``, ``elderly_single``)."""

    members: tuple[MemberSnapshot, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntakeSnapshot:
    """A consultation about to open a case (``kasane_intake_routing``)."""

    counter: str  # the counter's key
    field: str  # the counter's field: elderly, disability, children, poverty, …
    counter_agency: str | None  # the agency that staffs the counter
    coordinating_agency: str  # the agency that runs 多機関協働
    outcome: str  # continued | multi_agency (多機関協働 from the start)
    categories: tuple[str, ...]  # 相談内容 keys (see kasane.core.defaults)
    main_category: str
    channel: str
    household: HouseholdSnapshot
    today: date
    # the form's plain, non-identity values
    fields: Mapping[str, Any] = _field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """An open case as the core sees it today."""

    ref: str
    case_no: int
    stage: str  # a core stage (kasane.core.config_types.STAGES)
    stage_since: date  # the day it entered that stage
    opened_on: date
    counter: str
    field: str
    lead_agency: str
    agencies: tuple[str, ...]  # every agency taking part now, the lead included
    collaboration: bool  # 多機関協働 is on
    collaboration_since: date | None
    has_plan: bool
    next_monitoring_on: date | None
    categories: tuple[str, ...]  # 相談内容 of its consultations
    risk: str  # "high" (DV・虐待, 食べるものがない) or "normal"
    household: HouseholdSnapshot
    today: date

    @property
    def days_in_stage(self) -> int:
        return (self.today - self.stage_since).days


@dataclass(frozen=True, slots=True)
class MeetingSnapshot:
    """A meeting whose agenda is being proposed (``kasane_agenda_rules``)."""

    ref: str
    meeting_type: str  # the meeting type's key
    legal_basis: str  # art106_6 | consent | other_law
    decisions: tuple[str, ...]
    members: tuple[str, ...]
    on: date


@dataclass(frozen=True, slots=True)
class RecordSnapshot:
    """A record about to be saved (``kasane_validate_record``): the form's key and the
    values as validated by the core (dates as dates, numbers as numbers)."""

    form: str
    values: Mapping[str, Any]
    today: date
    counter: str | None = None
