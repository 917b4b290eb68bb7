"""Everything a municipal plugin may import: the hook marker, data types, test helpers.

A plugin never imports models, services or the database; it returns plain data from
hooks (see :mod:`kasane.core.hookspecs`) and checks itself with :func:`check_plugin`. Its
rules read the snapshots below (``CaseSnapshot`` …) and may build on the core's own rules
(``core_rules.agenda(meeting, cases)`` …); ``kasane.plugin_testing`` makes sample
snapshots for a plugin's tests.

Example plugin module::

    from kasane.core.plugin_kit import hookimpl

    KASANE_HOOKS = (1, 1)
    NAME = "臼杵市"

    @hookimpl
    def kasane_counters(tenant):
        return [{"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly"}]
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pluggy

from kasane.core.config_types import (
    STAGES,
    Agency,
    Area,
    Cadence,
    Choice,
    Counter,
    FormDefinition,
    FormField,
    FormSection,
    MeetingType,
    ParticipationMenu,
    TenantConfig,
    TenantInfo,
    Validation,
)
from kasane.core.hookspecs import HOOKS_VERSION, PROJECT
from kasane.core.reports.snapshot import (
    ConsultationRecord,
    MeetingRecord,
    ReferralRecord,
    ReportRecords,
)
from kasane.core.rules import core as core_rules
from kasane.core.rules.snapshots import (
    CaseSnapshot,
    HouseholdSnapshot,
    IntakeSnapshot,
    MeetingSnapshot,
    MemberSnapshot,
    RecordSnapshot,
)

hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "HOOKS_VERSION",
    "STAGES",
    "Agency",
    "Area",
    "Cadence",
    "CaseSnapshot",
    "Choice",
    "ConsultationRecord",
    "Counter",
    "FormDefinition",
    "FormField",
    "FormSection",
    "HouseholdSnapshot",
    "IntakeSnapshot",
    "MeetingRecord",
    "MeetingSnapshot",
    "MeetingType",
    "MemberSnapshot",
    "ParticipationMenu",
    "RecordSnapshot",
    "ReferralRecord",
    "ReportRecords",
    "TenantConfig",
    "TenantInfo",
    "Validation",
    "check_plugin",
    "core_rules",
    "example_tenant",
    "hookimpl",
]


def example_tenant(**overrides: Any) -> TenantInfo:
    """A TenantInfo for a plugin's own tests."""
    values: dict[str, Any] = {
        "slug": "example",
        "name": "例示市",
        "municipality_code": "442062",
        "prefecture": "大分県",
        "population": 36000,
    }
    values.update(overrides)
    return TenantInfo(**values)


def check_plugin(plugin: ModuleType | object, tenant: TenantInfo | None = None) -> list[str]:
    """Validate a plugin the way the platform will; returns the problems (empty = good).

    Use it in a plugin's own tests: ``assert check_plugin(my_plugin) == []``.
    """
    from kasane.core.plugins import PluginInvalid, build_config

    try:
        build_config(plugin, tenant or example_tenant())
    except PluginInvalid as exc:
        return exc.problems
    return []
