"""Typed structs a municipal plugin's hook results are validated into.

Hooks return plain data (lists of dicts); :mod:`kasane.core.plugins` converts it into these
structs with msgspec, so a wrong type or a missing field is reported with its path.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Key = str  # a short ascii identifier, unique within its list ("chiiki-hokatsu")

# The core's case stages. Tenants may relabel them (kasane_stage_labels), not remove them.
STAGES: tuple[str, ...] = (
    "reception",  # 受付
    "intake",  # インテーク
    "assessment",  # アセスメント
    "plan_draft",  # プラン案
    "decision",  # 支援決定
    "support",  # 支援実施
    "monitoring",  # モニタリング
    "evaluation",  # 評価
    "closed",  # 終結
    "suspended",  # 中断
)

Field_ = Literal["elderly", "disability", "children", "poverty", "general", "health", "other"]
LegalBasis = Literal["art106_6", "consent", "other_law"]
Decision = Literal[
    "support_decision",  # 支援決定
    "plan_change",
    "closure",  # 終結
    "suspension",  # 中断
    "continuation",  # 継続
    "role_assignment",
    "resource_development",
    "information_sharing",
    "system_review",  # 体制の検討
]
FieldType = Literal[
    "text", "textarea", "date", "number", "tel", "email", "select", "radio", "checkboxes", "boolean"
]


class Counter(msgspec.Struct, forbid_unknown_fields=True):
    """A consultation counter (相談窓口) where intake may happen."""

    key: Key
    name: str
    field: Field_
    agency: Key | None = None  # the agency that staffs it (kasane_agencies key)
    area: Key | None = None  # the area it serves (kasane_areas key); None = whole town
    place: str = ""  # where it is, for staff and residents
    phone: str = ""


class Area(msgspec.Struct, forbid_unknown_fields=True):
    """An area (圏域): 日常生活圏域, 地域振興協議会, 中学校区 …"""

    key: Key
    name: str
    kind: str = "日常生活圏域"
    parent: Key | None = None


class Agency(msgspec.Struct, forbid_unknown_fields=True):
    """A support agency (支援関係機関) that can take part in cases and meetings."""

    key: Key
    name: str
    field: Field_
    kind: Literal["municipal", "contracted", "partner"] = "partner"
    coordinates: bool = False  # runs 多機関協働 (at most one agency per tenant)


class Cadence(msgspec.Struct, forbid_unknown_fields=True):
    """When a meeting recurs. ``as_needed`` meetings have no fixed date."""

    frequency: Literal["monthly", "weekly", "quarterly", "as_needed"]
    weekday: Literal[0, 1, 2, 3, 4, 5, 6] | None = None  # Monday = 0
    nth: Literal[1, 2, 3, 4, -1] | None = None  # nth weekday of the month; -1 = last
    time: str | None = None  # "14:00", JST
    duration_minutes: int = 90


class MeetingType(msgspec.Struct, forbid_unknown_fields=True):
    """A kind of meeting the town runs, with the law it rests on."""

    key: Key
    name: str
    legal_basis: LegalBasis
    legal_basis_note: str  # e.g. "社会福祉法106条の6" or the 要綱's name
    host: str  # a municipal section or an agency key
    cadence: Cadence
    members: list[Key] = []  # agency keys
    decisions: list[Decision] = []
    purpose: str = ""
    # False for a meeting about the support system itself (体制検討会議): no individual case or
    # outreach record is proposed for, or may be put on, its agenda.
    discusses_cases: bool = True

    @property
    def consent_required(self) -> bool:
        """Consent-based meetings may only discuss cases whose person consented."""
        return self.legal_basis == "consent"


class ParticipationMenu(msgspec.Struct, forbid_unknown_fields=True):
    """A participation-support (参加支援) menu the town offers."""

    key: Key
    name: str
    category: Literal["work_trial", "ibasho", "volunteer", "housing_watch", "learning", "other"]
    description: str = ""
    capacity: int | None = None
    schedule: str = ""  # human-readable, e.g. "毎週水曜 10:00-15:00"
    area: Key | None = None


class Choice(msgspec.Struct, forbid_unknown_fields=True):
    value: str
    label: str


class Validation(msgspec.Struct, forbid_unknown_fields=True):
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    message: str | None = None  # shown when the pattern does not match
    past_only: bool = False  # a date that cannot be after today (JST): 受付日, 生年月日 …


class FormField(msgspec.Struct, forbid_unknown_fields=True):
    name: Key
    label: str
    type: FieldType
    required: bool = False
    choices: list[Choice] = []
    validation: Validation | None = None
    help: str = ""
    sensitive: bool = False  # encrypted at rest
    national: bool = False  # 国への報告事項


class FormSection(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    title: str
    fields: list[FormField]


class FormDefinition(msgspec.Struct, forbid_unknown_fields=True):
    """A versioned form. Records keep the ``version`` they were written with."""

    key: Key  # "intake", "assessment", "plan", …
    title: str
    version: str
    sections: list[FormSection]

    def all_fields(self) -> list[FormField]:
        return [f for s in self.sections for f in s.fields]


class TenantConfig(msgspec.Struct):
    """Everything a tenant's plugins decided, validated. Cached per tenant."""

    plugin: str
    counters: list[Counter]
    areas: list[Area]
    agencies: list[Agency]
    meeting_types: list[MeetingType]
    participation_menus: list[ParticipationMenu]
    forms: dict[str, FormDefinition]
    stage_labels: dict[str, str]
    terminology: dict[str, str]
    theme: str
    # Names of agencies the tenant admin deactivated: no longer offered, still named on
    # the records that mention them (set from the app, never by a plugin).
    retired_agency_names: dict[str, str] = {}
    # The configuration's version, kept by the records written with it: the plugin's name,
    # then "+town.N" once the town's admin has changed a setting (N only grows).
    version: str = ""
    # Who answered each list before the town's settings: "core" (the national defaults) or
    # "plugin" — keys "counter", "area", "meeting".
    sources: dict[str, str] = {}
    # Counters, areas and meetings the town retired: offered nowhere, still named on the
    # records that mention them (set from the app, never by a plugin).
    retired_counters: list[Counter] = []
    retired_areas: list[Area] = []
    retired_meeting_types: list[MeetingType] = []
    retired_participation_menus: list[ParticipationMenu] = []

    def agency(self, key: str) -> Agency | None:
        return next((a for a in self.agencies if a.key == key), None)

    def area(self, key: str) -> Area | None:
        """The area (a retired one too: old records name it)."""
        return next((a for a in (*self.areas, *self.retired_areas) if a.key == key), None)

    def counter(self, key: str) -> Counter | None:
        """The counter (a retired one too: old records name it)."""
        return next((c for c in (*self.counters, *self.retired_counters) if c.key == key), None)

    def menu(self, key: str) -> ParticipationMenu | None:
        """The participation menu (a retired one too: old matches name it)."""
        menus = (*self.participation_menus, *self.retired_participation_menus)
        return next((m for m in menus if m.key == key), None)

    def meeting_type(self, key: str) -> MeetingType | None:
        return next(
            (m for m in (*self.meeting_types, *self.retired_meeting_types) if m.key == key), None
        )

    def coordinating_agency(self) -> Agency:
        """The agency that runs 多機関協働: the one marked, else the first municipal one."""
        return (
            next((a for a in self.agencies if a.coordinates), None)
            or next((a for a in self.agencies if a.kind == "municipal"), None)
            or self.agencies[0]
        )

    def agency_name(self, key: str | None) -> str:
        agency = self.agency(key) if key else None
        if agency:
            return agency.name
        return self.retired_agency_names.get(key or "", key or "")


class TenantInfo(msgspec.Struct, frozen=True):
    """What a plugin is told about the tenant it configures (never personal data)."""

    slug: str
    name: str
    municipality_code: str
    prefecture: str
    population: int | None = None
